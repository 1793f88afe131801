/**
 * `hr sync` and the changes that take people's access away without making them leavers, through the real
 * CLI on real temporary trees, from a Personio-style export (byte order mark, `;` separators, DD.MM.YYYY
 * dates, German values): a start date moved past today for someone who had started (a position's start
 * date mapped as startDate, a year typed wrong) leaves them no access until then, and leave disables
 * accounts where policy.leave says so. The guard rails count both with the leavers, and the output says
 * what the person loses.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

/** Ten people who started long ago (the tests' clock is 2026-06-01), and one who starts later. */
const PEOPLE = [
  ["1001", "lena", "Lena Schäfer", "GF", "", "01.04.2018"],
  ["1002", "jurgen", "Jürgen Groß", "IT", "1001", "01.01.2019"],
  ["1003", "chloe", "Chloé Dubois", "VERTRIEB", "1001", "15.05.2020"],
  ["1004", "wei", "王伟", "IT", "1002", "01.03.2021"],
  ["1005", "mats", "Mats Nilsson", "IT", "1002", "01.06.2021"],
  ["1006", "ayse", "Ayşe Yılmaz", "VERTRIEB", "1003", "10.01.2022"],
  ["1007", "olga", "Ольга Петрова", "FIN", "1001", "01.09.2022"],
  ["1008", "pedro", "Pedro Gómez", "IT", "1002", "01.01.2020"],
  ["1009", "kim", "Kim Nguyen", "FIN", "1007", "01.02.2023"],
  ["1010", "sam", "Sam Carter", "VERTRIEB", "1003", "01.05.2023"],
  ["1011", "zoe", "Zoë O'Brien", "IT", "1002", "01.07.2026"],
] as const;

const iso = (d: string): string => d.split(".").reverse().join("-");
const idOf = (number: string): string => PEOPLE.find((p) => p[0] === number)?.[1] ?? "";

const USERS =
  "users:\n" +
  PEOPLE.map(
    ([number, id, name, dept, manager, start]) =>
      `  - id: ${id}\n    name: ${name}\n    email: ${id}@acme.de\n    department: ${dept}\n` +
      (manager === "" ? "" : `    manager: ${idOf(manager)}\n`) +
      `    employeeNumber: "${number}"\n    startDate: ${iso(start)}\n`,
  ).join("");

const config = (leave: string): string =>
  `providers:\n  directory: { type: local, path: .gatehouse/directory.json }\npolicy:\n  leave: ${leave}\n`;

const FILES = {
  "users/people.yaml": USERS,
  "groups/groups.yaml":
    "groups:\n  - name: dept-it-read\n    owners: [jurgen]\n    members: []\n" +
    "  - name: dept-all-read\n    owners: [lena]\n    members: []\n",
  "roles/roles.yaml":
    "roles:\n  - name: all\n    when: { employmentType: employee }\n    groups: [dept-all-read]\n" +
    "  - name: it\n    when: { department: IT }\n    groups: [dept-it-read]\n",
};

const MAPPING = `columns:
  employeeNumber: Personalnummer
  name: Name
  email: E-Mail
  department: Abteilung
  manager: Vorgesetzte/r
  status: Status
  startDate: Eintrittsdatum
values:
  status: { Aktiv: active, Elternzeit: leave, Ausgeschieden: terminated }
dateFormat: DD.MM.YYYY
`;

/** The export as Personio writes it, with `change` applied to some rows (by employee number). */
function personio(change: Readonly<Record<string, { start?: string; status?: string }>> = {}): string {
  const rows = PEOPLE.map(([number, id, name, dept, manager, start]) => {
    const c = change[number] ?? {};
    return [number, name, `${id}@acme.de`, dept, manager, c.status ?? "Aktiv", c.start ?? start].join(";");
  });
  return (
    "\uFEFFPersonalnummer;Name;E-Mail;Abteilung;Vorgesetzte/r;Status;Eintrittsdatum\r\n" +
    rows.join("\r\n") +
    "\r\n"
  );
}

async function newTree(leave = "keep"): Promise<AccessTree> {
  const tree = await writeAccessTree({ ...FILES, "gatehouse.yaml": config(leave) });
  trees.push(tree);
  await writeFile(path.join(tree.cwd, "mapping.yaml"), MAPPING);
  return tree;
}

async function snapshot(tree: AccessTree): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(tree.dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      out.set(path.relative(tree.dir, file), await readFile(file, "utf8"));
    }
  return out;
}

