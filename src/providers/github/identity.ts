/** Resolves a login to its numeric id and refuses logins whose id no longer matches the pin. */
import { ProviderError } from "../../errors.ts";
import type { GithubSession } from "./session.ts";
import { normalizeLogin } from "./map.ts";
import { statusOf } from "./client.ts";

/**
 * The login's current numeric id, asked of GitHub now (GET /users/{login}, conditional): what an earlier read
 * saw may be stale, and a grant must go to the account the login names at this moment. Undefined: no account.
 */
export async function resolveLogin(s: GithubSession, login: string): Promise<number | undefined> {
  const key = normalizeLogin(login);
  try {
    const { data } = await s.client.octokit.request("GET /users/{username}", { username: key });
    const id = Number(data.id);
    s.ids.set(key, id);
    return id;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** What the pinned account is called now (GET /user/{id}); undefined when it is gone. */
async function currentLoginOf(s: GithubSession, id: number): Promise<string | undefined> {
  try {
    const { data } = await s.client.octokit.request("GET /user/{account_id}", { account_id: id });
    return normalizeLogin(data.login);
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/**
 * Before granting access to `login`: it must exist and still be the account pinned for it. A login pinned to
 * another id was renamed away or re-registered by someone else, and never inherits the access.
 */
export async function requirePinnedAccount(
  s: GithubSession,
  login: string,
  operation: string,
): Promise<number> {
  await s.pins.load();
  const id = await resolveLogin(s, login);
  if (id === undefined) {
    const pinned = s.pins.pinnedId(login);
    throw new ProviderError(
      s.name,
      operation,
      pinned === undefined
        ? `GitHub has no account ${login}; check accounts.github`
        : `GitHub has no account ${login} any more (it was pinned to id ${String(pinned)}: renamed or deleted); check accounts.github`,
      { status: 404 },
    );
  }
  const verdict = s.pins.verify(login, id);
  if (verdict.kind === "mismatch") {
    const renamedTo = await currentLoginOf(s, verdict.pinnedId);
    throw new ProviderError(
      s.name,
      operation,
      `refused: login ${login} now belongs to GitHub account ${String(verdict.actualId)}, but gatehouse pinned it to account ${String(verdict.pinnedId)}${renamedTo === undefined ? "" : ` (now called ${renamedTo})`}; a renamed or re-registered login never inherits access. If the new account is really this person's, update accounts.github and remove the pin from ${s.settings.idsFile}`,
    );
  }
  await s.pins.save();
  return id;
}
