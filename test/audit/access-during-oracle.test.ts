import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { appendJournalEntries, type NewJournalEntry } from "../../src/audit/journal.ts";
import { accessAt, type AccessAtResult } from "../../src/audit/access-at.ts";
import { accessDuring, stretchesOf, type AccessDuringResult } from "../../src/audit/access-during.ts";
import { membershipAddress } from "../../src/plan/addresses.ts";
import type { Change, Reason } from "../../src/plan/types.ts";
import { seededRandom } from "../helpers/random.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/**
 * accessDuring as it was before it read the journal a bounded number of times: accessAt once at the window's
 * end, once at its start and once more at each instant the group changed inside it, each a whole read of
 * the journal. Kept here as the oracle of those answers; the stretches are made from them by the same
 * stretchesOf.
 */
async function accessDuringOracle(
  journalPath: string,
  query: { readonly group: string; readonly since: Date; readonly until: Date; readonly provider?: string },
): Promise<AccessDuringResult> {
  const ask = (at: Date, from?: Date): Promise<AccessAtResult> =>
    accessAt(journalPath, {
      group: query.group,
      at,
      ...(query.provider === undefined ? {} : { provider: query.provider }),
      ...(from === undefined ? {} : { from }),
    });
  const last = await ask(query.until, query.since);
  const instants = [...new Set(Object.values(last.changedAt ?? {}).flat())]
    .filter((at) => at !== last.at)
    .sort();
  const answers = [await ask(query.since)];
  for (const at of instants) answers.push(await ask(new Date(at)));
  answers.push(last);
  return stretchesOf(query.since, answers);
}

const PROVIDERS = ["app", "dir"] as const;
const GROUP_NAMES = ["ops", "dev", "sec", "ops-2", "team", "old"];
const ACCOUNTS = ["ann", "bob", "cy", "dee", "eve", "fay", "gus", "hal"];
const DAY = 86_400_000;
const START = Date.parse("2026-01-01T09:00:00.000Z");

/**
 * A journal of `runs` random runs over two systems: members added (from the files, as drift, for a grant
 * that ends) and removed (some never added: held outside gatehouse), groups renamed, made and deleted (a
 * name taken again by another group), accounts renamed in place and deleted, changes that failed, adds
 * announced and never answered (a killed run), runs at the same instant or earlier than the last.
 */
function randomJournal(random: () => number, runs: number): { entries: NewJournalEntry[]; end: number } {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const entries: NewJournalEntry[] = [];
  // What each system holds, as far as the generator tracks it: group → members (kind\nname).
  const held = new Map<string, Map<string, Set<string>>>(
    PROVIDERS.map((p) => [p, new Map(["ops", "dev", "sec"].map((g) => [g, new Set<string>()]))]),
  );
  let time = START;
  for (let run = 0; run < runs; run++) {
    const r = random();
    time += r < 0.1 ? 0 : r < 0.15 ? -DAY / 2 : Math.ceil(random() * 3) * DAY;
    const at = new Date(time).toISOString();
    const provider = pick(PROVIDERS);
    const groups = held.get(provider) ?? new Map<string, Set<string>>();
    const runSeq = entries.length + 1;
    entries.push({
      type: "apply-start",
      at,
      actor: pick(["ci", "ann"]),
      ...(random() < 0.8 ? { commit: `c${String(run)}${random() < 0.1 ? "+dirty" : ""}` } : {}),
      planDigest: "p",
      desiredDigest: "d",
      providers: [provider],
      modes: { [provider]: pick(["authoritative", "additive"] as const) },
      changes: 0,
      ...(random() < 0.2
        ? { approvals: { repo: "acme/access", commits: [], ...(random() < 0.5 ? { error: "offline" } : {}) } }
        : {}),
      ...(random() < 0.2 ? { overrides: { allowRemovals: 3, accepted: ["too many removals"] } } : {}),
    });
    const changes: Change[] = [];
    const count = 1 + Math.floor(random() * 4);
    for (let i = 0; i < count; i++) {
      const change = randomChange(random, pick, provider, groups);
      if (change !== undefined) changes.push(change);
    }
    const granting = changes.filter((c) => c.kind === "membership" && c.action === "add");
    if (granting.length > 0 && random() < 0.5)
      entries.push({ type: "intent", at, runSeq, provider, changeIds: granting.map((c) => c.id) });
    const killed = random() < 0.08; // the run died after its intent: its adds have no outcome
    for (const change of changes) {
      if (killed && change.kind === "membership" && change.action === "add") continue;
      const outcome = random() < 0.1 ? pick(["failed", "skipped"] as const) : "applied";
      entries.push({ type: "change", at, runSeq, provider, changeId: change.id, change, outcome });
      if (outcome === "applied") track(groups, change);
    }
  }
  return { entries, end: time };
}