async function sync(tree: AccessTree, text: string, extra: string[] = []) {
  await writeFile(path.join(tree.cwd, "export.csv"), text);
  return runCliIn(tree.cwd, ["hr", "sync", "export.csv", "--mapping", "mapping.yaml", ...extra]);
}

describe("hr sync: a start date moved past today", () => {
  it("refuses, as it refuses leavers, when people who had started would get no access until a later start date", async () => {
    const tree = await newTree();
    const before = await snapshot(tree);
    // A position's start date mapped as the start date: three people moving teams on 1 July.
    const moved = {
      "1002": { start: "01.07.2026" },
      "1004": { start: "01.07.2026" },
      "1010": { start: "01.07.2026" },
    };
    const refused = await sync(tree, personio(moved));
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain(
      "  - 3 people would become leavers or lose their access (3 who had started by a startDate moved past today), over the limit (5% of 11 people = 1); is the export complete and the right one? Pass --max-leavers 3 if it is\n",
    );
    expect(refused.stdout).toContain(
      "  ~ jurgen (1002)  access/users/people.yaml:8:5  (loses all access: had started, and gets none until the new startDate 2026-07-01)\n      startDate: 2019-01-01 → 2026-07-01\n",
    );
    expect(await snapshot(tree)).toEqual(before);

    const json = await sync(tree, personio(moved), ["--format", "json"]);
    expect(json.code).toBe(3);
    const data = JSON.parse(json.stdout) as {
      movers: { id: string; losesAccess: string | null }[];
      refused: unknown[];
    };
    expect(data.movers.map((m) => [m.id, m.losesAccess])).toEqual([
      ["jurgen", "start-date-later"],
      ["wei", "start-date-later"],
      ["sam", "start-date-later"],
    ]);
    expect(data.refused).toEqual([expect.objectContaining({ guard: "max-leavers", count: 3, limit: 1 })]);

    const passed = await sync(tree, personio(moved), ["--max-leavers", "3"]);
    expect(passed.code).toBe(0);
    expect(await readFile(path.join(tree.dir, "users/people.yaml"), "utf8")).toContain(
      "  - id: jurgen\n    name: Jürgen Groß\n    email: jurgen@acme.de\n    department: IT\n    manager: lena\n" +
        '    employeeNumber: "1002"\n    startDate: 2026-07-01\n',
    );
  });

  it("does not count a start date moved for someone who has not started, nor one moved earlier", async () => {
    const tree = await newTree();
    // zoe starts on 1 July and now on 1 August; kim's start is corrected to an earlier day.
    const result = await sync(
      tree,
      personio({ "1011": { start: "01.08.2026" }, "1009": { start: "01.01.2023" } }),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("  ~ kim (1009)  access/users/people.yaml:");
    expect(result.stdout).not.toContain("loses");
    expect(result.stdout).toContain("Wrote access/users/people.yaml.");
  });
});

describe("hr sync: leave that disables accounts", () => {
  it("counts people put on leave with the leavers where policy.leave is disable, and not where it is keep", async () => {
    const onLeave = { "1003": { status: "Elternzeit" }, "1007": { status: "Elternzeit" } };
    const disabling = await newTree("disable");
    const before = await snapshot(disabling);
    const refused = await sync(disabling, personio(onLeave));
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain(
      "  ~ chloe (1003)  access/users/people.yaml:15:5  (loses access: on leave, which policy.leave disables)\n      status: active → leave\n",
    );
    expect(refused.stdout).toContain(
      "  - 2 people would become leavers or lose their access (2 put on leave, which policy.leave makes disable accounts), over the limit (5% of 11 people = 1); is the export complete and the right one? Pass --max-leavers 2 if it is\n",
    );
    expect(await snapshot(disabling)).toEqual(before);

    const keeping = await newTree("keep");
    const kept = await sync(
      keeping,
      personio(onLeave) + "1012;Leo Park;leo@acme.de;IT;1002;Elternzeit;01.01.2024\r\n",
    );
    expect(kept.code).toBe(0);
    expect(kept.stdout).not.toContain("loses");
    // A joiner on leave is said to be.
    expect(kept.stdout).toContain(
      "  + leo (1012) → access/users/hr.yaml: Leo Park, IT, on leave, starts 2024-01-01\n",
    );
    expect(kept.stdout).toContain("Wrote access/users/people.yaml, access/users/hr.yaml (new).");
  });
});
