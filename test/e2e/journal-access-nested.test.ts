/**
 * `journal access` of a group that nests others, where the system nests natively (the local directory
 * with `nesting: true`, as LDAP and GitHub teams): the people who held it through a nested group are
 * named, with the group they held it through, at an instant and over a window, on a real git repository.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { useTempRepos, type TempRepo } from "./repo.ts";

const newRepo = useTempRepos();

const CONFIG =
  "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative, nesting: true }\n" +
  "policy:\n  maxNestingDepth: 3\n  guardrails: { maxRemovals: 10 }\n";
const PEOPLE = `users:\n${["ann", "bob", "cy", "dee", "eve"].map((id) => `  - { id: ${id}, name: ${id} }`).join("\n")}\n`;

/** all-eng lists ann and nests `teamA` (and team-c, when given); team-a may nest team-b. */
function groups(options: {
  readonly teamA?: string;
  readonly teamAMembers: string;
  readonly teamBInA?: boolean;
  readonly teamC?: boolean;
  readonly former?: string;
}): string {
  const teamA = options.teamA ?? "team-a";
  const nests = [`{ group: ${teamA} }`, ...(options.teamC === true ? ["{ group: team-c }"] : [])];
  return [
    "groups:",
    "  - name: all-eng",
    "    owners: [ann]",
    "    members:",
    "      - ann",
    ...nests.map((n) => `      - ${n}`),
    `  - name: ${teamA}`,
    "    owners: [ann]",
    ...(options.former === undefined ? [] : [`    formerNames: [${options.former}]`]),
    "    members:",
    ...options.teamAMembers.split(", ").map((m) => `      - ${m}`),
    ...(options.teamBInA === true ? ["      - group: team-b"] : []),
    "  - name: team-b",
    "    owners: [ann]",
    "    members:",
    "      - dee",
    ...(options.teamC === true ? ["  - name: team-c", "    owners: [ann]"] : []),
    "",
  ].join("\n");
}

const T1 = new Date("2026-03-01T09:00:00Z");
const T2 = new Date("2026-03-02T09:00:00Z");
const T3 = new Date("2026-03-03T09:00:00Z");
const T4 = new Date("2026-03-04T09:00:00Z");
const LATER = new Date("2026-03-10T00:00:00Z");

async function applyAt(repo: TempRepo, now: Date, message: string): Promise<void> {
  await repo.commit(message);
  const applied = await repo.run(["apply", "--yes"], { now });
  expect(applied.code, applied.stdout + applied.stderr).toBe(0);
}

interface Through {
  readonly member: string;
  readonly since: string;
  readonly via: readonly { readonly group: string; readonly since: string; readonly seq: number }[];
  readonly to?: string;
  readonly lineCommit?: { readonly commit: string };
}
interface Answer {
  readonly groups: readonly {
    readonly group: string;
    readonly members: readonly { readonly member: string; readonly memberKind: string }[];
    readonly through: readonly Through[];
    readonly nested: readonly {
      readonly group: string;
      readonly within: readonly string[];
      readonly isKnown: boolean;
    }[];
  }[];
}

const ways = (answer: Answer): string[] =>
  (answer.groups[0]?.through ?? []).map(
    (t) =>
      `${t.member} via ${t.via.map((v) => v.group).join(" > ")}${t.to === undefined ? "" : ` to ${t.to}`}`,
  );

