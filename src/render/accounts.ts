import type {
  AccountsReport,
  OrphanedAccount,
  PlannedChange,
  StaleAccount,
  SystemAccounts,
} from "../lifecycle/account-review.ts";
import { firstFew, plural } from "../model/lists.ts";
import { REASON_TEXT } from "./describe.ts";

/** `gatehouse accounts` as text: per system, orphaned then stale accounts, each sorted by account. */
export function renderAccountsText(report: AccountsReport): string {
  const out: string[] = [
    `Accounts as of ${report.createdAt}; stale: no sign-in for ${report.staleAfter} (${report.staleAfterFrom})`,
    "",
  ];
  for (const system of report.systems) out.push(...systemLines(system), "");
  const { orphaned, stale, staleService, disabledSignedIn } = report.summary;
  out.push(
    `${plural(orphaned, "orphaned account", "orphaned accounts")}, ${plural(stale, "stale account", "stale accounts")}` +
      (staleService === 0
        ? ""
        : `, ${plural(staleService, "stale service account", "stale service accounts")}`),
  );
  if (disabledSignedIn > 0)
    out.push(
      `${plural(disabledSignedIn, "disabled leaver account", "disabled leaver accounts")} signed in after leaving`,
    );
  // What to do with what was found: the report itself changes nothing.
  if (orphaned > 0)
    out.push(
      "Next, orphaned: the accounts the plan disables go with the next apply; map one it leaves to its person " +
        "in the files (`accounts:`), or remove it in its system by hand.",
    );
  if (stale > 0)
    out.push(
      "Next, stale: ask the person or their manager; take away what they no longer use in a pull request (their " +
        "member lines), or mark them on leave (`status: leave`, with `policy.leave: disable`).",
    );
  return out.join("\n") + "\n";
}

function systemLines(system: SystemAccounts): string[] {
  const head =
    `${system.provider} (${system.type}, ${system.mode}): ` +
    plural(system.enabledAccounts, "enabled account", "enabled accounts") +
    (system.signIns === undefined ? "" : `, sign-ins from ${system.signIns}`);
  const out = [head];
  const refusedBy = system.refusedBy ?? [];
  if (refusedBy.length > 0)
    out.push(
      `  ${system.provider}: apply refuses this system's plan without an override (guard rails: ${firstFew(refusedBy, 2)}); what the plan would do below waits for it, but for grant endings and a leaver's offboarding that passes the guard rails on its own`,
    );
  if (system.staleNotChecked !== undefined)
    out.push(`  ${system.provider}: ${system.staleNotChecked}; stale accounts not checked`);
  out.push(
    system.orphaned.length === 0 ? "  orphaned: none" : `  orphaned (${String(system.orphaned.length)}):`,
  );
  for (const orphan of system.orphaned) out.push(...orphanLines(orphan, system));
  if (system.disabledSignedIn.length > 0)
    out.push(
      `  disabled, yet SIGNED IN AFTER LEAVING (${String(system.disabledSignedIn.length)}): the way ${system.provider} disables does not stop sign-ins, or the account was enabled for a while`,
    );
  for (const entry of system.disabledSignedIn)
    out.push(
      `    ${entry.account}  ${entry.detail}`,
      `      last sign-in ${entry.lastLogin}; groups: ${entry.groups.length === 0 ? "none" : entry.groups.join(", ")}`,
    );
  if (system.staleNotChecked === undefined) {
    out.push(system.stale.length === 0 ? "  stale: none" : `  stale (${String(system.stale.length)}):`);
    for (const entry of system.stale) out.push(...staleLines(entry));
    if (system.staleService.length > 0) {
      out.push(
        `  stale service accounts (${String(system.staleService.length)}; employmentType: service, not counted for --detailed-exitcode):`,
      );
      for (const entry of system.staleService) out.push(...staleLines(entry));
    }
    if (system.unjudged.length > 0)
      out.push(
        `  not judged (no sign-in recorded, and ${system.provider} gives no creation time): ${firstFew(system.unjudged, 10)}`,
      );
  }
  return out;
}

function orphanLines(orphan: OrphanedAccount, system: SystemAccounts): string[] {
  const facts = [
    ...(orphan.signedInAfterEnd === undefined
      ? []
      : [`SIGNED IN AFTER LEAVING (endDate ${orphan.signedInAfterEnd})`]),
    `groups: ${orphan.groups.length === 0 ? "none" : orphan.groups.join(", ")}`,
    orphan.managed ? "managed by gatehouse (journal)" : "not created or managed by gatehouse",
    ...(orphan.lastLogin === undefined ? [] : [`last sign-in ${orphan.lastLogin}`]),
  ];
  return [
    `    ${orphan.account}  ${orphan.detail}`,
    `      ${facts.join("; ")}`,
    `      plan: ${planText(orphan.plan, system)}`,
  ];
}

/** What the plan does with an orphaned account, in this system's mode. */
function planText(plan: readonly PlannedChange[], system: SystemAccounts): string {
  const changes = plan.map((c) => `${c.action} (${REASON_TEXT[c.reason]})`).join(", ");
  switch (system.mode) {
    case "observe":
      return plan.length === 0
        ? "leaves it (mode: observe: gatehouse writes nothing here)"
        : `would ${changes}; mode: observe, so nothing is written`;
    case "additive":
      return plan.length === 0
        ? "leaves it (mode: additive leaves accounts the files do not give anyone alone): disable it by hand, give it to someone in the files, or use mode: authoritative"
        : changes;
    case "authoritative":
      return plan.length === 0 ? "leaves it (see the notes of gatehouse plan)" : changes;
  }
}

/** "3.5 days ago"; under a day in hours ("5.0 hours ago") and under an hour in minutes ("12 minutes ago"). */
export function agoText(days: number): string {
  if (days >= 1) return `${days.toFixed(1)} days ago`;
  const hours = days * 24;
  if (hours >= 1) return `${hours.toFixed(1)} hours ago`;
  return `${String(Math.round(hours * 60))} minutes ago`;
}

function staleLines(entry: StaleAccount): string[] {
  const ago = agoText(entry.idleDays);
  const since =
    entry.lastLogin === undefined
      ? `no sign-in recorded; created ${entry.createdAt ?? "?"}, ${ago}`
      : `last sign-in ${entry.lastLogin}, ${ago}`;
  const groups = entry.groups.length === 0 ? "none" : entry.groups.join(", ");
  const who = entry.userId === entry.account ? "" : `${entry.userId}: `;
  return [`    ${entry.account}  ${who}${since}`, `      groups: ${groups}`];
}
