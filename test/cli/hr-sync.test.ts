/**
 * `gatehouse hr sync`: an HR export brings the users in the access files in line, through the real CLI
 * on real temporary trees. Joiners are appended, movers and leavers edited in place as text (everything
 * else byte for byte), absent people only reported; a bad export, a failed validation or a guard rail
 * writes nothing.
 */
import { chmod, mkdir, readdir, readFile, stat, symlink, writeFile, rename } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const STAFF = `# Staff, synced from HR. Comments and layout stay.
users:
  - id: carol
    name: Carol Mbeki   # head of platform
    email: carol@example.com
    department: ENG-PLATFORM
    title: Head of Platform
    employeeNumber: "E1"
    startDate: 2020-01-13
    accounts: { github: carol-gh }

  # Alice leads the migration
  - id: alice
    name: Alice Liddell
    email: alice@example.com
    department: ENG-PLATFORM
    title: Engineer
    manager: carol
    employeeNumber: "E2"
    startDate: 2021-02-01

  - { id: bob, name: Bob Castellanos, email: bob@example.com, department: SALES, manager: carol, employeeNumber: "E3" }

  - id: ci-bot
    name: CI bot
    employmentType: service
`;

const FILES = {
  "gatehouse.yaml": "providers:\n  directory: { type: local, path: .gatehouse/directory.json }\n",
  "users/staff.yaml": STAFF,
  "groups/teams.yaml":
    "groups:\n  - name: team-platform-write\n    owners: [carol]\n    members: []\n" +
    "  - name: team-sales-read\n    owners: [carol]\n    members: []\n",
  "roles/roles.yaml":
    "roles:\n  - name: platform\n    when: { department: ENG-PLATFORM }\n    groups: [team-platform-write]\n" +
    "  - name: sales\n    when: { department: SALES }\n    groups: [team-sales-read]\n",
};

const HEADER = "employeeNumber,name,email,department,title,manager,status,startDate,endDate\n";
const CAROL = "E1,Carol Mbeki,carol@example.com,ENG-PLATFORM,Head of Platform,,active,2020-01-13,\n";
const ALICE = "E2,Alice Liddell,alice@example.com,ENG-PLATFORM,Engineer,E1,active,2021-02-01,\n";
const BOB = "E3,Bob Castellanos,bob@example.com,SALES,,E1,active,,\n";
/** The export that matches the files as they are. */
const SAME = HEADER + CAROL + ALICE + BOB;

async function newTree(files: Readonly<Record<string, string>> = {}): Promise<AccessTree> {
  const tree = await writeAccessTree({ ...FILES, ...files });
  trees.push(tree);
  return tree;
}

async function writeExport(tree: AccessTree, name: string, text: string): Promise<string> {
  await writeFile(path.join(tree.cwd, name), text);
  return name;
}

/** Every file under access/, by path: to show that nothing was written. */
async function snapshot(tree: AccessTree): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(tree.dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      out.set(path.relative(tree.dir, file), await readFile(file, "utf8"));
    }
  return out;
}

const sync = (tree: AccessTree, argv: string[], now?: Date) =>
  runCliIn(tree.cwd, ["hr", "sync", ...argv], now);
const staff = (tree: AccessTree) => readFile(path.join(tree.dir, "users/staff.yaml"), "utf8");

