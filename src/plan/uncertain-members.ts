/**
 * A member taken out of a nested group may still be a direct member of its parent, where the system cannot
 * tell (LiveGroup.uncertainMembers: GitHub lists child-team members in the parent). Once they are out of
 * every nested group, the next read shows them as a direct member, and the next plan removes them there:
 * a removal nobody reviewed in this plan. The note says so here, where reviewers read it.
 */
import type { Change } from "./types.ts";
import type { PlanSink } from "./context.ts";

export function noteUncertainMembers(sink: PlanSink, changes: readonly Change[]): void {
  const { live, desired, name: provider } = sink.input;
  const parents = live.groups.filter((g) => (g.uncertainMembers ?? []).length > 0);
  if (parents.length === 0) return;
  const mine = changes.filter((c) => c.provider === provider);
  const leaving = new Set(
    mine.flatMap((c) =>
      c.kind === "user" && (c.action === "disable" || c.action === "delete") ? [c.account] : [],
    ),
  );
  const removed = new Map<string, Set<string>>(); // group → accounts this plan takes out of it
  for (const c of mine)
    if (c.kind === "membership" && c.action === "remove" && c.memberKind === "user")
      removed.set(c.group, (removed.get(c.group) ?? new Set()).add(c.member));
  for (const parent of parents) {
    const children = parent.groupMembers ?? [];
    for (const account of parent.uncertainMembers ?? []) {
      if (leaving.has(account) || desired.groups.get(parent.name)?.members.has(account) === true) continue;
      const holding = children.filter((c) =>
        live.groups.find((g) => g.name === c)?.members.includes(account),
      );
      const out = holding.filter((c) => removed.get(c)?.has(account) === true);
      if (out.length === 0 || out.length < holding.length) continue;
      sink.note(
        "info",
        `${account} is taken out of ${out.join(", ")}, and ${provider} also lists them in ${parent.name}, without saying whether they are a direct member there too: if they are, the next plan removes them from ${parent.name} (the files do not give it to them). Add them to ${parent.name} in the files to keep it`,
      );
    }
  }
}
