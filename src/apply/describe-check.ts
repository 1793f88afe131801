import type { OffboardCheck } from "./offboard-verify.ts";
import type { SessionsCheck } from "../audit/journal-entry.ts";

/** How the offboarding checks are told: apply's summary and errors, and `journal changes`. */

/** Whose account a check is about: "app: xavier", with the person's id when it differs. */
export function checkedAccount(check: OffboardCheck): string {
  return `${check.provider}: ${check.account}${check.userId === undefined || check.userId === check.account ? "" : ` (${check.userId})`}`;
}

/** A check's verdict and whose account it is: "clean app: xavier", or "ACCESS LEFT app: xavier". */
export function checkHeading(check: OffboardCheck): string {
  return `${check.clean ? "clean" : "ACCESS LEFT"} ${checkedAccount(check)}`;
}

/** One line on what a check found, e.g. "disabled, in no group, sessions: none open". */
export function describeCheck(check: OffboardCheck): string {
  if (check.error !== undefined) return `not verified: ${check.error}`;
  const parts = [
    ...(check.renamedTo === undefined
      ? []
      : [`renamed since to ${check.renamedTo} (found by the system's stable id)`]),
    check.accountState === "absent"
      ? "account gone"
      : check.accountState === "pending"
        ? "invitation still pending"
        : `account ${check.accountState ?? "?"}`,
    (check.groups ?? []).length > 0
      ? `still in ${(check.groups ?? []).join(", ")}`
      : // Not "in no group" where the lines below name groups that still hold it.
        (check.groupsOutside ?? []).length + (check.unreadMemberships ?? []).length > 0
        ? "in no group gatehouse manages"
        : "in no group",
    `sessions: ${describeSessions(check.sessions)}`,
  ];
  if ((check.groupsOutside ?? []).length > 0)
    parts.push(
      `still in groups outside the scope gatehouse reads: ${(check.groupsOutside ?? []).join("; ")}`,
    );
  const unread = check.unreadMemberships ?? [];
  const byAttribute = unread.filter((m) => m.value === undefined);
  const byOtherCase = unread.filter((m) => m.value !== undefined);
  if (byAttribute.length > 0)
    parts.push(
      `still named in groups gatehouse reads through an attribute it does not manage: ${byAttribute.map((m) => `${m.attribute} in ${m.group}`).join("; ")}`,
    );
  if (byOtherCase.length > 0)
    parts.push(
      `still named in groups gatehouse reads by a value in another case, which it does not manage: ${byOtherCase.map((m) => `${m.attribute}: ${m.value ?? ""} in ${m.group}`).join("; ")}`,
    );
  if (check.elsewhere !== undefined)
    parts.push(`an account of that name is outside the scope gatehouse reads, at ${check.elsewhere}`);
  if (check.recheckedAfterMs !== undefined)
    parts.push(`as read again ${seconds(check.recheckedAfterMs)} after a first read found access left`);
  if ((check.unsettled ?? []).length > 0)
    parts.push(`not settled yet: the system may still be rewriting ${(check.unsettled ?? []).join(", ")}`);
  if (check.recheckOf !== undefined)
    parts.push(`re-checking journal #${String(check.recheckOf)}, which found access left`);
  return parts.join(", ");
}

/**
 * What to do about a check that found access left, for the error line after "Nothing was removed by the
 * check". What a plan manages (the account, the groups it reads, sessions it revokes) the next plan shows;
 * groups outside the scope it reads, member values of attributes it does not manage and an account of the
 * same name elsewhere no plan shows as a change (plans note the open verdict, and every apply checks it
 * again): the line says to remove those in the system itself.
 */
export function adviceAfterCheck(check: OffboardCheck): string {
  if (check.error !== undefined) return "the next plan reads the system again and shows what is left";
  const planned =
    check.accountState === "enabled" ||
    check.accountState === "pending" ||
    (check.groups ?? []).length > 0 ||
    check.sessions?.outcome === "left";
  const unplanned =
    (check.groupsOutside ?? []).length > 0 ||
    (check.unreadMemberships ?? []).length > 0 ||
    check.elsewhere !== undefined;
  const unseen =
    "gatehouse does not manage the groups, member values or accounts outside what it reads, so no plan " +
    "shows them as a change: remove them in the system itself; every apply checks again, and plans note " +
    "it, until a check finds them gone";
  if (planned && unplanned) return `the next plan shows what is left of what gatehouse manages; ${unseen}`;
  return unplanned ? unseen : "the next plan shows what is left";
}

function describeSessions(sessions: SessionsCheck | undefined): string {
  switch (sessions?.outcome) {
    case "revoked":
      return `revoked ${String(sessions.sessions)} session(s) and ${String(sessions.tokens)} token(s)`;
    case "none":
      return "none open";
    case "not-possible":
      return "cannot be revoked or checked here";
    case "left":
      return `${String(sessions.sessions)} session(s) and ${String(sessions.tokens)} token(s) still open`;
    case undefined:
      return "not checked";
  }
}

/** "10 s", "0.05 s": a wait as the summary gives it. */
function seconds(ms: number): string {
  return `${String(ms / 1000)} s`;
}
