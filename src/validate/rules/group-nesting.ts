import type { AccessModel, Group, MemberEntry } from "../../model/access.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import type { Rule } from "../rule.ts";
import { canonicalCycle, formatCycle, report } from "./report.ts";
import { detailedEntries } from "../../model/member-entry.ts";

type NestedEntry = Extract<MemberEntry, { kind: "group" }>;

/** The entries naming a defined group, for each group that has any. */
type Nesting = ReadonlyMap<Group, readonly NestedEntry[]>;

/**
 * Found in one pass over every member entry: few groups nest others, and the walks below visit only
 * those instead of filtering each group's members again at every step.
 */
function nestedEntriesByGroup(model: AccessModel): Nesting {
  const out = new Map<Group, NestedEntry[]>();
  for (const group of model.groups.values()) {
    let nested: NestedEntry[] | undefined;
    for (const [, entry] of detailedEntries(group))
      if (entry.kind === "group" && model.groups.has(entry.group)) (nested ??= []).push(entry);
    if (nested) out.set(group, nested);
  }
  return out;
}

/** Every cycle of nested groups, once each, with the entry that closes it. */
function findCycles(model: AccessModel, nesting: Nesting): Diagnostic[] {
  const out: Diagnostic[] = [];
  const reported = new Set<string>();
  const state = new Map<string, "active" | "done">();
  const stack: string[] = [];
  const visit = (name: string): void => {
    const group = model.groups.get(name);
    const entries = group && nesting.get(group);
    // A group that nests nothing cannot be part of a cycle: it needs no visit.
    if (!entries) return;
    state.set(name, "active");
    stack.push(name);
    for (const entry of entries) {
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
  for (const [name, group] of model.groups) if (nesting.has(group) && !state.has(name)) visit(name);
  return out;
}

/** The longest chain of nested groups below `name` (cycles cut), as group names after it. */
function longestChain(
  model: AccessModel,
  nesting: Nesting,
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
  for (const entry of nesting.get(group) ?? []) {
    if (path.has(entry.group)) continue;
    const chain = [entry.group, ...longestChain(model, nesting, memo, entry.group, path)];
    if (chain.length > best.length) best = chain;
  }
  path.delete(name);
  memo.set(name, best);
  return best;
}

const NO_CHAIN: readonly string[] = [];

/** Nested-group cycles, and nesting deeper than policy.maxNestingDepth (depth = group hops). */
export const groupNesting: Rule = {
  name: "group-nesting",
  codes: ["GH213", "GH214"],
  check({ model }) {
    const nesting = nestedEntriesByGroup(model);
    const out = findCycles(model, nesting);
    const max = model.config.policy.maxNestingDepth;
    const memo = new Map<string, string[]>();
    for (const group of model.groups.values()) {
      const entries = nesting.get(group);
      const chain = entries ? longestChain(model, nesting, memo, group.name, new Set()) : NO_CHAIN;
      if (chain.length <= max) continue;
      const first = entries?.find((e) => e.group === chain[0]);
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
