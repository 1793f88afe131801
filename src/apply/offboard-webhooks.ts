/**
 * Downstream webhooks (policy.offboarding.webhooks): after an apply offboarded a leaver (disabled or
 * deleted an account of theirs) and checked it, each webhook gets one POST per leaver, signed with
 * HMAC-SHA256 where a secret is given. Retried with backoff on 5xx, 408, 429, timeouts and lost
 * connections; never on another 4xx, which is recorded as "rejected" (asking again unchanged will not
 * help: the receiver needs fixing). Nothing here undoes anything: a rejected or failed delivery is
 * reported and journalled with its body, and every later apply sends it again (deliverOffboardingWebhooks'
 * `owed`) until one is delivered or it is closed by hand (`gatehouse journal close-delivery`).
 */
import { deadline } from "../io/deadline.ts";
import { createHmac, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { OffboardingWebhook } from "../model/access.ts";
import type { ChangeResult } from "./apply-plan.ts";
import type { OffboardCheck } from "./offboard-verify.ts";
import type { WebhookOutcome } from "../audit/journal-entry.ts";
import { leaverAccountTaken } from "../audit/journal-fold.ts";
import { parseRetryAfter, serverDateOf } from "../io/retry-after.ts";

/** Attempts per delivery, and the wait before the second (doubled before each later one). */
export const WEBHOOK_ATTEMPTS = 3;
export const WEBHOOK_BACKOFF_MS = 1000;
/** The longest a receiver's Retry-After makes a delivery wait within one apply (later: the next apply). */
export const WEBHOOK_MAX_RETRY_AFTER_MS = 30_000;

/** What a POST is given; `fetch` in production, anything with its shape in a caller's tests. */
export type PostFn = (
  url: string,
  init: { method: "POST"; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ readonly status: number; readonly headers?: Headers }>;

export interface WebhookOptions {
  readonly hooks: readonly OffboardingWebhook[];
  /** Signing secrets by webhook name (read from each one's secretEnv by the caller). */
  readonly secrets: ReadonlyMap<string, string>;
  /** Name and email of each person, by user id, as the files give them. */
  readonly people: ReadonlyMap<string, { readonly name: string; readonly email?: string }>;
  readonly post: PostFn;
  readonly backoffMs?: number;
}

/** One leaver's offboarding, as each webhook is told it. */
export interface OffboardedLeaver {
  readonly userId: string;
  readonly checks: readonly OffboardCheck[];
  /** When the run that offboarded them started, where that was an earlier run (see offboardedLeavers). */
  readonly triggeredAt?: string;
}

/** The outcome of one delivery (a webhook-delivered journal entry, and a line of the apply summary). */
export interface WebhookDelivery extends WebhookOutcome {
  /** For a delivery owed by an earlier run (retryOf): when that run started (the trigger time its body carries). */
  readonly triggeredAt?: string;
}

/**
 * Whether a status says the receiver refuses the request itself, so that sending it again unchanged
 * will not help: a 4xx, except 408 (Request Timeout) and 429 (Too Many Requests), which say "later".
 */
export function isRejection(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** A rejected or failed delivery of an earlier run, to send again (JournalFold.undelivered). */
export interface OwedDelivery {
  readonly seq: number;
  readonly webhook: string;
  readonly userId: string;
  readonly delivery: string;
  readonly triggeredAt: string;
  readonly body?: string;
}

/**
 * The leavers a run offboarded: a disable or delete of their account was applied, and the check after
 * the run read it back. A re-check of an earlier verdict counts for an account this run disabled or
 * deleted (its disable failed in the run that opened the verdict); for one the run did not touch, only
 * when it closes the verdict with something new to tell: the re-check of an unchecked one (a run that
 * ended before its check, and so before telling anyone), or one that finds clean what the earlier check
 * did not (the webhooks were told "access-left" or "unverified" then). Those count as the earlier run's,
 * triggered when it started. A re-check that still finds access left is not told again. In the order of
 * their first check.
 */
export function offboardedLeavers(
  results: readonly ChangeResult[],
  checks: readonly OffboardCheck[],
): OffboardedLeaver[] {
  const disabled = new Set<string>();
  const accounts = new Set<string>(); // provider and account of each disable or delete applied
  for (const r of results) {
    const account = leaverAccountTaken(r);
    if (account !== undefined && r.change.userId !== undefined) {
      disabled.add(r.change.userId);
      accounts.add(`${r.change.provider}\0${account}`);
    }
  }
  const out = new Map<string, OffboardCheck[]>();
  const earlierRun = new Map<string, string>(); // user id → the start of the run whose check this one settles
  for (const check of checks) {
    if (check.userId === undefined) continue;
    // The earlier run's business, told now: a check it never made, or one that could not confirm the
    // offboarding (access left, a read that failed) and comes out clean now (what was left went, by a
    // later run's removals or by hand): the webhooks heard that finding, or nothing, and hear the end.
    const isEarlier =
      check.verdict?.unchecked === true ||
      (check.recheckOf !== undefined && check.clean && check.error === undefined);
    if (!isEarlier && !disabled.has(check.userId)) continue;
    if (!isEarlier && check.recheckOf !== undefined && !accounts.has(`${check.provider}\0${check.account}`))
      continue;
    if (isEarlier && check.triggeredAt !== undefined && !disabled.has(check.userId))
      earlierRun.set(check.userId, check.triggeredAt);
    const list = out.get(check.userId) ?? [];
    list.push(check);
    out.set(check.userId, list);
  }
  return [...out].map(([userId, list]) => {
    const triggeredAt = earlierRun.get(userId);
    return { userId, checks: list, ...(triggeredAt === undefined ? {} : { triggeredAt }) };
  });
}

/** The JSON body for one leaver: who, when (HR event, trigger), and each system's account and check. */
export function webhookBody(
  leaver: OffboardedLeaver,
  person: { readonly name: string; readonly email?: string } | undefined,
  times: {
    readonly leaving?: string;
    readonly triggeredAt: string;
    readonly checkedAt: string;
    readonly notReached?: readonly string[];
  },
): string {
  return JSON.stringify({
    event: "user.offboarded",
    userId: leaver.userId,
    ...(person === undefined ? {} : { name: person.name }),
    ...(person?.email === undefined ? {} : { email: person.email }),
    ...(times.leaving === undefined ? {} : { hrEvent: times.leaving }),
    triggeredAt: times.triggeredAt,
    checkedAt: times.checkedAt,
    accounts: leaver.checks.map((c) => ({
      system: c.provider,
      account: c.account,
      check: c.error !== undefined ? "unverified" : c.clean ? "clean" : "access-left",
      ...(c.accountState === undefined ? {} : { accountState: c.accountState }),
    })),
    // Systems gatehouse.yaml configures that this run left out (unreadable, or not set up here): the
    // leaver's access there was neither removed nor checked, so "offboarded" is not the whole story.
    ...(times.notReached === undefined || times.notReached.length === 0
      ? {}
      : { notReached: times.notReached }),
  });
}

/** The X-Gatehouse-Signature value of `body`. */
export function signatureOf(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** A message for a failed attempt without a response, never naming the URL (it may carry a token). */
function describeError(error: unknown, timeoutSeconds: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError"))
    return `no answer within ${String(timeoutSeconds)}s`;
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const code =
    cause !== undefined && "code" in cause && typeof cause.code === "string" ? cause.code : undefined;
  return code ?? (error instanceof Error ? error.name : "request failed");
}

/**
 * How long the receiver asked to be left alone (Retry-After, seconds or an HTTP date by its own Date
 * header; without one a date cannot be read against its clock), at most WEBHOOK_MAX_RETRY_AFTER_MS.
 */
function retryAfterOf(response: { readonly headers?: Headers }): number {
  const { headers } = response;
  if (headers === undefined) return 0;
  // Seconds need no clock; a date without the receiver's Date header reads as NaN: not waited for.
  const asked = parseRetryAfter(headers.get("retry-after"), serverDateOf(headers) ?? Number.NaN);
  return asked === undefined || Number.isNaN(asked) ? 0 : Math.min(asked, WEBHOOK_MAX_RETRY_AFTER_MS);
}

/** One delivery: up to WEBHOOK_ATTEMPTS POSTs, again only after a 5xx, 408, 429 or no answer. */
export async function deliverWebhook(
  hook: OffboardingWebhook,
  userId: string,
  body: string,
  options: WebhookOptions,
  signal: AbortSignal,
  delivery: string = randomUUID(),
): Promise<WebhookDelivery> {
  const secret = options.secrets.get(hook.name);
  const base = { webhook: hook.name, userId, delivery };
  // Its signing secret is missing here: never sent unsigned; owed until the variable is set.
  if (hook.secretEnv !== undefined && secret === undefined)
    return {
      ...base,
      outcome: "failed",
      attempts: 0,
      error: `not sent: environment variable ${hook.secretEnv} (secretEnv) is not set; it must hold the signing secret`,
      body,
    };
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "gatehouse",
    "x-gatehouse-event": "user.offboarded",
    "x-gatehouse-delivery": delivery,
    ...(secret === undefined ? {} : { "x-gatehouse-signature": signatureOf(body, secret) }),
  };
  let last: { status?: number; error?: string } = {};
  let asked = 0; // what the receiver's Retry-After asked for (a 429 or 503), at most the cap
  for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
    if (attempt > 1)
      await sleep(
        Math.max(asked, (options.backoffMs ?? WEBHOOK_BACKOFF_MS) * 2 ** (attempt - 2)),
        undefined,
        {
          signal,
        },
      ).catch(() => undefined);
    try {
      const timeout = deadline(hook.timeoutSeconds * 1000, signal);
      const response = await options
        .post(hook.url, { method: "POST", headers, body, signal: timeout.signal })
        .finally(timeout.clear);
      if (response.status >= 200 && response.status < 300)
        return { ...base, outcome: "delivered", attempts: attempt, status: response.status };
      last = { status: response.status };
      asked = retryAfterOf(response);
      if (isRejection(response.status))
        return { ...base, outcome: "rejected", attempts: attempt, ...last, body };
      // A 3xx left over (fetch follows redirects) is no answer another attempt would change; it stays
      // owed as a failure, as before 4xx were told apart.
      if (response.status < 400) return { ...base, outcome: "failed", attempts: attempt, ...last, body };
    } catch (error) {
      last = { error: describeError(error, hook.timeoutSeconds) };
    }
    if (signal.aborted) return { ...base, outcome: "failed", attempts: attempt, ...last, body };
  }
  return { ...base, outcome: "failed", attempts: WEBHOOK_ATTEMPTS, ...last, body };
}

/** Every webhook told of every leaver, one delivery at a time, each with the instant it ended. */
export async function deliverOffboardingWebhooks(
  leavers: readonly OffboardedLeaver[],
  options: WebhookOptions,
  times: {
    readonly leaving: (userId: string) => string | undefined;
    readonly triggeredAt: string;
    readonly checkedAt: string;
    readonly notReached?: readonly string[];
  },
  now: () => Date,
  signal: AbortSignal,
  owed: readonly OwedDelivery[] = [],
): Promise<(WebhookDelivery & { readonly at: string })[]> {
  const out: (WebhookDelivery & { readonly at: string })[] = [];
  // Owed by earlier runs first, the same body under the same id (a receiver can tell a repeat), to
  // webhooks still configured; a person offboarded again by this run is told of this run instead.
  const offboardedNow = new Set(leavers.map((l) => l.userId));
  for (const o of owed) {
    const hook = options.hooks.find((h) => h.name === o.webhook);
    if (hook === undefined || o.body === undefined || offboardedNow.has(o.userId)) continue;
    const delivery = await deliverWebhook(hook, o.userId, o.body, options, signal, o.delivery);
    out.push({ ...delivery, retryOf: o.seq, triggeredAt: o.triggeredAt, at: now().toISOString() });
  }
  for (const leaver of leavers) {
    const leaving = times.leaving(leaver.userId);
    // Offboarded by an earlier run that never checked them: triggered when that run started.
    const triggeredAt = leaver.triggeredAt ?? times.triggeredAt;
    const body = webhookBody(leaver, options.people.get(leaver.userId), {
      ...(leaving === undefined ? {} : { leaving }),
      triggeredAt,
      checkedAt: times.checkedAt,
      ...(times.notReached === undefined ? {} : { notReached: times.notReached }),
    });
    for (const hook of options.hooks) {
      const delivery = await deliverWebhook(hook, leaver.userId, body, options, signal);
      out.push({
        ...delivery,
        ...(leaver.triggeredAt === undefined ? {} : { triggeredAt }),
        at: now().toISOString(),
      });
    }
  }
  return out;
}
