/**
 * The offboarding check's read of a few leavers (Provider.readAccounts): one membership GET each instead
 * of the whole organization (members, invitations, teams and every team's members), where that is fewer
 * calls than the last full read took. It gives what a full read would show of them, or nothing.
 */
import type { LiveState, LiveUser } from "../../model/state.ts";
import type { GithubSession } from "./session.ts";
import { PER_PAGE } from "./session.ts";
import { normalizeLogin } from "./map.ts";
import { statusOf } from "./client.ts";

/**
 * The live state under `accounts`, as readGithubState shows them, when each is neither a member of the
 * organization nor invited (GitHub answers 404 for their membership): no user then, and no team, since
 * GitHub ends team memberships with the org membership and an invitation's teams ride on the invitation.
 * A failed (expired) invitation alone is listed as pending where the full read lists it so
 * (retryFailedInvitations: false), from the failed invitations, read once.
 *
 * Undefined, for a full read instead: when these calls would be as many as the last full read took (or
 * there was none to compare with), and as soon as someone is still a member or invited, since only the
 * full read says which teams hold them directly (GitHub lists a child team's members in its parent).
 */
export async function readAccountsState(
  s: GithubSession,
  accounts: readonly string[],
): Promise<LiveState | undefined> {
  const logins = [...new Set(accounts.map(normalizeLogin))];
  const keepsFailed = !s.settings.retryFailedInvitations;
  const calls = logins.length + (keepsFailed ? 1 : 0);
  if (s.lastReadCalls === undefined || calls >= s.lastReadCalls) return undefined;
  const { octokit } = s.client;
  const org = s.settings.org;
  for (const username of logins) {
    try {
      await octokit.request("GET /orgs/{org}/memberships/{username}", { org, username });
      return undefined; // a member, or invited: the full read says where
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }
  if (!keepsFailed) return { users: [], groups: [] };
  const failed = await octokit.paginate("GET /orgs/{org}/failed_invitations", { org, per_page: PER_PAGE });
  const wanted = new Set(logins);
  const users = new Map<string, LiveUser>();
  for (const inv of failed) {
    const account = inv.login === null ? undefined : normalizeLogin(inv.login);
    if (account !== undefined && wanted.has(account))
      users.set(account, { account, enabled: false, pending: true, invitationFailed: true });
  }
  return { users: [...users.values()].sort((a, b) => (a.account < b.account ? -1 : 1)), groups: [] };
}