function randomChange(
  random: () => number,
  pick: <T>(items: readonly T[]) => T,
  provider: string,
  groups: Map<string, Set<string>>,
): Change | undefined {
  const r = random();
  const group = groups.size > 0 && random() < 0.9 ? pick([...groups.keys()]) : pick(GROUP_NAMES);
  const base = {
    provider,
    risk: "neutral" as const,
    ...(random() < 0.5 ? { why: [pick(["role x", "y"])] } : {}),
  };
  if (r < 0.4) {
    const memberKind = random() < 0.1 ? ("group" as const) : ("user" as const);
    const member = memberKind === "group" ? pick(GROUP_NAMES) : pick(ACCOUNTS);
    const isHeld = groups.get(group)?.has(`${memberKind}\n${member}`) ?? false;
    const reason: Reason = isHeld || random() < 0.2 ? "drift" : pick(["added-in-config", "role-baseline"]);
    return {
      ...base,
      id: membershipAddress(provider, group, member, memberKind),
      kind: "membership",
      action: "add",
      reason,
      group,
      member,
      memberKind,
      ...(random() < 0.3 ? { until: new Date(START + Math.floor(random() * 60) * DAY).toISOString() } : {}),
    };
  }
  if (r < 0.65) {
    const members = [...(groups.get(group) ?? [])];
    // Mostly a member gatehouse added; else one it never added (held outside gatehouse).
    const [memberKind, member] = (
      members.length > 0 && random() < 0.8 ? pick(members) : `user\n${pick(ACCOUNTS)}`
    ).split("\n") as ["user" | "group", string];
    return {
      ...base,
      id: membershipAddress(provider, group, member, memberKind),
      kind: "membership",
      action: "remove",
      reason: pick(["removed-from-config", "grant-expired", "user-terminated", "drift"] as const),
      group,
      member,
      memberKind,
    };
  }
  if (r < 0.75) {
    const to = pick(GROUP_NAMES);
    if (to === group) return undefined;
    return {
      ...base,
      id: `${provider}:group/${group}`,
      kind: "group",
      action: "update",
      reason: "added-in-config",
      group,
      fields: [{ field: "name", before: group, after: to }],
    };
  }
  if (r < 0.8)
    return random() < 0.5
      ? {
          ...base,
          id: `${provider}:group/${group}`,
          kind: "group",
          action: "delete",
          reason: "not-in-config",
          group,
          memberCount: 0,
        }
      : {
          ...base,
          id: `${provider}:group/${group}`,
          kind: "group",
          action: "create",
          reason: "added-in-config",
          group,
        };
  const account = pick(ACCOUNTS);
  if (r < 0.92)
    return {
      ...base,
      id: `${provider}:user/${account}`,
      kind: "user",
      action: "update",
      reason: "added-in-config",
      account,
      fields: [{ field: "account", before: account, after: pick(ACCOUNTS) }],
      after: {},
    };
  return {
    ...base,
    id: `${provider}:user/${account}`,
    kind: "user",
    action: "delete",
    reason: "user-terminated",
    account,
  };
}

/** The generator's idea of what the system holds now, so removals and renames mostly touch real things. */
function track(groups: Map<string, Set<string>>, change: Change): void {
  if (change.kind === "membership") {
    let members = groups.get(change.group);
    if (!members) groups.set(change.group, (members = new Set<string>()));
    if (change.action === "add") members.add(`${change.memberKind}\n${change.member}`);
    else members.delete(`${change.memberKind}\n${change.member}`);
  }
  if (change.kind !== "group") return;
  if (change.action === "create") groups.set(change.group, groups.get(change.group) ?? new Set<string>());
  if (change.action === "delete") groups.delete(change.group);
  const to = change.action === "update" ? change.fields[0]?.after : undefined;
  if (typeof to === "string") {
    groups.set(to, groups.get(change.group) ?? new Set<string>());
    groups.delete(change.group);
  }
}

