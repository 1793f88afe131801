/**
 * Randomized organizations and live directories (seeded, so a failure names its seed): the plan is
 * computed, saved and applied to the embedded directory, and checked against rules that do not come from
 * the planner itself:
 * - apply changes exactly what the saved plan lists (each membership and account the directory gains or
 *   loses is a change of the plan, and the other way round);
 * - someone active and started, listed in a group's members (no grant end passed), is never removed from
 *   it, and holds it afterwards;
 * - a leaver (status terminated, or an end date passed) holds no group and no enabled account afterwards;
 * - in additive mode, with nothing applied before, only leavers and expired grants lose memberships;
 * - a second plan right after has no changes.
 * Seeds 1-40 run by default; SEED_FROM and SEED_TO run others (1-250 passed when this was written). A
 * planted bug (people on leave treated as gone) fails seed 5.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";
import { seededRandom as random } from "../helpers/random.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const NOW = new Date("2026-06-01T12:00:00Z");
const DAY = 86_400_000;
const DEPARTMENTS = ["ENG", "OPS", "SALES"] as const;

interface Person {
  readonly id: string;
  readonly department: string;
  readonly status: "active" | "leave" | "terminated";
  readonly startDate?: string;
  readonly endDate?: string;
}

interface Line {
  readonly user?: string;
  readonly until?: string;
  readonly group?: string;
}

interface Org {
  readonly mode: "authoritative" | "additive";
  readonly people: readonly Person[];
  readonly groups: ReadonlyMap<string, { owners: string[]; members: Line[] }>;
  readonly roles: readonly { department: string; groups: string[] }[];
}

const day = (offsetDays: number): string =>
  new Date(NOW.getTime() + offsetDays * DAY).toISOString().slice(0, 10);

function makeOrg(next: () => number): Org {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const people: Person[] = [];
  const count = 4 + Math.floor(next() * 7);
  for (let i = 0; i < count; i++) {
    const roll = next();
    const status = roll < 0.15 ? "terminated" : roll < 0.25 ? "leave" : "active";
    const endRoll = next();
    const startDate = next() < 0.15 ? day(1 + Math.floor(next() * 30)) : undefined;
    // An end date only without a start ahead (GH225 refuses a start after the end).
    const endDate =
      status !== "terminated" && startDate === undefined && endRoll < 0.2
        ? day(endRoll < 0.1 ? -1 - Math.floor(next() * 20) : 5)
        : undefined;
    people.push({
      id: `u${String(i)}`,
      department: pick(DEPARTMENTS),
      status,
      ...(startDate === undefined ? {} : { startDate }),
      ...(endDate === undefined ? {} : { endDate }),
    });
  }
  // Owners stay (GH218 would refuse a group whose every owner is terminated).
  const owner = people.find((p) => p.status === "active" && p.endDate === undefined)?.id ?? "boss";
  if (owner === "boss") people.push({ id: "boss", department: "OPS", status: "active" });
  const groups = new Map<string, { owners: string[]; members: Line[] }>();
  const groupCount = 3 + Math.floor(next() * 4);
  for (let g = 0; g < groupCount; g++) {
    const members: Line[] = [];
    for (const p of people) {
      const roll = next();
      if (roll < 0.3) members.push({ user: p.id });
      else if (roll < 0.4)
        members.push({
          user: p.id,
          until: new Date(
            NOW.getTime() + (next() < 0.5 ? -1 : 1) * (1 + Math.floor(next() * 10)) * DAY,
          ).toISOString(),
        });
    }
    // One nesting (g0 holds g1): no cycles, within policy.maxNestingDepth.
    if (g === 0 && next() < 0.5) members.push({ group: `g${String(g + 1)}` });
    groups.set(`g${String(g)}`, { owners: [owner], members });
  }
  const roles = DEPARTMENTS.filter(() => next() < 0.5).map((department) => ({
    department,
    groups: [pick([...groups.keys()])],
  }));
  return { mode: next() < 0.5 ? "authoritative" : "additive", people, groups, roles };
}

function filesOf(org: Org): Record<string, string> {
  const users = org.people
    .map(
      (p) =>
        `  - { id: ${p.id}, name: ${p.id.toUpperCase()}, department: ${p.department}, status: ${p.status}` +
        `${p.startDate ? `, startDate: ${p.startDate}` : ""}${p.endDate ? `, endDate: ${p.endDate}` : ""} }`,
    )
    .join("\n");
  const groups = [...org.groups]
    .map(([name, g]) => {
      const lines = g.members.map((m) =>
        m.group !== undefined
          ? `      - { group: ${m.group} }`
          : m.until !== undefined
            ? `      - { user: ${m.user ?? ""}, until: "${m.until}", reason: test }`
            : `      - ${m.user ?? ""}`,
      );
      return `  - name: ${name}\n    owners: [${g.owners.join(", ")}]\n    members:${lines.length === 0 ? " []" : "\n" + lines.join("\n")}`;
    })
    .join("\n");
  const roles = org.roles
    .map(
      (r, i) =>
        `  - name: r${String(i)}\n    when: { department: ${r.department} }\n    groups: [${r.groups.join(", ")}]`,
    )
    .join("\n");
  return {
    "gatehouse.yaml":
      `providers:\n  app: { type: local, path: .gatehouse/app.json, mode: ${org.mode} }\n` +
      'policy:\n  guardrails: { maxRemovals: "100%" }\n',
    "users/people.yaml": `users:\n${users}\n`,
    "groups/groups.yaml": `groups:\n${groups}\n`,
    ...(roles === "" ? {} : { "roles/roles.yaml": `roles:\n${roles}\n` }),
  };
}

interface Directory {
  formatVersion: 1;
  users: { account: string; enabled: boolean; sessions: never[]; tokens: never[] }[];
  groups: { name: string; members: string[]; groupMembers: string[] }[];
}

/** A live directory that holds some of the people (some disabled), strangers, and groups with anyone in them. */
function makeLive(org: Org, next: () => number): Directory {
  const accounts = [...org.people.map((p) => p.id), "x0", "x1"].filter(() => next() < 0.75);
  const users = accounts
    .map((account) => ({ account, enabled: next() < 0.85, sessions: [], tokens: [] }))
    .sort((a, b) => (a.account < b.account ? -1 : 1));
  const groups = [...org.groups.keys(), "stray"]
    .filter(() => next() < 0.8)
    .map((name) => ({
      name,
      members: accounts.filter(() => next() < 0.4).sort(),
      groupMembers: [],
    }));
  return { formatVersion: 1, users, groups };
}