describe("journal access of a group that nests others (native nesting)", () => {
  it("names who held it through a nested group, and through which, at an instant and over a window", async () => {
    const repo = await newRepo({ withAccess: false });
    await repo.write("access/gatehouse.yaml", CONFIG);
    await repo.write("access/users/people.yaml", PEOPLE);
    await repo.write("access/groups/groups.yaml", groups({ teamAMembers: "bob, cy" }));
    await applyAt(repo, T1, "access: all-eng nests team-a");
    // team-a nests team-b (dee) and loses cy; team-c, which gatehouse does not manage the members of, is
    // made by hand in the app and nested in all-eng.
    const file = path.join(repo.cwd, ".gatehouse/app.json");
    const state = JSON.parse(await readFile(file, "utf8")) as { groups: unknown[] };
    state.groups.push({ name: "team-c", members: ["eve"], groupMembers: [] });
    await writeFile(file, JSON.stringify(state));
    await repo.write(
      "access/groups/groups.yaml",
      groups({ teamAMembers: "bob", teamBInA: true, teamC: true }),
    );
    await applyAt(repo, T2, "access: team-a nests team-b, cy leaves team-a, all-eng nests team-c");

    const first = await repo.run(["journal", "access", "all-eng", "--at", "2026-03-01T12:00:00Z"], {
      now: LATER,
    });
    expect(first.code).toBe(0);
    const lines = first.stdout.split("\n");
    const header = lines.findIndex((l) =>
      l.startsWith("  and 2 member(s) holding it through the 1 group(s) it nests"),
    );
    expect(header).toBeGreaterThan(0);
    expect(lines[header + 1]).toMatch(
      /^ {2}bob {2}through group team-a: in it since 2026-03-01T09:00:00.000Z \(journal #\d+, commit [0-9a-f]{12}, by .*\): added in config, access\/groups\/groups.yaml:\d+:9$/,
    );
    expect(lines[header + 2]).toMatch(
      /^ {4}team-a in all-eng since 2026-03-01T09:00:00.000Z \(journal #\d+\): held all-eng through it from 2026-03-01T09:00:00.000Z$/,
    );
    expect(first.stdout).toContain("  cy  through group team-a: in it since");

    const second = JSON.parse(
      (
        await repo.run(["journal", "access", "all-eng", "--at", "2026-03-02T12:00:00Z", "--format", "json"], {
          now: LATER,
        })
      ).stdout,
    ) as Answer;
    // cy left team-a; dee holds it through team-b in team-a; eve's team-c is no group gatehouse changed.
    expect(ways(second)).toEqual(["bob via team-a", "dee via team-a > team-b"]);
    expect(second.groups[0]?.nested).toEqual([
      { group: "team-a", within: [], isKnown: true },
      { group: "team-b", within: ["team-a"], isKnown: true },
      { group: "team-c", within: [], isKnown: false },
    ]);
    // The line that gave dee team-b, from git (the run recorded no approvals: no lineCommit), and the way in.
    const dee = second.groups[0]?.through.find((t) => t.member === "dee");
    expect(dee?.via.map((v) => v.since)).toEqual(["2026-03-01T09:00:00.000Z", "2026-03-02T09:00:00.000Z"]);
    const text = await repo.run(["journal", "access", "all-eng", "--at", "2026-03-02T12:00:00Z"], {
      now: LATER,
    });
    expect(text.stdout).toMatch(
      / {4}team-b in team-a since 2026-03-02T09:00:00.000Z \(journal #\d+\), team-a in all-eng since 2026-03-01T09:00:00.000Z \(journal #\d+\): held all-eng through them from 2026-03-02T09:00:00.000Z\n/,
    );
    expect(text.stdout).toContain(
      "  ? group team-c: gatehouse had not changed its members by then, so who held all-eng through it, the journal cannot tell\n",
    );

    // A window over both runs: cy's way ends at the second run, dee's starts there.
    const window = JSON.parse(
      (
        await repo.run(
          [
            "journal",
            "access",
            "all-eng",
            "--since",
            "2026-03-01",
            "--until",
            "2026-03-02",
            "--format",
            "json",
          ],
          { now: LATER },
        )
      ).stdout,
    ) as Answer;
    expect(ways(window)).toEqual([
      "bob via team-a",
      "cy via team-a to 2026-03-02T09:00:00.000Z",
      "dee via team-a > team-b",
    ]);
    const windowText = await repo.run(
      ["journal", "access", "all-eng", "--since", "2026-03-01", "--until", "2026-03-02"],
      {
        now: LATER,
      },
    );
    expect(windowText.stdout).toContain(
      "  and 3 member(s) holding it through the 3 group(s) it nests at some moment of the window",
    );
    expect(windowText.stdout).toContain(
      "  cy  through group team-a: in it since 2026-03-01T09:00:00.000Z to 2026-03-02T09:00:00.000Z",
    );
  });

  it("follows a nested group renamed in place, under the name it had at the instant asked about", async () => {
    const repo = await newRepo({ withAccess: false });
    await repo.write("access/gatehouse.yaml", CONFIG);
    await repo.write("access/users/people.yaml", PEOPLE);
    await repo.write("access/groups/groups.yaml", groups({ teamAMembers: "bob" }));
    await applyAt(repo, T1, "access: all-eng nests team-a");
    await repo.write(
      "access/groups/groups.yaml",
      groups({ teamA: "team-alpha", teamAMembers: "bob", former: "team-a" }),
    );
    await applyAt(repo, T2, "access: team-a is team-alpha");
    await repo.write("access/groups/groups.yaml", groups({ teamA: "team-alpha", teamAMembers: "bob, cy" }));
    await applyAt(repo, T3, "access: cy joins team-alpha");
    // cy leaves it the next day: all-eng itself does not change at either instant.
    await repo.write("access/groups/groups.yaml", groups({ teamA: "team-alpha", teamAMembers: "bob" }));
    await applyAt(repo, T4, "access: cy leaves team-alpha");

    const at = async (instant: string): Promise<string[]> =>
      ways(
        JSON.parse(
          (
            await repo.run(["journal", "access", "all-eng", "--at", instant, "--format", "json"], {
              now: LATER,
            })
          ).stdout,
        ) as Answer,
      );
    expect(await at("2026-03-01T12:00:00Z")).toEqual(["bob via team-a"]);
    expect(await at("2026-03-02T12:00:00Z")).toEqual(["bob via team-alpha"]);
    expect(await at("2026-03-03T12:00:00Z")).toEqual(["bob via team-alpha", "cy via team-alpha"]);
    expect(await at("2026-03-04T12:00:00Z")).toEqual(["bob via team-alpha"]);
    // The window's answer replays the nested group's own entries at the instants cy joined and left it,
    // though all-eng did not change then. One stretch for bob: the same memberships, the group renamed.
    const window = JSON.parse(
      (
        await repo.run(
          [
            "journal",
            "access",
            "all-eng",
            "--since",
            "2026-03-01",
            "--until",
            "2026-03-04",
            "--format",
            "json",
          ],
          { now: LATER },
        )
      ).stdout,
    ) as Answer;
    expect(ways(window)).toEqual(["bob via team-alpha", "cy via team-alpha to 2026-03-04T09:00:00.000Z"]);
  });
});
