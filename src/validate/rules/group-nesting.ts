import type { AccessModel, Group, MemberEntry } from "../../model/access.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import type { Rule } from "../rule.ts";
import { canonicalCycle, formatCycle, report } from "./report.ts";

type NestedEntry = Extract<MemberEntry, { kind: "group" }>;

function nestedEntries(group: Group, model: AccessModel): NestedEntry[] {
  return (group.members ?? []).filter(
    (e): e is NestedEntry => e.kind === "group" && model.groups.has(e.group),
  );
}

/** Every cycle of nested groups, once each, with the entry that closes it. */
function findCycles(model: AccessModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const reported = new Set<string>();
  const state = new Map<string, "active" | "done">();
  const stack: string[] = [];
  const visit = (name: string): void => {
    const group = model.groups.get(name);
    if (!group) return;
    state.set(name, "active");
    stack.push(name);
    for (const entry of nestedEntries(group, model)) {
      const seen = state.get(entry.group);
      if (seen === "active") {
        const cycle = stack.slice(stack.indexOf(entry.group));
        const key = canonicalCycle(cycle).join("\0");
        if (reported.has(key)) continue;
        reported.add(key);
        out.push(
          report(
            "error",
            "GH213",
            `nested groups form a cycle: ${formatCycle(cycle)}. Remove one of these nestings.`,
            entry.source,
          ),
        );
      } else if (seen === undefined) visit(entry.group);
    }
    stack.pop();
    state.set(name, "done");
  };
  for (const name of model.groups.keys()) if (!state.has(name)) visit(name);
  return out;
}

/** The longest chain of nested groups below `name` (cycles cut), as group names after it. */
function longestChain(
  model: AccessModel,
  memo: Map<string, string[]>,
  name: string,
  path: Set<string>,
): string[] {
  const done = memo.get(name);
  if (done) return done;
  const group = model.groups.get(name);
  if (!group || path.has(name)) return [];
  path.add(name);
  let best: string[] = [];
  for (const entry of nestedEntries(group, model)) {
    if (path.has(entry.group)) continue;
    const chain = [entry.group, ...longestChain(model, memo, entry.group, path)];
    if (chain.length > best.length) best = chain;
  }
  path.delete(name);
  memo.set(name, best);
  return best;
}

/** Nested-group cycles, and nesting deeper than policy.maxNestingDepth (depth = group hops). */
export const groupNesting: Rule = {
  name: "group-nesting",
  codes: ["GH213", "GH214"],
  check({ model }) {
    const out = findCycles(model);
    const max = model.config.policy.maxNestingDepth;
    const memo = new Map<string, string[]>();
    for (const group of model.groups.values()) {
      const chain = longestChain(model, memo, group.name, new Set());
      if (chain.length <= max) continue;
      const first = nestedEntries(group, model).find((e) => e.group === chain[0]);
      out.push(
        report(
          "error",
          "GH214",
          `group "${group.name}" nests groups ${String(chain.length)} deep (${[group.name, ...chain].join(" → ")}); ` +
            `policy.maxNestingDepth is ${String(max)}. List the inner members directly or flatten a level.`,
          first?.source ?? group.source,
        ),
      );
    }
    return out;
  },
};
