/**
 * Someone security cut off by hand (`status: terminated` in the files) whom HR still has active, through
 * the real CLI on a real temporary tree: the next scheduled `hr sync` put the status back to active, a
 * routine sync pull request that gave them their access back. Now only a new start date (a rehire) takes a
 * leaver back; otherwise the row's status is not synced and the output says so.
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
    startDate: 2018-04-01
  - id: wei
    name: 王伟
    email: wei.wang@acme.de
    department: IT
    manager: lena
    employeeNumber: "1004"
    startDate: 2021-03-01
    status: terminated # INC-2291: cut off by security, HR to follow
  - id: pedro
    name: Pedro Gómez
    email: pedro.gomez@acme.de
    department: IT
    manager: lena
    employeeNumber: "1008"
    status: terminated
    startDate: 2020-01-01
    endDate: 2025-06-30
`;

const HEADER = "employeeNumber,name,email,department,manager,status,startDate,endDate\n";
const LENA = "1001,Lena Schäfer,lena.schaefer@acme.de,GF,,active,2018-04-01,\n";
const WEI = "1004,王伟,wei.wang@acme.de,IT,1001,active,2021-03-01,\n";
const PEDRO_GONE = "1008,Pedro Gómez,pedro.gomez@acme.de,IT,1001,terminated,2020-01-01,2025-06-30\n";

async function sync(tree: AccessTree, text: string) {
  await writeFile(path.join(tree.cwd, "export.csv"), text);
  return runCliIn(tree.cwd, ["hr", "sync", "export.csv"]);
}

describe("hr sync: a termination HR has not entered yet", () => {
  it("leaves the person terminated, byte for byte, and says why; a rehire with a new start date still comes back", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": "providers:\n  directory: { type: local, path: .gatehouse/directory.json }\n",
      "users/people.yaml": USERS,
    });
    trees.push(tree);
    const file = path.join(tree.dir, "users/people.yaml");

    const lagging = await sync(tree, HEADER + LENA + WEI + PEDRO_GONE);
    expect(lagging.code).toBe(0);
    expect(lagging.stdout).toBe(
      "hr sync of export.csv: 3 row(s); fields synced: name, email, department, manager, status, startDate, endDate\n" +
        "Skipped rows (1):\n" +
        "  export.csv:3:1 1004: wei is terminated in the access files (access/users/people.yaml:8:5) and active in HR with no new startDate: status not synced, they are not let back in (a rehire comes with a new start date; if HR took a termination back, set the status by hand)\n" +
        "No changes: the access files already say what the export says.\n",
    );
    expect(await readFile(file, "utf8")).toBe(USERS);

    // Pedro is hired again from 1 July (the tests' clock is 2026-06-01): a rehire.
    const rehire = await sync(
      tree,
      HEADER + LENA + WEI + "1008,Pedro Gómez,pedro.gomez@acme.de,IT,1001,active,2026-07-01,\n",
    );
    expect(rehire.code).toBe(0);
    expect(rehire.stdout).toContain(
      "  ~ pedro (1008)  access/users/people.yaml:16:5\n      status: terminated → active\n      startDate: 2020-01-01 → 2026-07-01\n      endDate: 2025-06-30 → (none)\n",
    );
    const after = await readFile(file, "utf8");
    expect(after).toContain("    status: terminated # INC-2291: cut off by security, HR to follow\n");
    expect(after).toContain("    status: active\n    startDate: 2026-07-01\n");
  });
});