describe("gatehouse hr sync", () => {
  it("appends a joiner, edits a mover and a leaver in place, and changes nothing else", async () => {
    const tree = await newTree();
    const file = await writeExport(
      tree,
      "export.csv",
      HEADER +
        CAROL +
        "E2,Alice Liddell,alice@example.com,SALES,Account Executive,E1,active,2021-02-01,\n" +
        "E3,Bob Castellanos,bob@example.com,SALES,,E1,Terminated,,2026-05-29\n" +
        "E4,Wren Park,wren@example.com,ENG-PLATFORM,SRE,E2,active,2026-06-15,\n",
    );
    const run = await sync(tree, [file]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "Joiners (1):\n  + wren (E4) → access/users/hr.yaml: Wren Park, ENG-PLATFORM, SRE, starts 2026-06-15",
    );
    expect(run.stdout).toContain(
      "Movers (1):\n  ~ alice (E2)  access/users/staff.yaml:13:5\n      department: ENG-PLATFORM → SALES\n      title: Engineer → Account Executive\n",
    );
    expect(run.stdout).toContain(
      "Leavers (1):\n  - bob (E3)  access/users/staff.yaml:22:5\n      status: active → terminated\n      endDate: (none) → 2026-05-29\n",
    );
    expect(run.stdout).toContain("Wrote access/users/staff.yaml, access/users/hr.yaml (new).");
    // Only the changed values and the added keys differ, byte for byte.
    expect(await staff(tree)).toBe(
      STAFF.replace(
        "department: ENG-PLATFORM\n    title: Engineer\n",
        "department: SALES\n    title: Account Executive\n",
      ).replace('employeeNumber: "E3" }', 'employeeNumber: "E3", status: terminated, endDate: 2026-05-29 }'),
    );
    expect(await readFile(path.join(tree.dir, "users/hr.yaml"), "utf8")).toBe(
      "# People synced from the HR system by `gatehouse hr sync`: new hires are appended here. HR owns\n" +
        "# name, email, department, title, manager, employmentType, status, startDate and endDate; edit\n" +
        "# the other fields (accounts, ...) freely, and move an entry to another file if you like.\n" +
        "users:\n  - id: wren\n    name: Wren Park\n    email: wren@example.com\n    department: ENG-PLATFORM\n" +
        '    title: SRE\n    manager: alice\n    employeeNumber: "E4"\n    status: active\n    startDate: 2026-06-15\n',
    );
    expect((await stat(path.join(tree.dir, "users/hr.yaml"))).mode & 0o777).toBe(0o644);
    expect((await runCliIn(tree.cwd, ["validate"])).code).toBe(0);

    // The same export again: nothing to do, and it says so.
    const before = await snapshot(tree);
    const again = await sync(tree, [file]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("No changes: the access files already say what the export says.");
    expect(await snapshot(tree)).toEqual(before);
    const check = await sync(tree, [file, "--check"]);
    expect(check.code).toBe(0);
  });

  it("appends later joiners after the earlier ones, and edits those in the joiners file like anyone else", async () => {
    const tree = await newTree();
    const wren = "E4,Wren Park,wren@example.com,ENG-PLATFORM,SRE,E2,active,2026-06-15,\n";
    expect((await sync(tree, [await writeExport(tree, "one.csv", SAME + wren)])).code).toBe(0);
    const first = await readFile(path.join(tree.dir, "users/hr.yaml"), "utf8");
    const two = await writeExport(
      tree,
      "two.csv",
      SAME +
        wren.replace(",SRE,", ",Senior SRE,") +
        "E5,Yan Li,yan@example.com,SALES,,E1,Leave,2026-07-01,\n",
    );
    const run = await sync(tree, [two]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("  ~ wren (E4)  access/users/hr.yaml:5:5\n      title: SRE → Senior SRE\n");
    expect(await readFile(path.join(tree.dir, "users/hr.yaml"), "utf8")).toBe(
      first.replace("title: SRE\n", "title: Senior SRE\n") +
        '\n  - id: yan\n    name: Yan Li\n    email: yan@example.com\n    department: SALES\n    manager: carol\n    employeeNumber: "E5"\n    status: leave\n    startDate: 2026-07-01\n',
    );
  });

  it("writes joiners where --joiners-file says, inside the access folder only", async () => {
    const tree = await newTree();
    const file = await writeExport(tree, "export.csv", SAME + "E4,Wren Park,wren@example.com,,,,active,,\n");
    const outside = await sync(tree, [file, "--joiners-file", "people.yaml"]);
    expect(outside.code).toBe(64);
    expect(outside.stderr).toContain(
      "error: the joiners file must be a .yaml file inside access, where the loader reads it (got people.yaml)",
    );
    const hidden = await sync(tree, [file, "--joiners-file", "access/.drafts/hr.yaml"]);
    expect(hidden.code).toBe(64);
    const run = await sync(tree, [file, "--joiners-file", "access/users/staff.yaml"]);
    expect(run.code).toBe(0);
    expect(await staff(tree)).toBe(
      STAFF +
        '\n  - id: wren\n    name: Wren Park\n    email: wren@example.com\n    employeeNumber: "E4"\n    status: active\n',
    );
  });

  it("reports people the export does not have and terminates them only when asked (never service accounts or unlinked people)", async () => {
    const tree = await newTree({
      "users/more.yaml": "users:\n  - id: dan\n    name: Dan Unlinked\n",
    });
    const file = await writeExport(tree, "partial.csv", HEADER + CAROL + ALICE);
    const before = await snapshot(tree);
    const run = await sync(tree, [file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Not in the export (2): left as they are");
    expect(run.stdout).toContain("  ? bob (E3)  access/users/staff.yaml:22:5\n");
    expect(run.stdout).toContain(
      "  ? dan  access/users/more.yaml:2:5  (no employeeNumber: not linked to HR)\n",
    );
    expect(run.stdout).not.toContain("ci-bot");
    expect(run.stdout).toContain("No changes");
    expect(await snapshot(tree)).toEqual(before);

    const terminate = await sync(tree, [file, "--absent", "terminate"]);
    expect(terminate.code).toBe(0);
    expect(terminate.stdout).toContain(
      "Leavers (1):\n  - bob (E3)  access/users/staff.yaml:22:5  (not in the export: --absent terminate)\n      status: active → terminated\n",
    );
    expect(await staff(tree)).toBe(
      STAFF.replace('employeeNumber: "E3" }', 'employeeNumber: "E3", status: terminated }'),
    );
    expect(await readFile(path.join(tree.dir, "users/more.yaml"), "utf8")).toBe(
      before.get("users/more.yaml"),
    );
  });

  it("refuses more leavers than the guard allows, writes nothing, and goes ahead with --max-leavers", async () => {
    const tree = await newTree();
    const file = await writeExport(
      tree,
      "export.csv",
      HEADER + CAROL + ALICE.replace(",active,", ",terminated,") + BOB.replace(",active,", ",terminated,"),
    );
    const before = await snapshot(tree);
    const refused = await sync(tree, [file]);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain(
      "Refused by guard rails; nothing was written:\n  - 2 people would become leavers, over the limit (5% of 3 people = 1); is the export complete and the right one? Pass --max-leavers 2 if it is",
    );
    expect(await snapshot(tree)).toEqual(before);
    const json = await sync(tree, [file, "--format", "json"]);
    expect(json.code).toBe(3);
    expect((JSON.parse(json.stdout) as { refused: unknown[] }).refused).toEqual([
      expect.objectContaining({ guard: "max-leavers", count: 2, limit: 1 }),
    ]);

    const allowed = await sync(tree, [file, "--max-leavers", "2"]);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain("Leavers (2):");
    expect(await staff(tree)).toContain(
      '    manager: carol\n    employeeNumber: "E2"\n    status: terminated\n',
    );
  });

  it("writes the leaving of a group's only owner (a warning to name another), and plan offboards them", async () => {
    const tree = await newTree();
    // carol owns both groups alone: her termination leaves them without an active owner.
    const file = await writeExport(
      tree,
      "export.csv",
      HEADER + CAROL.replace(",active,", ",terminated,") + ALICE + BOB,
    );
    const synced = await sync(tree, [file, "--max-leavers", "1"]);
    expect(synced.code).toBe(0);
    expect(synced.stdout).toContain("Leavers (1):");
    // Her groups are named, and left as they are: a successor is handover's pull request, not this one.
    expect(synced.stdout).toContain(
      "Groups leavers own (2): once this is merged and they have left (past their endDate), `gatehouse handover` gives them to a manager (a pull request of its own):\n" +
        "  ^ carol owns team-platform-write  access/groups/teams.yaml\n" +
        "  ^ carol owns team-sales-read  access/groups/teams.yaml\n",
    );
    expect(await staff(tree)).toContain(
      '    employeeNumber: "E1"\n    status: terminated\n    startDate: 2020-01-13\n',
    );
    const planned = await runCliIn(tree.cwd, ["plan"]);
    expect(planned.code).toBe(0);
    expect(planned.stderr).toContain(
      'warning GH218 group "team-platform-write" has no active owner: carol is terminated. Add an active owner; until then the admins approve changes to it.',
    );
  });

  it("says a leaver whose endDate is still ahead keeps their groups until that day has passed", async () => {
    const tree = await newTree();
    // carol's last day is ahead (NOW is 2026-06-01): a leaver of the sync, not one handover acts on yet.
    const file = await writeExport(
      tree,
      "export.csv",
      HEADER + CAROL.replace(",2020-01-13,", ",2020-01-13,2026-09-30") + ALICE + BOB,
    );
    const synced = await sync(tree, [file, "--max-leavers", "1"]);
    expect(synced.code).toBe(0);
    expect(synced.stdout).toContain(
      "Groups leavers own (2): once this is merged and they have left (past their endDate), `gatehouse handover` gives them to a manager (a pull request of its own):\n" +
        "  ^ carol owns team-platform-write  access/groups/teams.yaml\n",
    );
    const handover = await runCliIn(tree.cwd, ["handover", "--check"]);
    expect(handover.code).toBe(0);
    expect(handover.stdout).toBe("No group is owned by anyone who has left.\n");
  });

  it("refuses an export with no rows (a scheduled job must not pass it as 'No changes'), and offboards no one", async () => {
    const tree = await newTree();
    const file = await writeExport(tree, "empty.csv", HEADER);
    const before = await snapshot(tree);
    for (const extra of [[], ["--absent", "terminate"]]) {
      const run = await sync(tree, [file, ...extra]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        "empty.csv:1:1 error HR007 the export has no rows, only its header: an HR system always has someone, so it was cut short or filtered; check the export",
      );
    }
    expect(await snapshot(tree)).toEqual(before);
  });

  it("does not offboard anyone absent from a partial export, and refuses to with --absent terminate", async () => {
    const tree = await newTree();
    const file = await writeExport(tree, "partial.csv", HEADER + CAROL);
    const before = await snapshot(tree);
    const run = await sync(tree, [file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Not in the export (2): left as they are");
    expect(run.stdout).toContain("No changes");
    const terminate = await sync(tree, [file, "--absent", "terminate"]);
    expect(terminate.code).toBe(3);
    expect(terminate.stdout).toContain(
      "  - 2 people would become leavers, over the limit (5% of 3 people = 1)",
    );
    expect(await snapshot(tree)).toEqual(before);
  });

  it("refuses a run that changes too many e-mail addresses at once", async () => {
    const tree = await newTree();
    const file = await writeExport(tree, "export.csv", SAME.replaceAll("@example.com", "@example.org"));
    const before = await snapshot(tree);
    const refused = await sync(tree, [file]);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain("3 e-mail addresses would change, over the limit (10% of 3 people = 1)");
    expect(await snapshot(tree)).toEqual(before);
    expect((await sync(tree, [file, "--max-email-changes", "100%"])).code).toBe(0);
    expect(await staff(tree)).toContain("email: carol@example.org\n");
    // The same address in another letter case is no change.
    await writeExport(tree, "upper.csv", SAME.replaceAll("@example.com", "@EXAMPLE.ORG"));
    expect((await sync(tree, ["upper.csv"])).stdout).toContain("No changes");
  });

  it("refuses a run that would empty the department of too many people (a column exported blank)", async () => {
    const tree = await newTree();
    const blank = (row: string) => row.replace(/,(ENG-PLATFORM|SALES),/, ",,");
    const file = await writeExport(tree, "export.csv", HEADER + blank(CAROL) + blank(ALICE) + blank(BOB));
    const before = await snapshot(tree);
    const refused = await sync(tree, [file]);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain(
      "3 people would lose their department, title, manager, employment type or end date to an empty cell, over the limit (5% of 3 people = 1)",
    );
    expect(await snapshot(tree)).toEqual(before);
    expect((await sync(tree, [file, "--max-cleared", "3"])).code).toBe(0);
    expect(await staff(tree)).not.toContain("department: ENG-PLATFORM");
  });

  it("refuses a run that would clear the end date of too many people (a fixed-term column exported blank)", async () => {
    const tree = await newTree();
    const ending = (row: string) => row.replace(/,\n$/, ",2027-03-31\n");
    const fixed = await writeExport(tree, "fixed.csv", HEADER + ending(CAROL) + ending(ALICE) + ending(BOB));
    expect((await sync(tree, [fixed, "--max-leavers", "3"])).code).toBe(0);
    expect(await staff(tree)).toContain("endDate: 2027-03-31");
    const before = await snapshot(tree);
    const file = await writeExport(tree, "export.csv", SAME);
    const refused = await sync(tree, [file]);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain(
      "3 people would lose their department, title, manager, employment type or end date to an empty cell, over the limit (5% of 3 people = 1)",
    );
    expect(await snapshot(tree)).toEqual(before);
    expect((await sync(tree, [file, "--max-cleared", "3"])).code).toBe(0);
    expect(await staff(tree)).not.toContain("endDate");
  });

  it("reports a bad cell at EXPORT:line:col and writes nothing", async () => {
    const tree = await newTree();
    const file = await writeExport(
      tree,
      "export.csv",
      SAME +
        "E4,Wren Park,wren@example.com,ENG-PLATFORM,SRE,E2,active,2026-13-01,\nE2,Twin,t@example.com,,,,Retired,,\n",
    );
    const before = await snapshot(tree);
    const run = await sync(tree, [file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(
      'export.csv:5:58 error HR003 startDate "2026-13-01" is not a date in the form YYYY-MM-DD',
    );
    expect(run.stderr).toContain(
      'export.csv:6:26 error HR003 unknown status "Retired"; map it under values.status',
    );
    expect(run.stderr).toContain("error: the HR export has problems; nothing was changed");
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await snapshot(tree)).toEqual(before);

    await writeExport(tree, "dup.csv", SAME + "E2,Twin,t@example.com,,,,active,,\n");
    const dup = await sync(tree, ["dup.csv"]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain(
      'dup.csv:5:1 error HR004 employee number "E2" appears twice in the export (first at line 3)',
    );
    await writeExport(tree, "cols.csv", "employeeNumber,email\nE1,carol@example.com\n");
    expect((await sync(tree, ["cols.csv"])).stderr).toContain(
      'cols.csv:1:1 error HR002 the export has no name column ("name")',
    );
    await writeExport(tree, "torn.csv", SAME + "E4,Wren");
    const torn = await sync(tree, ["torn.csv"]);
    expect(torn.code).toBe(1);
    expect(torn.stderr).toMatch(/torn\.csv:5:1 error HR001 the CSV cannot be read: Invalid Record Length/);
    expect(await snapshot(tree)).toEqual(before);
  });

  it("validates the whole edited tree first: an unknown manager writes nothing and shows the diagnostics", async () => {
    const tree = await newTree();
    await writeFile(path.join(tree.cwd, "mapping.yaml"), "managerKey: id\n");
    const file = await writeExport(
      tree,
      "export.csv",
      HEADER + CAROL + ALICE.replace(",E1,", ",carol,") + BOB.replace(",E1,", ",nobody,"),
    );
    const before = await snapshot(tree);
    const inside = await sync(tree, [file, "--mapping", "access/mapping.yaml"]);
    expect(inside.code).toBe(64);
    expect(inside.stderr).toContain(
      "error: keep the HR mapping outside access: every .yaml file there is read as an access file",
    );
    const run = await sync(tree, [file, "--mapping", "mapping.yaml"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /access\/users\/staff\.yaml:22:\d+ error GH204 manager user "nobody" is not defined/,
    );
    expect(run.stderr).toContain(
      "error: the synced access files would not validate (the lines above are those of the files as the sync would write them); nothing was written",
    );
    expect(await snapshot(tree)).toEqual(before);
  });

  it("--check writes nothing and exits 1 when the files would change, 0 when they would not", async () => {
    const tree = await newTree();
    const changed = await writeExport(tree, "changed.csv", SAME.replace("Head of Platform,", "CTO,"));
    const same = await writeExport(tree, "same.csv", SAME);
    const before = await snapshot(tree);
    const check = await sync(tree, [changed, "--check"]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("      title: Head of Platform → CTO\n");
    expect(check.stdout).toContain("Would change access/users/staff.yaml; nothing was written (--check).");
    expect(await snapshot(tree)).toEqual(before);
    const clean = await sync(tree, [same, "--check"]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain("No changes");
  });

  it("reads CSV quoting, UTF-8 names, a byte order mark and CRLF line ends", async () => {
    const tree = await newTree();
    const file = await writeExport(
      tree,
      "export.csv",
      "\uFEFF" +
        (
          SAME + 'E5,"Ångström, Zoë ""Z""",zoe.angstrom@example.com,"ENG-PLATFORM",,E1,active,2026-01-05,\n'
        ).replaceAll("\n", "\r\n"),
    );
    const run = await sync(tree, [file]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const model = (await tree.validate()).model;
    expect(model.users.get("zoe.angstrom")).toMatchObject({
      name: 'Ångström, Zoë "Z"',
      department: "ENG-PLATFORM",
      manager: "carol",
      employeeNumber: "E5",
      startDate: "2026-01-05",
    });
    expect((await sync(tree, [file])).stdout).toContain("No changes");
  });

  it("reads hr/mapping.yaml when no --mapping is given, as the shipped workflow passes it", async () => {
    const tree = await newTree();
    // HR's own column names: without the mapping there is no name column to read.
    const file = await writeExport(
      tree,
      "export.csv",
      SAME.replace("employeeNumber,name,", "Employee ID,Full Name,"),
    );
    expect((await sync(tree, [file])).stderr).toContain("HR002");
    await mkdir(path.join(tree.cwd, "hr"), { recursive: true });
    await writeFile(
      path.join(tree.cwd, "hr/mapping.yaml"),
      "columns:\n  employeeNumber: Employee ID\n  name: Full Name\n",
    );
    const run = await sync(tree, [file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("No changes");
  });

  it("reads a JSON export with a mapping of columns, values and dates, and reports a bad value at its line and column", async () => {
    const tree = await newTree();
    await writeFile(
      path.join(tree.cwd, "mapping.yaml"),
      [
        "columns:",
        "  employeeNumber: Employee ID",
        "  name: Full Name",
        "  email: Work Email",
        "  department: Dept",
        "  employmentType: Worker Type",
        "  status: Employment Status",
        "  startDate: Hire Date",
        "values:",
        "  employmentType: { Freelance: contractor }",
        "  status: { Leave: leave, Gone: terminated }",
        "dateFormat: DD.MM.YYYY",
        "records: employees",
        "",
      ].join("\n"),
    );
    const record = (
      id: string,
      name: string,
      email: string,
      dept: string,
      type: string,
      status: string,
      hired: string,
    ) =>
      `    { "Employee ID": "${id}", "Full Name": "${name}", "Work Email": "${email}", "Dept": "${dept}", "Worker Type": "${type}", "Employment Status": "${status}", "Hire Date": "${hired}" }`;
    const exportText = (aliceType: string) =>
      `{\n  "employees": [\n${[
        record("E1", "Carol Mbeki", "carol@example.com", "ENG-PLATFORM", "Full-time", "Active", "13.01.2020"),
        record("E2", "Alice Liddell", "alice@example.com", "ENG-PLATFORM", aliceType, "Leave", "01.02.2021"),
        record("E3", "Bob Castellanos", "bob@example.com", "SALES", "full-time", "active", ""),
      ].join(",\n")}\n  ]\n}\n`;
    await writeExport(tree, "bad.json", exportText("Seasonal"));
    const before = await snapshot(tree);
    const bad = await sync(tree, ["bad.json", "--mapping", "mapping.yaml"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'bad.json:4:132 error HR003 unknown employmentType "Seasonal"; map it under values.employmentType',
    );
    expect(await snapshot(tree)).toEqual(before);

    await writeExport(tree, "export.json", exportText("Freelance"));
    const run = await sync(tree, ["export.json", "--mapping", "mapping.yaml", "--format", "json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as {
      movers: { id: string; changes: unknown[] }[];
      isWritten: boolean;
    };
    expect(out.isWritten).toBe(true);
    expect(out.movers).toEqual([
      {
        id: "alice",
        employeeNumber: "E2",
        source: { file: "access/users/staff.yaml", line: 13, column: 5 },
        changes: [
          { field: "employmentType", before: "employee", after: "contractor" },
          { field: "status", before: "active", after: "leave" },
        ],
        losesAccess: null,
      },
    ]);
    // Carol (Full-time: employee, as the default) and Bob (no hire date; none in the files) did not change.
    expect(await staff(tree)).toBe(
      STAFF.replace(
        '    employeeNumber: "E2"\n',
        '    employeeNumber: "E2"\n    employmentType: contractor\n    status: leave\n',
      ),
    );
  });

  it("refuses to edit a symlinked or read-only users file, and writes nothing", async () => {
    const tree = await newTree();
    const file = await writeExport(tree, "export.csv", SAME.replace("Head of Platform,", "CTO,"));
    const target = path.join(tree.dir, "users/staff.yaml");
    await chmod(target, 0o444);
    const readOnly = await sync(tree, [file]);
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toContain("access/users/staff.yaml: not edited (it is read-only)");
    await chmod(target, 0o644);
    // A link to a file the loader does not read itself (not .yaml), so the tree stays valid.
    await rename(target, path.join(tree.dir, "users/staff.txt"));
    await symlink("staff.txt", target);
    const before = await snapshot(tree);
    const linked = await sync(tree, [file]);
    expect(linked.code).toBe(1);
    expect(linked.stderr).toContain("not edited (it is a symbolic link)");
    expect(await snapshot(tree)).toEqual(before);
  });

  it("gives a joiner the role baseline of their department from their start date, and a mover the new one (plan)", async () => {
    const tree = await newTree();
    const NOW = new Date("2026-06-01T12:00:00Z");
    const START = new Date("2026-06-15T09:00:00Z");
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], NOW)).code).toBe(0);
    const file = await writeExport(
      tree,
      "export.csv",
      HEADER +
        CAROL +
        "E2,Alice Liddell,alice@example.com,SALES,Engineer,E1,active,2021-02-01,\n" +
        BOB +
        "E4,Wren Park,wren@example.com,ENG-PLATFORM,SRE,E2,active,2026-06-15,\n",
    );
    expect((await sync(tree, [file], NOW)).code).toBe(0);
    const early = await runCliIn(tree.cwd, ["plan"], NOW);
    expect(early.stdout).not.toMatch(/add wren to/);
    expect(early.stdout).toMatch(/\+ add alice to team-sales-read .*role baseline/);
    expect(early.stdout).toMatch(/- remove alice from team-platform-write/);
    const onStart = await runCliIn(tree.cwd, ["plan"], START);
    expect(onStart.stdout).toMatch(
      /\+ add wren to team-platform-write .*role baseline, access\/roles\/roles\.yaml:2:5/,
    );
  });
});

/** Groups alice lists directly: sales (her new department's role gives it), deploy-prod and wiki-admins (no role does). */
const MOVER_GROUPS = `groups:
  - name: team-platform-write
    owners: [carol]
    members: []
  - name: team-sales-read
    owners: [carol]
    members:
      - alice # before her move
  - name: deploy-prod
    owners: [carol] # the on-call lead
    members:
      - { user: alice, until: "2026-09-01T00:00:00Z", reason: on-call }
      - carol
  - name: wiki-admins
    owners: [carol]
    review:
      due: 2026-06-20
      pending:
        - carol
    members: [alice, carol]
`;
/** Alice moves from ENG-PLATFORM to SALES. */
const ALICE_TO_SALES = SAME.replace(ALICE, ALICE.replace("ENG-PLATFORM", "SALES"));
/** MOVER_GROUPS after alice's move on 2026-06-01 (the default 14 days): only the review lines are new. */
const FLAGGED_GROUPS = MOVER_GROUPS.replace(
  "    owners: [carol] # the on-call lead\n",
  "    owners: [carol] # the on-call lead\n    review:\n      due: 2026-06-15\n      pending:\n        - alice\n",
).replace(
  "        - carol\n    members: [alice, carol]",
  "        - carol\n        - alice\n    members: [alice, carol]",
);
const groupsFile = (tree: AccessTree) => readFile(path.join(tree.dir, "groups/teams.yaml"), "utf8");

describe("gatehouse hr sync: movers' grants outside the new role go to the owners", () => {
  it("puts a department mover's direct grants outside the new baseline to review, and leaves the rest", async () => {
    const tree = await newTree({ "groups/teams.yaml": MOVER_GROUPS });
    const file = await writeExport(tree, "export.csv", ALICE_TO_SALES);
    const run = await sync(tree, [file]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "Movers' grants their new role does not give (2): put to the group's owners, revoked by `review close` after the due day unless they re-approve:\n" +
        "  ! alice in deploy-prod  access/groups/teams.yaml: review opened, due 2026-06-15\n" +
        "  ! alice in wiki-admins  access/groups/teams.yaml: added to the open review, due 2026-06-20\n",
    );
    expect(run.stdout).toContain("Wrote access/users/staff.yaml, access/groups/teams.yaml.");
    // team-sales-read is in her new role's baseline: not flagged; nothing else in the file moves.
    expect(await groupsFile(tree)).toBe(FLAGGED_GROUPS);
    // The same export again: she is no mover any more, nothing changes.
    const again = await sync(tree, [file]);
    expect(again.stdout).toContain("No changes");
    expect(await groupsFile(tree)).toBe(FLAGGED_GROUPS);
  });

  it("flags nobody for a change of name or e-mail, nor for a move whose direct groups the new role gives", async () => {
    const tree = await newTree({ "groups/teams.yaml": MOVER_GROUPS });
    const renamed = await writeExport(
      tree,
      "renamed.csv",
      SAME.replace("E2,Alice Liddell,alice@example.com", "E2,Alice Hargreaves,alice.h@example.com"),
    );
    const run = await sync(tree, [renamed, "--format", "json"]);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { movers: { id: string }[]; flagged: unknown[]; files: unknown[] };
    expect(out.movers.map((m) => m.id)).toEqual(["alice"]);
    expect(out.flagged).toEqual([]);
    expect(out.files).toEqual([{ file: "access/users/staff.yaml", isNew: false }]);
    expect(await groupsFile(tree)).toBe(MOVER_GROUPS);

    // Bob moves from SALES to ENG-PLATFORM with a line of his own in team-platform-write: his new role gives it.
    const bobTree = await newTree({
      "groups/teams.yaml": MOVER_GROUPS.replace("    members: []\n", "    members: [bob]\n"),
    });
    const moved = await writeExport(
      bobTree,
      "bob.csv",
      SAME.replace(BOB, BOB.replace("SALES", "ENG-PLATFORM")),
    );
    const bob = await sync(bobTree, [moved]);
    expect(bob.code).toBe(0);
    expect(bob.stdout).toContain("department: SALES → ENG-PLATFORM");
    expect(bob.stdout).not.toContain("Movers' grants");
    expect(bob.stdout).toContain("Wrote access/users/staff.yaml.");
  });

  it("--check writes nothing and reports the flags; --format json lists them; --mover-review-days sets the due day", async () => {
    const tree = await newTree({ "groups/teams.yaml": MOVER_GROUPS });
    const file = await writeExport(tree, "export.csv", ALICE_TO_SALES);
    const before = await snapshot(tree);
    const check = await sync(tree, [file, "--check"]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      "  ! alice in deploy-prod  access/groups/teams.yaml: review opened, due 2026-06-15\n",
    );
    expect(check.stdout).toContain(
      "Would change access/users/staff.yaml, access/groups/teams.yaml; nothing was written (--check).",
    );
    expect(await snapshot(tree)).toEqual(before);

    const json = await sync(tree, [file, "--check", "--format", "json", "--mover-review-days", "30"]);
    expect(json.code).toBe(1);
    const out = JSON.parse(json.stdout) as { flagged: unknown[]; isWritten: boolean };
    expect(out.isWritten).toBe(false);
    expect(out.flagged).toEqual([
      {
        id: "alice",
        group: "deploy-prod",
        file: "access/groups/teams.yaml",
        due: "2026-07-01",
        opensReview: true,
      },
      {
        id: "alice",
        group: "wiki-admins",
        file: "access/groups/teams.yaml",
        due: "2026-06-20",
        opensReview: false,
      },
    ]);
    expect(await snapshot(tree)).toEqual(before);
    const bad = await sync(tree, [file, "--mover-review-days", "0"]);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('--mover-review-days takes a whole number of days, 1 to 365 (got "0")');
    expect(await snapshot(tree)).toEqual(before);
  });

  it("edits a file holding both the mover and the group once, with both changes", async () => {
    const both = STAFF + MOVER_GROUPS;
    const tree = await newTree({ "users/staff.yaml": both, "groups/teams.yaml": "groups: []\n" });
    const file = await writeExport(tree, "export.csv", ALICE_TO_SALES);
    const run = await sync(tree, [file]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Wrote access/users/staff.yaml.");
    expect(await staff(tree)).toBe(
      STAFF.replace(
        "department: ENG-PLATFORM\n    title: Engineer",
        "department: SALES\n    title: Engineer",
      ) + FLAGGED_GROUPS,
    );
  });

  it("writes nothing when a flagged group cannot be edited safely", async () => {
    const flow = MOVER_GROUPS.replace(
      '  - name: deploy-prod\n    owners: [carol] # the on-call lead\n    members:\n      - { user: alice, until: "2026-09-01T00:00:00Z", reason: on-call }\n      - carol\n',
      '  - { name: deploy-prod, owners: [carol], members: [{ user: alice, until: "2026-09-01T00:00:00Z" }] }\n',
    );
    expect(flow).not.toBe(MOVER_GROUPS);
    const tree = await newTree({ "groups/teams.yaml": flow });
    const file = await writeExport(tree, "export.csv", ALICE_TO_SALES);
    const before = await snapshot(tree);
    const run = await sync(tree, [file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'access/groups/teams.yaml:9:5: not edited (group "deploy-prod" is written as a flow mapping)',
    );
    expect(await snapshot(tree)).toEqual(before);
  });

  it("end to end: what the owners do not re-approve, review close revokes after the due day", async () => {
    const tree = await newTree({ "groups/teams.yaml": MOVER_GROUPS });
    const NOW = new Date("2026-06-01T12:00:00Z");
    const file = await writeExport(tree, "export.csv", ALICE_TO_SALES);
    expect((await sync(tree, [file], NOW)).code).toBe(0);
    // On the due day nothing is revoked yet.
    const onDue = await runCliIn(tree.cwd, ["review", "close"], new Date("2026-06-15T23:00:00Z"));
    expect(onDue.code).toBe(0);
    expect(await groupsFile(tree)).toBe(FLAGGED_GROUPS);
    // (A tree this small allows no removal by the default guard rail: the one revocation is allowed.)
    const closed = await runCliIn(
      tree.cwd,
      ["review", "close", "--allow-removals", "1"],
      new Date("2026-06-16T06:00:00Z"),
    );
    expect(closed.stderr).toBe("");
    expect(closed.code).toBe(0);
    expect(closed.stdout).toContain("alice");
    // Her grant in deploy-prod is gone with the review; carol stays, and the other review runs on.
    expect(await groupsFile(tree)).toBe(
      FLAGGED_GROUPS.replace(
        "    review:\n      due: 2026-06-15\n      pending:\n        - alice\n",
        "",
      ).replace('      - { user: alice, until: "2026-09-01T00:00:00Z", reason: on-call }\n', ""),
    );
  });
});
