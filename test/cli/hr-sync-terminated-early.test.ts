/**
 * `gatehouse hr sync` and a row HR marks terminated with a last day still ahead: the person keeps the
 * status the files give until that day is over. Someone the files already have as terminated (security
 * cut them off early, or an earlier edit did) is not made active again by the export, which would
 * re-enable their accounts and give their groups back at the next apply; someone on leave stays on leave.
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

/** runCliIn's instant is 2026-06-01: the last day below, 2026-06-30, is still ahead. */
const STAFF = `users:
  - id: ann
    name: Ann Ito
    email: ann@example.com
    employeeNumber: "E1"
    status: terminated # cut off early by security, INC-7
  - id: bo
    name: Bo Lund
    email: bo@example.com
    employeeNumber: "E2"
    status: leave
  - id: cy
    name: Cy Moe
    email: cy@example.com
    employeeNumber: "E3"
`;

const EXPORT =
  "employeeNumber,name,email,status,endDate\n" +
  "E1,Ann Ito,ann@example.com,terminated,2026-06-30\n" +
  "E2,Bo Lund,bo@example.com,terminated,2026-06-30\n" +
  "E3,Cy Moe,cy@example.com,terminated,2026-06-30\n";

describe("hr sync of a termination whose last day is ahead", () => {
  it("keeps the status the files give (terminated, leave, active) and sets only the end date", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": "providers:\n  directory: { type: local, path: .gatehouse/directory.json }\n",
      "users/staff.yaml": STAFF,
      "groups/teams.yaml": "groups:\n  - name: team\n    owners: [cy]\n    members: [ann, bo, cy]\n",
    });
    trees.push(tree);
    await writeFile(path.join(tree.cwd, "export.csv"), EXPORT);
    const run = await runCliIn(tree.cwd, ["hr", "sync", "export.csv", "--max-leavers", "3"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain("terminated → active");
    expect(run.stdout).not.toContain("leave → active");
    const staff = await readFile(path.join(tree.dir, "users/staff.yaml"), "utf8");
    expect(staff).toBe(
      STAFF.replace(
        "    status: terminated # cut off early by security, INC-7\n",
        "    status: terminated # cut off early by security, INC-7\n    endDate: 2026-06-30\n",
      )
        .replace("    status: leave\n", "    status: leave\n    endDate: 2026-06-30\n")
        .replace('    employeeNumber: "E3"\n', '    employeeNumber: "E3"\n    endDate: 2026-06-30\n'),
    );
  });
});

/**
 * The other way round: the last day has passed (the files have the end date, so access went with it), and
 * HR's status turns to terminated only now. That person is neither a mover nor a new leaver.
 */
const GONE = `users:
  - id: dee
    name: Dee Park
    email: dee@example.com
    employeeNumber: "E4"
    department: Sales
    endDate: 2026-05-20
  - id: eli
    name: Eli Roth
    email: eli@example.com
    employeeNumber: "E5"
    department: Sales
`;

describe("hr sync of someone whose last day has passed", () => {
  it("lists them as left already, not as a mover, and no guard rail counts them", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": "providers:\n  directory: { type: local, path: .gatehouse/directory.json }\n",
      "users/staff.yaml": GONE,
      "groups/teams.yaml": "groups:\n  - name: team\n    owners: [eli]\n    members: [eli]\n",
    });
    trees.push(tree);
    await writeFile(
      path.join(tree.cwd, "export.csv"),
      "employeeNumber,name,email,status,endDate,department\n" +
        "E4,Dee Park,dee@example.com,terminated,2026-05-20,Former staff\n" +
        "E5,Eli Roth,eli@example.com,active,,Sales\n",
    );
    // --max-movers 0: a department change of someone still here would be refused.
    const run = await runCliIn(tree.cwd, ["hr", "sync", "export.csv", "--max-movers", "0", "--check"]);
    expect(run.stderr).toBe("");
    expect(run.stdout).not.toContain("Movers");
    expect(run.stdout).not.toMatch(/^Leavers/m);
    expect(run.stdout).toContain("Left already (1)");
    expect(run.stdout).toContain("      status: active → terminated");
    expect(run.stdout).toContain("      department: Sales → Former staff");
    expect(run.code).toBe(1); // --check: the files would change

    const json = await runCliIn(tree.cwd, [
      "hr",
      "sync",
      "export.csv",
      "--max-movers",
      "0",
      "--format",
      "json",
    ]);
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout) as Record<string, { id: string }[]>;
    expect(out["movers"]).toEqual([]);
    expect(out["leavers"]).toEqual([]);
    expect(out["alreadyLeft"]?.map((u) => u.id)).toEqual(["dee"]);
    expect(out["refused"]).toEqual([]);
  });
});
