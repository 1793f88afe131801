/** Lock-out protection: never remove the account gatehouse runs as, a required owner, or the last owners. */
import { ProviderError } from "../../errors.ts";
import type { GithubSession } from "./session.ts";
import { normalizeLogin } from "./map.ts";
import { readAdmins, readViewer, UNLISTED_OWNER_REFUSAL } from "./read.ts";

export async function assertRemovableFromOrg(
  s: GithubSession,
  login: string,
  operation: string,
  isInNoAccessFile = false,
): Promise<void> {
  const account = normalizeLogin(login);
  const viewer = await readViewer(s);
  // An installation token has no account of its own to lock out.
  if (viewer !== null && viewer.login === account) {
    throw new ProviderError(
      s.name,
      operation,
      `refused: ${account} is the account gatehouse runs as; removing it would lock gatehouse out`,
    );
  }
  if (s.settings.requiredAdmins.some((a) => normalizeLogin(a) === account)) {
    throw new ProviderError(
      s.name,
      operation,
      `refused: ${account} is listed in requiredAdmins and must stay an org owner`,
    );
  }
  // Fresh, not from the last read: owners may have changed since. A 304 makes this cheap.
  const admins = await readAdmins(s);
  // An owner made by hand, in no file: an authoritative sweep should not take the org's administration
  // from someone the files never mention (a leaver, or one the files take out, is removed as asked).
  if (isInNoAccessFile && admins.has(account) && !s.settings.removeUnlistedOwners) {
    throw new ProviderError(s.name, operation, `refused: ${account}: ${UNLISTED_OWNER_REFUSAL}`);
  }
  if (admins.has(account) && admins.size - 1 < s.settings.minAdmins) {
    throw new ProviderError(
      s.name,
      operation,
      `refused: removing org owner ${account} would leave ${String(admins.size - 1)} owner(s); minAdmins is ${String(s.settings.minAdmins)}`,
    );
  }
}
