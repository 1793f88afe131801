/**
 * `hr sync` says what its edit brings that `validate` would warn about, through the real CLI on real
 * temporary trees, from a Workday-style JSON export (records under Report_Entry, numbers as employee ids,
 * MM/DD/YYYY): a contingent worker converted to an employee under a new worker id is a joiner with the
 * e-mail of someone still in the files, who would get a second set of accounts. The warning was only
 * seen at the next `validate`, after the pull request was opened.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const USERS = `users:
  - id: lena
    name: Lena Schäfer
    email: lena.schaefer@acme.de
    department: GF
    employeeNumber: "1001"
  - id: sam
    name: Sam Carter
    email: sam.carter@acme.de
    department: VERTRIEB
    manager: lena
    employeeNumber: "1010"
    employmentType: contractor
    endDate: 2026-12-31
`;

const FILES = {
  "gatehouse.yaml": "providers:\n  directory: { type: local, path: .gatehouse/directory.json }\n",
  "users/people.yaml": USERS,
  "groups/groups.yaml": "groups:\n  - name: dept-sales-read\n    owners: [lena]\n    members: []\n",
  "roles/roles.yaml":
    "roles:\n  - name: sales\n    when: { department: VERTRIEB }\n    groups: [dept-sales-read]\n",
};

const MAPPING = `columns:
  employeeNumber: Employee_ID
  name: Legal_Name
  email: Work_Email
  department: Cost_Center
  manager: Manager_ID
  employmentType: Worker_Type
  endDate: Termination_Date
values:
  employmentType: { Regular: employee, Contingent Worker: contractor }
dateFormat: MM/DD/YYYY
records: Report_Entry
`;

const LENA = {
  Employee_ID: 1001,
  Legal_Name: "Lena Schäfer",
  Work_Email: "lena.schaefer@acme.de",
  Cost_Center: "GF",
  Manager_ID: null,
  Worker_Type: "Regular",
  Termination_Date: null,
};
const SAM = {
  Employee_ID: 1010,
  Legal_Name: "Sam Carter",
  Work_Email: "sam.carter@acme.de",
  Cost_Center: "VERTRIEB",
  Manager_ID: 1001,
  Worker_Type: "Contingent Worker",
  Termination_Date: "12/31/2026",
};

async function newTree(files: Readonly<Record<string, string>> = {}): Promise<AccessTree> {
  const tree = await writeAccessTree({ ...FILES, ...files });
  trees.push(tree);
  await writeFile(path.join(tree.cwd, "mapping.yaml"), MAPPING);
  return tree;
}

async function sync(tree: AccessTree, records: readonly object[], extra: string[] = []) {
  await writeFile(path.join(tree.cwd, "workday.json"), JSON.stringify({ Report_Entry: records }, null, 1));
  return runCliIn(tree.cwd, ["hr", "sync", "workday.json", "--mapping", "mapping.yaml", ...extra]);
}

describe("hr sync: the warnings its edit brings", () => {
  it("warns on stderr when a joiner has the e-mail of someone still in the files (--check and the write)", async () => {
    const tree = await newTree();
    // Converted to an employee: Workday gives the worker a new id; the old one is not in the export.
    const converted = { ...SAM, Employee_ID: 2010, Worker_Type: "Regular", Termination_Date: null };
    const warning =
      'access/users/people.yaml:7:5 warning GH241 users "sam.carter" (access/users/hr.yaml:5:5) and "sam" have the same email sam.carter@acme.de';

    const check = await sync(tree, [LENA, converted], ["--check"]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("  + sam.carter (2010) → access/users/hr.yaml: Sam Carter, VERTRIEB\n");
    expect(check.stderr).toContain(warning);

    const written = await sync(tree, [LENA, converted]);
    expect(written.code).toBe(0);
    expect(written.stderr).toContain(warning);
    expect(await readFile(path.join(tree.dir, "users/hr.yaml"), "utf8")).toContain("  - id: sam.carter\n");
  });

  it("says nothing of warnings the files had before the sync, though its edit moves their lines", async () => {
    // Two people with one e-mail already: validate warns of it; the sync adds a line above one of them.
    const tree = await newTree({
      "users/people.yaml":
        USERS +
        "  - id: sam2\n    name: Sam C.\n    email: Sam.Carter@acme.de\n    department: VERTRIEB\n" +
        '    manager: lena\n    employeeNumber: "1011"\n    employmentType: contractor\n',
    });
    const sam2 = {
      ...SAM,
      Employee_ID: 1011,
      Legal_Name: "Sam C.",
      Work_Email: "Sam.Carter@acme.de",
      Termination_Date: null,
    };
    // Lena's last day (a line added above both Sams) moves every line the warning names.
    const result = await sync(tree, [{ ...LENA, Termination_Date: "12/31/2030" }, SAM, sam2]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Wrote access/users/people.yaml.");
    expect(result.stderr).not.toContain("GH241");
  });
});
