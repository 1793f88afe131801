import type { Change, Plan, PlanNote, Reason } from "../plan/types.ts";
import { formatLocation } from "../model/source.ts";
import { plural } from "../model/lists.ts";

export const REASON_TEXT: Readonly<Record<Reason, string>> = {
  "added-in-config": "added in config",
  "removed-from-config": "removed from config",
  "role-baseline": "role baseline",
  "grant-expired": "grant expired",
  "user-terminated": "user terminated",
  "user-on-leave": "user on leave",
  "not-started": "not started yet",
  drift: "drift",
  "not-in-config": "not in config",
  "holds-no-group": "holds no group here (users: members)",
};

/** "+", "-" or "~" for a change, Terraform style. */
export function symbolOf(change: Change): "+" | "-" | "~" {
  switch (change.action) {
    case "create":
    case "add":
    case "enable":
      return "+";
    case "remove":
    case "delete":
    case "disable":
    case "revoke-sessions":
      return "-";
    case "update":
      return "~";
  }
}

/** One-line description of what a change does, without decoration. */
export function describeChange(change: Change): string {
  switch (change.kind) {
    case "user":
      switch (change.action) {
        case "create":
          return `create user ${change.account}`;
        case "update": {
          const rename = change.fields.find((f) => f.field === "account");
          const rest = change.fields.filter((f) => f !== rename);
          const diff = rest
            .map((f) => `${f.field} ${JSON.stringify(f.before)} → ${JSON.stringify(f.after)}`)
            .join(", ");
          if (rename)
            return `rename user ${change.account} to ${String(rename.after)}${diff === "" ? "" : `: ${diff}`}`;
          return `update user ${change.account}: ${diff}`;
        }
        case "enable":
          return `enable user ${change.account}`;
        case "disable":
          return `disable user ${change.account}${change.adminRole === undefined ? "" : ` (${change.adminRole})`}`;
        case "delete":
          return `delete user ${change.account}${change.adminRole === undefined ? "" : ` (${change.adminRole})`}`;
        case "revoke-sessions":
          return `revoke ${String(change.sessions)} session(s) and ${String(change.tokens)} token(s) of ${change.account}`;
      }
      break;
    case "group":
      switch (change.action) {
        case "create":
          return `create group ${change.group}`;
        case "update": {
          const rename = change.fields.find((f) => f.field === "name");
          if (rename) return `rename group ${change.group} to ${String(rename.after)}`;
          return `update group ${change.group}: ${change.fields.map((f) => `${f.field} → ${JSON.stringify(f.after)}`).join(", ")}`;
        }
        case "delete":
          return `delete group ${change.group} (${plural(change.memberCount, "member", "members")})`;
      }
      break;
    case "membership":
      return change.action === "add"
        ? `add ${change.memberKind === "group" ? "group " : ""}${change.member} to ${change.group}${change.role ? ` as ${change.role}` : ""}${change.until === undefined ? "" : ` until ${change.until}`}`
        : `remove ${change.memberKind === "group" ? "group " : ""}${change.member} from ${change.group}${change.reaches === undefined ? "" : ` (${String(change.reaches)} people lose access through it)`}${change.renamedTo === undefined ? "" : ` (its former name: renamed to ${change.renamedTo})`}`;
  }
}

/**
 * A change's why (the role that matched, the group it comes through, the leaver rule), to follow its
 * reason on the change's line: "role baseline" alone does not say which role. Each line goes through
 * `shown` (the output's escaping: one line of terminal text, or Markdown text); "" without one.
 */
export function whyAfterReason(change: Change, shown: (line: string) => string): string {
  const why = change.why ?? [];
  return why.length === 0 ? "" : ` — ${why.map(shown).join("; ")}`;
}

export function describeWhy(change: Change): string {
  const parts = [REASON_TEXT[change.reason]];
  if (change.source) parts.push(formatLocation(change.source));
  return parts.join(", ");
}

/**
 * The plan's notes of the system `name`: not those of a webhook of the same name (a "webhook-owed" note's
 * provider is the webhook's name).
 */
export function systemNotes(plan: Plan, name: string): PlanNote[] {
  return plan.notes.filter((n) => n.provider === name && n.kind !== "webhook-owed");
}

/** The plan's notes of webhook deliveries still owed, which the next apply sends again (no system's). */
export function webhookNotes(plan: Plan): PlanNote[] {
  return plan.notes.filter((n) => n.kind === "webhook-owed");
}

/**
 * The plan's notes of systems it did not read (none of `plan.providers`), by system in note order: the
 * open offboarding verdicts of a system gatehouse.yaml no longer has.
 */
export function unplannedNotes(plan: Plan): Map<string, PlanNote[]> {
  const planned = new Set(plan.providers.map((p) => p.name));
  const out = new Map<string, PlanNote[]>();
  for (const note of plan.notes) {
    if (planned.has(note.provider) || note.kind === "webhook-owed") continue;
    const list = out.get(note.provider);
    if (list) list.push(note);
    else out.set(note.provider, [note]);
  }
  return out;
}
