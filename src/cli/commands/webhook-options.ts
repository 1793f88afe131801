import { ConfigError, registerSecret } from "../../errors.ts";
import type { AccessModel } from "../../model/access.ts";
import type { PostFn, WebhookOptions } from "../../apply/offboard-webhooks.ts";
import type { LeaverEvents } from "../../engine/run-apply.ts";

/** POST with the platform's fetch; only the status is kept (the body is let go, unread). */
const postWithFetch: PostFn = async (url, init) => {
  const response = await fetch(url, init);
  await response.body?.cancel();
  return { status: response.status };
};

/**
 * What an apply needs to tell policy.offboarding.webhooks of its leavers: each secret read from its
 * environment variable (and registered, so no output shows it), and the leavers' names and emails.
 * Undefined without webhooks. A webhook whose secretEnv is not set gets no secret here: its deliveries fail
 * and are owed (deliverWebhook), and the leavers are offboarded all the same.
 */
export function webhookOptionsOf(
  model: AccessModel,
  leavers: LeaverEvents,
  env: Readonly<Record<string, string | undefined>>,
): WebhookOptions | undefined {
  const hooks = model.config.policy.offboardingWebhooks ?? [];
  if (hooks.length === 0) return undefined;
  const secrets = new Map<string, string>();
  const names = new Set<string>();
  for (const hook of hooks) {
    // validate refuses them first (GH237); this guards models built otherwise.
    if (names.has(hook.name))
      throw new ConfigError(
        `policy.offboarding.webhooks: two webhooks are named ${hook.name}; names must be unique`,
      );
    names.add(hook.name);
    if (hook.secretEnv === undefined) continue;
    const secret = env[hook.secretEnv];
    // Not sent unsigned, and no reason to keep leavers from being offboarded: each delivery to it fails
    // (owed, sent again by the next apply) until the variable is set (deliverWebhook).
    if (secret === undefined || secret === "") continue;
    registerSecret(secret);
    secrets.set(hook.name, secret);
  }
  const people = new Map<string, { name: string; email?: string }>();
  for (const userId of leavers.keys()) {
    const user = model.users.get(userId);
    if (user !== undefined)
      people.set(userId, { name: user.name, ...(user.email === undefined ? {} : { email: user.email }) });
  }
  return { hooks, secrets, people, post: postWithFetch };
}