it("answers every window as accessAt at each instant the group changed would, on random journals", async () => {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-during-"));
  dirs.push(dir);
  let compared = 0;
  const seen = new Map<string, number>(); // answers that show each case
  const CASES = [
    '"endedBy"',
    '"foundMissingAt"',
    '"keptPastUntil"',
    '"earlier"',
    '"unconfirmed":[{',
    '"outside":[{',
  ];
  for (let seed = 1; seed <= 40; seed++) {
    const random = seededRandom(seed);
    const journal = join(dir, `journal-${String(seed)}.jsonl`);
    const { entries, end } = randomJournal(random, 20 + Math.floor(random() * 40));
    await appendJournalEntries(journal, entries);
    for (let w = 0; w < 8; w++) {
      const a = START - 2 * DAY + Math.floor(random() * (end - START + 4 * DAY));
      const b = a + Math.floor(random() * (end - START + 2 * DAY) * (random() < 0.3 ? 0.05 : 1));
      const query = {
        group: [...GROUP_NAMES, "nobody"][Math.floor(random() * (GROUP_NAMES.length + 1))] ?? "ops",
        since: new Date(a),
        until: new Date(b),
        ...(random() < 0.3 ? { provider: PROVIDERS[Math.floor(random() * 2)] ?? "app" } : {}),
      };
      const expected = JSON.stringify(await accessDuringOracle(journal, query));
      expect(
        JSON.stringify(await accessDuring(journal, query)),
        `seed ${String(seed)}, window ${String(w)}`,
      ).toBe(expected);
      compared++;
      for (const key of CASES) if (expected.includes(key)) seen.set(key, (seen.get(key) ?? 0) + 1);
      if (/"names":\["[^"]*","/.test(expected)) seen.set("renamed", (seen.get("renamed") ?? 0) + 1);
    }
  }
  // The journals must make the cases that matter, or agreeing proves little.
  expect(compared).toBe(320);
  for (const key of [...CASES, "renamed"]) expect(seen.get(key) ?? 0, key).toBeGreaterThan(10);
});

/** One change a run applied at `at` (its runSeq set once the journal's order is known). */
const run = (at: string, change: Change): NewJournalEntry[] => [
  {
    type: "apply-start",
    at,
    actor: "ci",
    planDigest: "p",
    desiredDigest: "d",
    providers: ["app"],
    changes: 1,
  },
  { type: "change", at, runSeq: 0, provider: "app", changeId: change.id, change, outcome: "applied" },
];
const member = (account: string, reason: Reason): Change => ({
  id: membershipAddress("app", "ops", account, "user"),
  provider: "app",
  risk: "neutral",
  kind: "membership",
  action: "add",
  reason,
  group: "ops",
  member: account,
  memberKind: "user",
});
const accountChange = (account: string) =>
  ({ id: `app:user/${account}`, provider: "app", risk: "neutral", kind: "user", account }) as const;
const renameAccount = (from: string, to: string): Change => ({
  ...accountChange(from),
  action: "update",
  reason: "added-in-config",
  fields: [{ field: "account", before: from, after: to }],
  after: {},
});
/**
 * ann and bob held ops in January; the group was deleted on the 7th (not a change of its members, so their
 * stretches end at the window's end as the answer at the 5th saw them). `later` happens in February.
 */
const january = [
  run("2026-01-01T09:00:00.000Z", member("ann", "added-in-config")),
  run("2026-01-05T09:00:00.000Z", member("bob", "added-in-config")),
  run("2026-01-07T09:00:00.000Z", {
    id: "app:group/ops",
    provider: "app",
    risk: "narrows",
    kind: "group",
    action: "delete",
    reason: "not-in-config",
    group: "ops",
    memberCount: 2,
  }),
];

it.each([
  {
    name: "an account made later under ann's name, deleted and renamed, is not ann",
    later: [
      run("2026-02-01T09:00:00.000Z", {
        ...accountChange("ann"),
        action: "delete",
        reason: "user-terminated",
      }),
      run("2026-02-02T09:00:00.000Z", renameAccount("ann", "ann2")),
      run("2026-02-03T09:00:00.000Z", member("ann2", "drift")),
    ],
    foundMissingAt: undefined,
  },
  {
    name: "ann renamed twice is still ann, found missing under her last name",
    later: [
      run("2026-02-02T09:00:00.000Z", renameAccount("ann", "ann2")),
      run("2026-02-03T09:00:00.000Z", renameAccount("ann2", "ann3")),
      run("2026-02-04T09:00:00.000Z", member("ann3", "drift")),
    ],
    foundMissingAt: "2026-02-04T09:00:00.000Z",
  },
])(
  "follows account renames after the window as the old query did: $name",
  async ({ later, foundMissingAt }) => {
    const dir = await mkdtemp(join(tmpdir(), "gatehouse-during-"));
    dirs.push(dir);
    const journal = join(dir, "journal.jsonl");
    const entries = [...january, ...later].flatMap((entries, i) =>
      entries.map((e) => (e.type === "change" ? { ...e, runSeq: 2 * i + 1 } : e)),
    );
    await appendJournalEntries(journal, entries);
    const query = { group: "ops", since: new Date("2026-01-02"), until: new Date("2026-01-10") };

    const answer = await accessDuring(journal, query);
    expect(answer.groups[0]?.members.map((m) => [m.member, m.foundMissingAt])).toEqual([
      ["ann", foundMissingAt],
      ["bob", undefined],
    ]);
    expect(JSON.stringify(answer)).toBe(JSON.stringify(await accessDuringOracle(journal, query)));
  },
);
