import type { Change, MembershipChange, Plan, PlanNote } from "../plan/types.ts";
import {
  describeChange,
  describeWhy,
  REASON_TEXT,
  symbolOf,
  systemNotes,
  unplannedNotes,
  webhookNotes,
  whyAfterReason,
} from "./describe.ts";
import { renderSummaryLine } from "./text.ts";
import { escapeCell, mdCode, mdText } from "./markdown-text.ts";

/** GitHub caps comments at 65,536 characters; we stay well under it. */
export const MARKDOWN_LIMIT = 60_000;

export interface MarkdownOptions {
  readonly limit?: number;
  /** Where the full plan can be read when it does not fit (job summary, artifact name). */
  readonly fullPlanHint?: string;
}

function memberText(c: MembershipChange): string {
  const where = c.source ? `, ${mdCode(`${c.source.file}:${String(c.source.line)}`)}` : "";
  const until = c.action === "add" && c.until !== undefined ? ` until ${mdText(c.until)}` : "";
  return `${c.memberKind === "group" ? "group " : ""}${mdCode(c.member)}${until} (${REASON_TEXT[c.reason]}${where}${whyAfterReason(c, mdText)})`;
}

function groupTable(changes: readonly Change[]): string[] {
  const byGroup = new Map<string, { gains: string[]; losses: string[] }>();
  const rowOf = (group: string): { gains: string[]; losses: string[] } => {
    let row = byGroup.get(group);
    if (!row) byGroup.set(group, (row = { gains: [], losses: [] }));
    return row;
  };
  for (const c of changes) {
    if (c.kind === "membership") {
      const row = rowOf(c.group);
      (c.action === "add" ? row.gains : row.losses).push(memberText(c));
    } else if (c.kind === "group" && c.action === "delete" && c.memberCount > 0) {
      // Its members are not listed one by one in the plan, but every one of them loses the group.
      const n = c.memberCount;
      rowOf(c.group).losses.push(
        `all ${String(n)} member${n === 1 ? "" : "s"} (group deleted${c.replacedBy === undefined ? "" : `; replaced by ${mdCode(c.replacedBy)}`})`,
      );
    }
  }
  if (byGroup.size === 0) return [];
  const lines = ["| Group | Gains access | Loses access |", "|---|---|---|"];
  for (const [group, row] of [...byGroup].sort(([a], [b]) => (a < b ? -1 : 1))) {
    lines.push(
      `| ${escapeCell(mdCode(group))} | ${escapeCell(row.gains.join("<br>")) || "—"} | ${escapeCell(row.losses.join("<br>")) || "—"} |`,
    );
  }
  return lines;
}

function providerSection(plan: Plan, name: string): string {
  const p = plan.providers.find((x) => x.name === name);
  const changes = plan.changes.filter((c) => c.provider === name);
  const lines = [
    `#### ${mdCode(name)} (${p?.type ?? "?"}, ${p?.mode ?? "?"}): ${String(changes.length)} change(s)`,
    "",
  ];
  const table = groupTable(changes);
  if (table.length > 0) lines.push(...table, "");
  const others = changes.filter((c) => c.kind !== "membership");
  for (const c of others)
    lines.push(
      `- \`${symbolOf(c)}\` ${mdText(describeChange(c))} — ${mdText(describeWhy(c))}${whyAfterReason(c, mdText)}`,
    );
  // A leaver's access left is not folded away with the other notes: someone has to act on it.
  const left = plan.notes.filter((n) => n.provider === name && n.kind === "access-left");
  if (left.length > 0) {
    lines.push("", "**Offboarding not complete:**", "");
    for (const n of left) lines.push(`- ${mdText(n.message)}`);
  }
  const notes = systemNotes(plan, name).filter((n) => n.kind !== "access-left");
  if (notes.length > 0) {
    lines.push("", "<details><summary>Notes</summary>", "");
    for (const n of notes) lines.push(`- ${mdText(n.message)}`);
    lines.push("", "</details>");
  }
  return lines.join("\n");
}

/** Notes of a system the plan did not read (an open verdict of one gatehouse.yaml no longer has). */
function unplannedSection(name: string, notes: readonly PlanNote[]): string {
  return [
    `#### ${mdCode(name)} (not in gatehouse.yaml any more)`,
    "",
    "**Offboarding not complete:**",
    "",
    ...notes.map((n) => `- ${mdText(n.message)}`),
  ].join("\n");
}

/** Webhook deliveries still owed (no system's): someone may have to fix a receiver. */
function webhookSection(notes: readonly PlanNote[]): string[] {
  if (notes.length === 0) return [];
  return [
    [
      "#### Offboarding webhooks",
      "",
      "**Deliveries owed:**",
      "",
      ...notes.map((n) => `- ${mdText(n.message)}`),
    ].join("\n"),
  ];
}

function header(plan: Plan): string {
  return [`### gatehouse plan`, "", renderSummaryLine(plan), ""].join("\n");
}

function shortSummary(plan: Plan, fullLength: number, options: MarkdownOptions, limit: number): string {
  const lines = [header(plan)];
  lines.push(
    `> The full plan is ${String(fullLength)} characters, over the ${String(limit)}-character limit of a comment, so only its summary is shown here.` +
      (options.fullPlanHint ? ` ${options.fullPlanHint}` : ""),
    "",
    "| Provider | Changes | Broaden | Narrow |",
    "|---|---|---|---|",
  );
  for (const p of plan.providers) {
    const cs = plan.changes.filter((c) => c.provider === p.name);
    lines.push(
      `| \`${p.name}\` | ${String(cs.length)} | ${String(cs.filter((c) => c.risk === "broadens").length)} | ${String(cs.filter((c) => c.risk === "narrows").length)} |`,
    );
  }
  const byReason = new Map<string, number>();
  for (const c of plan.changes)
    byReason.set(REASON_TEXT[c.reason], (byReason.get(REASON_TEXT[c.reason]) ?? 0) + 1);
  lines.push("", "By reason: " + [...byReason].map(([r, n]) => `${r} ${String(n)}`).join(", "));
  return lines.join("\n") + "\n";
}

/** PR comment: per system and group, who gains and who loses access, and why. Fits the comment limit. */
export function renderMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const limit = options.limit ?? MARKDOWN_LIMIT;
  const full =
    [
      header(plan),
      ...plan.providers.map((p) => providerSection(plan, p.name)),
      ...[...unplannedNotes(plan)].map(([name, notes]) => unplannedSection(name, notes)),
      ...webhookSection(webhookNotes(plan)),
    ].join("\n") + "\n";
  return full.length <= limit ? full : shortSummary(plan, full.length, options, limit);
}
