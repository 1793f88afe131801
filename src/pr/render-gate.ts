/** The approval gate as Markdown (check run summary, job summary) and as a one-line commit status. */
import type { GateResult, Requirement } from "./approvals.ts";

const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const handles = (logins: readonly string[]): string =>
  logins.length === 0 ? "—" : logins.map((l) => `@${l}`).join(", ");

function subjectText(r: Requirement): string {
  return r.kind === "group" ? `\`${r.subject}\`` : "gatehouse settings (admins)";
}

function blockedApprovers(r: Requirement): string[] {
  return r.approvers
    .filter((a) => a.problem !== undefined)
    .map((a) => `${a.userId ?? a.login ?? "?"}: ${a.problem ?? ""}`);
}

/** A table per requirement: what is needed, who approved, who may still approve, and what did not count. */
export function renderGateMarkdown(result: GateResult): string {
  const lines = [
    `### gatehouse approvals: ${result.isOk ? "approved" : "approval needed"}`,
    "",
    `Checked on head \`${result.headSha.slice(0, 12)}\`. Approvals count only from owners as they stand on the base branch, on the head commit, and never from the author.`,
    "",
  ];
  if (result.requirements.length === 0) {
    // An empty list is not "no change": taking a leaver's access (offboarding) needs nobody either.
    lines.push(
      "No approval is needed: this pull request grants no access and changes nothing that owners or admins decide (taking access from leavers needs nobody).",
      "",
    );
    return lines.join("\n");
  }
  lines.push(
    "| | Needs approval of | Why | Required | Approved by | May still approve |",
    "|---|---|---|---|---|---|",
  );
  for (const r of result.requirements) {
    lines.push(
      `| ${r.isOk ? "✅" : "❌"} | ${subjectText(r)} | ${cell(r.reasons.join("; "))} | ${String(r.required)} | ${handles(r.approvedBy)} | ${r.isOk ? "—" : handles(r.stillMay)} |`,
    );
  }
  const notes: string[] = [];
  for (const r of result.requirements) {
    for (const x of r.rejected)
      notes.push(`- ${subjectText(r)}: approval by @${x.login} not counted: ${x.why}`);
    for (const b of blockedApprovers(r)) notes.push(`- ${subjectText(r)}: ${b}`);
    if (!r.isOk && r.stillMay.length + r.approvedBy.length < r.required)
      notes.push(
        `- ${subjectText(r)}: only ${String(r.stillMay.length + r.approvedBy.length)} eligible approver(s) for ${String(r.required)} required approvals; ${r.kind === "group" ? "add owners" : "add admins with a GitHub account (policy.admins, accounts.github)"} on the base branch first`,
      );
  }
  if (notes.length > 0)
    lines.push("", "<details><summary>Not counted</summary>", "", ...notes, "", "</details>");
  return lines.join("\n") + "\n";
}

/** At most 140 characters, as commit statuses allow. */
export function describeGate(result: GateResult): string {
  const missing = result.requirements.filter((r) => !r.isOk);
  let text: string;
  if (result.requirements.length === 0) text = "no approval needed: grants no access";
  else if (missing.length === 0) text = `approved (${String(result.requirements.length)} group(s))`;
  else {
    const first = missing[0];
    const who = first
      ? `${first.subject}: ${first.stillMay.slice(0, 3).join(", ") || "no eligible approver"}`
      : "";
    text = `${String(missing.length)} of ${String(result.requirements.length)} need approval; ${who}`;
  }
  return text.length <= 140 ? text : `${text.slice(0, 139)}…`;
}
