/**
 * What `review open|close` prints: a line or two per group as text, or one JSON object
 * (docs/formats.md, `review open --format json` and `review close --format json`).
 */
import type { CloseChoice, OpenChoice } from "../../engine/review.ts";
import { jsonForTerminal, type TerminalText } from "../../render/terminal-text.ts";

type Opened = Extract<OpenChoice, { kind: "open" }>;

/** Of the people held through one role or nested group, how many a line names (JSON names them all). */
const HELD_SHOWN = 20;

export function describeOpen(choice: Opened, due: string): string[] {
  const lines = [
    `${choice.group.source.file}: review of ${choice.group.name} due ${due}, ` +
      `${String(choice.pending.length)} to re-certify: ${choice.pending.join(", ")}`,
  ];
  if (choice.leavers.length > 0)
    lines.push(
      `  not pending, leavers: ${choice.leavers.join(", ")} (their offboarding takes the group away)`,
    );
  const byWay = new Map<string, { shown: string[]; more: number }>();
  for (const held of choice.elsewhere)
    for (const way of held.ways) {
      let list = byWay.get(way);
      if (list === undefined) byWay.set(way, (list = { shown: [], more: 0 }));
      // A role can give a group tens of thousands: the line names the first few, and always those also
      // listed, whose line the review may revoke while they keep the group this way.
      if (held.isListed) list.shown.push(`${held.user} (also listed: revoking the line leaves this)`);
      else if (list.shown.length < HELD_SHOWN) list.shown.push(held.user);
      else list.more++;
    }
  for (const [way, { shown, more }] of byWay) {
    const rest = more > 0 ? ` and ${String(more)} more (--format json lists everyone)` : "";
    lines.push(`  held through ${way}: ${shown.join(", ")}${rest}; review the ${way.split(" ")[0] ?? way}`);
  }
  return lines;
}

export function describeClose(c: CloseChoice, isCheck: boolean): string {
  const verb = isCheck ? "Would close" : "Closed";
  const head = `${verb} the review of ${c.group.name} (${c.group.source.file}, due ${c.due})`;
  const stale = c.stale.length > 0 ? `; no longer members: ${c.stale.join(", ")}` : "";
  if (c.revoke.length > 0)
    return `${head}: ${isCheck ? "would revoke" : "revoked"} ${c.revoke.join(", ")} (not re-certified)${stale}${keptText(c)}`;
  return `${head}: ${c.stale.length === 0 ? "everyone re-certified" : "nothing left to revoke"}${stale}`;
}

/** The revoked who keep the group another way: only their line goes. */
function keptText(c: CloseChoice): string {
  const byWay = new Map<string, string[]>();
  for (const kept of c.keptThrough) {
    const way = kept.ways.join(" and ");
    const list = byWay.get(way);
    if (list === undefined) byWay.set(way, [kept.user]);
    else list.push(kept.user);
  }
  return [...byWay]
    .map(
      ([way, users]) =>
        `; ${users.join(", ")} ${users.length === 1 ? "keeps" : "keep"} the group through ${way} ` +
        `(only the line goes: review the ${way.split(" ")[0] ?? way})`,
    )
    .join("");
}

const asJson = (value: unknown): TerminalText => jsonForTerminal(JSON.stringify(value, null, 2) + "\n");

/** `review open --format json`; `files`: the files written, or with --dry-run that would be. */
export function openJson(
  choices: readonly OpenChoice[],
  due: string,
  files: readonly string[],
  isDryRun: boolean,
): TerminalText {
  const opened = choices.filter((c): c is Opened => c.kind === "open");
  return asJson({
    formatVersion: 1,
    status: opened.length === 0 ? "nothing-to-do" : isDryRun ? "dry-run" : "written",
    due,
    opened: opened.map((c) => ({
      group: c.group.name,
      file: c.group.source.file,
      pending: c.pending,
      leavers: c.leavers,
      heldElsewhere: c.elsewhere.map((h) => ({ user: h.user, ways: h.ways, isListed: h.isListed })),
    })),
    skipped: choices.flatMap((c) =>
      c.kind === "skip" ? [{ group: c.group.name, file: c.group.source.file, reason: c.why }] : [],
    ),
    files,
  });
}

/** `review close --format json`; `files`: the files written, or with --check that would be. */
export function closeJson(
  choices: readonly CloseChoice[],
  files: readonly string[],
  isCheck: boolean,
): TerminalText {
  return asJson({
    formatVersion: 1,
    status: choices.length === 0 ? "nothing-to-do" : isCheck ? "check" : "written",
    closed: choices.map((c) => ({
      group: c.group.name,
      file: c.group.source.file,
      due: c.due,
      isPastDue: c.isPastDue,
      revoked: c.revoke,
      stale: c.stale,
      keptThrough: c.keptThrough,
    })),
    files,
  });
}