interface PlanChange {
  readonly kind: string;
  readonly action: string;
  readonly group?: string;
  readonly member?: string;
  readonly memberKind?: string;
  readonly account?: string;
}

const isLeaver = (p: Person): boolean =>
  p.status === "terminated" || (p.endDate !== undefined && Date.parse(p.endDate) < NOW.getTime());
const hasStarted = (p: Person): boolean =>
  p.startDate === undefined || Date.parse(p.startDate) <= NOW.getTime();

function membershipsOf(d: Directory): Set<string> {
  return new Set(d.groups.flatMap((g) => g.members.map((m) => `${g.name}/${m}`)));
}

async function check(seed: number): Promise<void> {
  const next = random(seed);
  const org = makeOrg(next);
  const live = makeLive(org, next);
  const tree = await writeAccessTree(filesOf(org));
  trees.push(tree);
  const directoryFile = path.join(tree.cwd, ".gatehouse/app.json");
  await mkdir(path.dirname(directoryFile), { recursive: true });
  await writeFile(directoryFile, JSON.stringify(live));
  const run = (argv: string[]) => runCliIn(tree.cwd, argv, NOW);
  const context = `seed ${String(seed)} (${org.mode})`;

  const shown = await run(["plan", "--out", "plan.json", "--format", "json"]);
  expect([0, 2], `${context}: plan exit\n${shown.out}`).toContain(shown.code);
  const plan = JSON.parse(await readFile(path.join(tree.cwd, "plan.json"), "utf8")) as {
    changes: PlanChange[];
  };
  const applied = await run(["apply", "plan.json", "--yes", "--allow-removals", "10000"]);
  expect(applied.code, `${context}: apply\n${applied.out}`).toBe(0);
  const after = JSON.parse(await readFile(directoryFile, "utf8")) as Directory;

  // Apply did exactly what the plan listed, membership by membership.
  const before = membershipsOf(live);
  const now = membershipsOf(after);
  const lost = [...before].filter((m) => !now.has(m)).sort();
  const gained = [...now].filter((m) => !before.has(m)).sort();
  const deleted = new Set(
    plan.changes.filter((c) => c.kind === "group" && c.action === "delete").map((c) => c.group),
  );
  const listed = (action: string): string[] =>
    plan.changes
      .filter((c) => c.kind === "membership" && c.action === action && c.memberKind === "user")
      .map((c) => `${c.group ?? ""}/${c.member ?? ""}`)
      .sort();
  expect(
    lost.filter((m) => !deleted.has(m.split("/")[0])),
    `${context}: memberships lost`,
  ).toEqual(listed("remove"));
  expect(gained, `${context}: memberships gained`).toEqual(listed("add"));

  // Nobody listed, active and started loses a listed group; everyone such holds it after.
  const people = new Map(org.people.map((p) => [p.id, p]));
  for (const [name, group] of org.groups)
    for (const line of group.members) {
      const person = line.user === undefined ? undefined : people.get(line.user);
      if (person === undefined || isLeaver(person) || !hasStarted(person)) continue;
      if (line.until !== undefined && Date.parse(line.until) <= NOW.getTime()) continue;
      expect(now.has(`${name}/${person.id}`), `${context}: ${person.id} keeps ${name}`).toBe(true);
    }

  // Leavers hold nothing and no enabled account.
  for (const person of org.people.filter(isLeaver)) {
    expect(
      [...now].filter((m) => m.endsWith(`/${person.id}`)),
      `${context}: leaver ${person.id}`,
    ).toEqual([]);
    expect(
      after.users.find((u) => u.account === person.id)?.enabled ?? false,
      `${context}: ${person.id}`,
    ).toBe(false);
  }

  // Additive, nothing applied before: only leavers and expired grants lose anything.
  if (org.mode === "additive")
    for (const m of lost) {
      const [groupName = "", member = ""] = m.split("/");
      const person = people.get(member);
      // An expired grant in the group, or in a group nested in it (which gives the group its members).
      const within = [groupName, ...(org.groups.get(groupName)?.members.flatMap((l) => l.group ?? []) ?? [])];
      const expired = within.some((g) =>
        org.groups
          .get(g)
          ?.members.some(
            (l) => l.user === member && l.until !== undefined && Date.parse(l.until) <= NOW.getTime(),
          ),
      );
      expect(person !== undefined && (isLeaver(person) || expired), `${context}: additive removed ${m}`).toBe(
        true,
      );
    }

  // Converged: nothing left to do.
  const again = await run(["plan", "--format", "json", "--fresh"]);
  const second = JSON.parse(again.stdout) as { changes: PlanChange[] };
  expect(second.changes, `${context}: second plan`).toEqual([]);
}

describe("plan properties on random organizations", () => {
  it("holds for 40 seeded organizations and live directories", async () => {
    for (
      let seed = Number(process.env["SEED_FROM"] ?? 1);
      seed <= Number(process.env["SEED_TO"] ?? 40);
      seed++
    )
      await check(seed);
  }, 240_000);
});
