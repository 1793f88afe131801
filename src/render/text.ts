import type { Plan } from "../plan/types.ts";
import { countedWithAccounts, removalCount } from "../plan/safety.ts";
import { plural } from "../model/lists.ts";
import {
  describeChange,
  describeWhy,
  symbolOf,
  systemNotes,
  unplannedNotes,
  webhookNotes,
  whyAfterReason,
} from "./describe.ts";
import { inlineText, terminal, TerminalText } from "./terminal-text.ts";

export interface TextOptions {
  /** ANSI colours; the CLI turns them on only for a TTY. */
  readonly color: boolean;
  /** Print each change's provenance (why) on lines of their own; otherwise it ends the change's line. */
  readonly verbose?: boolean;
}

const COLORS = { "+": terminal`\u001b[32m`, "-": terminal`\u001b[31m`, "~": terminal`\u001b[33m` } as const;
const RESET = terminal`\u001b[0m`;
const DIM = terminal`\u001b[2m`;

export function renderSummaryLine(plan: Plan): string {
  const s = plan.summary;
  if (s.changes === 0) {
    // Before any other kind: a leaver's access that no plan removes, and that nothing else will show.
    if (plan.notes.some((n) => n.kind === "access-left"))
      return "No changes to apply, but offboarding checks found leavers' access left, noted above: remove it in those systems; the next apply checks again.";
    if (plan.notes.some((n) => n.kind === "webhook-owed"))
      return "No changes to apply, but offboarding webhook deliveries are owed, noted above: apply sends them again.";
    const observed = plan.notes.filter((n) => n.kind === "observed").length;
    if (observed > 0)
      return `No changes to apply, but ${String(observed)} difference(s) in systems gatehouse only observes (mode: observe), noted above.`;
    if (plan.notes.some((n) => n.kind === "kept"))
      return "No changes to apply. Live systems hold memberships the access files do not grant, kept (mode: additive), noted above.";
    return plan.notes.some((n) => n.kind === "unmanaged")
      ? "No changes to apply, but live systems hold access gatehouse does not manage, noted above."
      : "No changes. Live systems match the access files.";
  }
  const line = `Plan: ${String(s.changes)} change(s): ${String(s.broadens)} broaden access, ${String(s.narrows)} narrow access, ${String(s.changes - s.broadens - s.narrows)} neutral.`;
  // A deleted group or a nested group taken out is one change that takes access from many people; a
  // GitHub team membership that ends with its account's removal from the organization takes nothing more.
  const { removals, withAccount } = removalCount(plan);
  if (removals <= s.narrows && withAccount === 0) return line;
  const counted = countedWithAccounts(withAccount);
  return `${line} They remove ${plural(removals, "membership or account", "memberships or accounts")}, as the guard rails count them (a deleted group's members, those of a nested group taken out, an account renamed in place${counted === "" ? "" : `; ${counted}`}).`;
}

/**
 * Terminal view: per provider, one line per change with + / - / ~, its reason and source line. Control
 * characters in names and messages are escaped (terminalSafe); the colours are the only escape codes.
 */
export function renderText(plan: Plan, options: TextOptions): string {
  return [...renderTextPieces(plan, options)].map((piece) => piece.text).join("");
}

/** Lines this many at a time: the text of a plan of millions of changes does not fit in one string. */
const LINES_PER_PIECE = 10_000;

/**
 * renderText in pieces of whole lines, for the terminal: the colours are added around names and
 * messages already escaped, so that a name cannot carry an escape code that passes for a colour.
 */
export function* renderTextPieces(plan: Plan, options: TextOptions): Generator<TerminalText> {
  let lines: (string | TerminalText)[] = [];
  const paint = (sym: "+" | "-" | "~", text: string): string | TerminalText =>
    options.color ? terminal`${COLORS[sym]}${text}${RESET}` : text;
  const dim = (text: string): string | TerminalText =>
    options.color ? terminal`${DIM}${text}${RESET}` : text;
  for (const provider of plan.providers) {
    const changes = plan.changes.filter((c) => c.provider === provider.name);
    const notes = systemNotes(plan, provider.name);
    lines.push(
      `${provider.name} (${provider.type}, ${provider.mode}): ${String(changes.length)} change(s); live: ${String(provider.liveUsers)} users, ${String(provider.liveGroups)} groups, ${String(provider.liveMemberships)} memberships; ${String(provider.readCalls)} read call(s)`,
    );
    for (const c of changes) {
      const sym = symbolOf(c);
      const isVerbose = options.verbose === true;
      // Each why on one line however it is spelled; --verbose gives each a line of its own instead.
      const reason = `(${describeWhy(c)})${isVerbose ? "" : whyAfterReason(c, inlineText)}`;
      lines.push(terminal`  ${paint(sym, `${sym} ${describeChange(c)}`)}  ${dim(reason)}`);
      if (isVerbose) for (const why of c.why ?? []) lines.push(terminal`      ${dim(inlineText(why))}`);
      if (lines.length >= LINES_PER_PIECE) {
        yield joinLines(lines);
        lines = [];
      }
    }
    for (const n of notes) {
      lines.push(terminal`  ${dim(`note: ${n.message}`)}`);
      if (lines.length >= LINES_PER_PIECE) {
        yield joinLines(lines);
        lines = [];
      }
    }
    lines.push("");
  }
  // Notes of a system the plan did not read: an open verdict of one gatehouse.yaml no longer has.
  for (const [name, notes] of unplannedNotes(plan)) {
    lines.push(`${name} (not in gatehouse.yaml any more):`);
    for (const n of notes) lines.push(terminal`  ${dim(`note: ${n.message}`)}`);
    lines.push("");
  }
  // Deliveries earlier applies owe downstream systems: no system's change, sent by the next apply.
  const owed = webhookNotes(plan);
  if (owed.length > 0) {
    lines.push("Offboarding webhooks (policy.offboarding.webhooks):");
    for (const n of owed) lines.push(terminal`  ${dim(`note: ${n.message}`)}`);
    lines.push("");
  }
  lines.push(renderSummaryLine(plan));
  yield joinLines(lines);
}

function joinLines(lines: readonly (string | TerminalText)[]): TerminalText {
  return TerminalText.join([...lines, ""], "\n");
}
