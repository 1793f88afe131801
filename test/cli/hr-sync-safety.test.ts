/**
 * `gatehouse hr sync`'s safety nets, through the real CLI on real temporary trees: the joiners guard
 * (option and mapping), the 64 MB export limit, a file changed while the sync ran, and the multi-file
 * write that leaves every file as it was when one cannot be written.
 */
import { appendFileSync, watch } from "node:fs";
import { readdir, readFile, stat, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_EXPORT_BYTES } from "../../src/hr/read-export.ts";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";
import { DEFAULT_LIMITS } from "../../src/load/parse.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const STAFF = `# Staff, synced from HR.
users:
  - id: carol
    name: Carol Mbeki
    email: carol@example.com
    department: ENG
    employeeNumber: "E1"

  - id: alice
    name: Alice Liddell
    email: alice@example.com
    department: ENG
    manager: carol
    employeeNumber: "E2"
`;

const FILES = {
  "gatehouse.yaml": "providers:\n  directory: { type: local, path: .gatehouse/directory.json }\n",
  "users/staff.yaml": STAFF,
  "groups/teams.yaml": "groups:\n  - name: team-eng\n    owners: [carol]\n    members: []\n",
  "roles/roles.yaml": "roles:\n  - name: eng\n    when: { department: ENG }\n    groups: [team-eng]\n",
};

const HEADER = "employeeNumber,name,email,department,manager,status\n";
const SAME =
  HEADER + "E1,Carol Mbeki,carol@example.com,ENG,,active\nE2,Alice Liddell,alice@example.com,ENG,E1,active\n";
/** `n` new people, E100 on. */
const joiners = (n: number): string =>
  Array.from(
    { length: n },
    (_, i) => `E${String(100 + i)},New ${String(i)},new${String(i)}@example.com,ENG,E1,active\n`,
  ).join("");

async function newTree(): Promise<AccessTree> {
  const tree = await writeAccessTree(FILES);
  trees.push(tree);
  return tree;
}

/** Every entry under the working directory (dot files and temp files too), with its bytes and mode. */
async function snapshot(tree: AccessTree): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(tree.dir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    const rel = path.relative(tree.dir, file);
    const mode = ((await stat(file)).mode & 0o7777).toString(8);
    out.set(rel, entry.isFile() ? `${mode} ${await readFile(file, "utf8")}` : `${mode} (folder)`);
  }
  return out;
}

const sync = (tree: AccessTree, argv: string[]) => runCliIn(tree.cwd, ["hr", "sync", ...argv]);

describe("hr sync: the joiners guard", () => {
  it("refuses more than 10 joiners into a 2-person tree by default, writes nothing, and goes ahead with --max-joiners", async () => {
    const tree = await newTree();
    await writeFile(path.join(tree.cwd, "ten.csv"), SAME + joiners(10));
    await writeFile(path.join(tree.cwd, "eleven.csv"), SAME + joiners(11));
    const before = await snapshot(tree);

    const refused = await sync(tree, ["eleven.csv"]);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain(
      "Refused by guard rails; nothing was written:\n  - 11 people would join, over the limit (10% of 2 people = 1, at least 10 by default); is this the right HR system's export (the right company and tenant), or the first sync into these files? Pass --max-joiners 11 if it is\n",
    );
    const json = await sync(tree, ["eleven.csv", "--format", "json"]);
    expect(json.code).toBe(3);
    expect((JSON.parse(json.stdout) as { refused: unknown[] }).refused).toEqual([
      expect.objectContaining({ guard: "max-joiners", count: 11, limit: 10 }),
    ]);
    expect(await snapshot(tree)).toEqual(before);

    // The floor: 10 pass without an override (10% of 2 people would be 1).
    expect((await sync(tree, ["ten.csv", "--check"])).code).toBe(1);
    expect(await snapshot(tree)).toEqual(before);

    const bad = await sync(tree, ["eleven.csv", "--max-joiners", "lots"]);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toBe(
      'error: --max-joiners takes a number of people or a percentage such as 5% (got "lots")\n',
    );

    const allowed = await sync(tree, ["eleven.csv", "--max-joiners", "11"]);
    expect(allowed.stderr).toBe("");
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain("Joiners (11):");
    const hr = await readFile(path.join(tree.dir, "users/hr.yaml"), "utf8");
    expect(hr.match(/^ {2}- id: /gm)).toHaveLength(11);
  });

  it("takes maxJoiners from the mapping, exactly (no floor), and the option over the mapping", async () => {
    const tree = await newTree();
    await writeFile(path.join(tree.cwd, "mapping.yaml"), "maxJoiners: 50%\n");
    await writeFile(path.join(tree.cwd, "two.csv"), SAME + joiners(2));
    const before = await snapshot(tree);
    const refused = await sync(tree, ["two.csv", "--mapping", "mapping.yaml"]);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain(
      "  - 2 people would join, over the limit (50% of 2 people = 1); is this the right HR system's export (the right company and tenant), or the first sync into these files? Pass --max-joiners 2 if it is\n",
    );
    expect(await snapshot(tree)).toEqual(before);
    const allowed = await sync(tree, ["two.csv", "--mapping", "mapping.yaml", "--max-joiners", "100%"]);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain("Joiners (2):");
  });
});

describe("hr sync: the export's size", () => {
  it("refuses an export over 64 MB at EXPORT:1:1 without reading it, and writes nothing", async () => {
    const tree = await newTree();
    const file = path.join(tree.cwd, "huge.csv");
    // A sparse file: the size is real, the disk holds next to nothing.
    await writeFile(file, SAME);
    await truncate(file, MAX_EXPORT_BYTES + 1);
    const before = await snapshot(tree);
    const run = await sync(tree, ["huge.csv"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `huge.csv:1:1 error HR001 the export is ${String(MAX_EXPORT_BYTES + 1)} bytes, over the ${String(MAX_EXPORT_BYTES)}-byte limit\n` +
        "error: the HR export has problems; nothing was changed (1 error(s), 0 warning(s))\n",
    );
    expect(await snapshot(tree)).toEqual(before);

    // Exactly at the limit is read (and then judged on its content: here, NUL bytes).
    await truncate(file, MAX_EXPORT_BYTES);
    const atLimit = await sync(tree, ["huge.csv"]);
    expect(atLimit.code).toBe(1);
    expect(atLimit.stderr).not.toContain("byte limit");
    expect(atLimit.stderr).toContain("HR001 the export is binary");
  });

  it("stops reading an export that never ends one byte past the limit", async () => {
    const tree = await newTree();
    // The size a device reports (0) is not trusted: the read stops at the limit, not at the end.
    const run = await sync(tree, ["/dev/zero"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `/dev/zero:1:1 error HR001 the export is over the ${String(MAX_EXPORT_BYTES)}-byte limit\n` +
        "error: the HR export has problems; nothing was changed (1 error(s), 0 warning(s))\n",
    );
  });
});

describe("hr sync: the mapping's size", () => {
  it("refuses a mapping over the access files' 16 MB limit, and one that never ends, without reading it", async () => {
    const tree = await newTree();
    await writeFile(path.join(tree.cwd, "export.csv"), SAME);
    const mapping = path.join(tree.cwd, "mapping.yaml");
    await writeFile(mapping, "columns: {}\n");
    await truncate(mapping, DEFAULT_LIMITS.maxFileBytes + 1);
    const before = await snapshot(tree);
    const huge = await sync(tree, ["export.csv", "--mapping", "mapping.yaml"]);
    expect(huge.code).toBe(1);
    expect(huge.stderr).toBe(
      `mapping.yaml:1:1 error HR010 the mapping is ${String(DEFAULT_LIMITS.maxFileBytes + 1)} bytes, over the ${String(DEFAULT_LIMITS.maxFileBytes)}-byte limit\n` +
        "error: the HR mapping has errors; nothing was changed (1 error(s), 0 warning(s))\n",
    );
    const endless = await sync(tree, ["export.csv", "--mapping", "/dev/zero"]);
    expect(endless.code).toBe(1);
    expect(endless.stderr).toContain(
      `/dev/zero:1:1 error HR010 the mapping is over the ${String(DEFAULT_LIMITS.maxFileBytes)}-byte limit\n`,
    );
    expect(await snapshot(tree)).toEqual(before);
  });
});

describe("hr sync: writing", () => {
  it("refuses, writing nothing, when an access file changes while the sync runs", async () => {
    const tree = await newTree();
    await writeFile(
      path.join(tree.cwd, "export.csv"),
      SAME.replace("Alice Liddell", "Alice Lee") + joiners(1),
    );
    const users = path.join(tree.dir, "users");
    const staff = path.join(users, "staff.yaml");
    // Someone saves staff.yaml after the sync read it: the moment the sync puts its first temp file
    // down (the edits are made and validated by then), before any file is renamed into place.
    let isChanged = false;
    const watcher = watch(users, (_event, name) => {
      if (isChanged || name?.endsWith(".tmp") !== true) return;
      isChanged = true;
      appendFileSync(staff, "# edited by hand meanwhile\n");
    });
    let run;
    try {
      run = await sync(tree, ["export.csv"]);
    } finally {
      watcher.close();
    }
    expect(isChanged).toBe(true);
    expect(run.stderr).toBe(
      "error: access/users/staff.yaml changed while hr sync ran; nothing was written, run it again\n",
    );
    expect(run.code).toBe(1);
    expect(await readFile(staff, "utf8")).toBe(STAFF + "# edited by hand meanwhile\n");
    // Neither the joiners file nor a temp file is left.
    expect((await readdir(users)).sort()).toEqual(["staff.yaml"]);

    // Run again, it goes through.
    const again = await sync(tree, ["export.csv"]);
    expect(again.code).toBe(0);
    expect(await readFile(staff, "utf8")).toContain("name: Alice Lee\n");
  });

  it("leaves every file byte for byte as it was when one of them cannot be written", async () => {
    const tree = await newTree();
    // The joiners go to a file whose folder cannot be made: `later` is a file, not a folder. The edit of
    // staff.yaml is staged first; nothing may reach it.
    await writeFile(path.join(tree.dir, "later"), "not a folder\n");
    await writeFile(
      path.join(tree.cwd, "export.csv"),
      SAME.replace("Alice Liddell", "Alice Lee") + joiners(1),
    );
    const before = await snapshot(tree);
    const run = await sync(tree, ["export.csv", "--joiners-file", "access/later/hr.yaml"]);
    expect(run.stderr).toMatch(
      /^error: access\/later\/hr\.yaml: could not be written \((EEXIST|ENOTDIR)\); nothing was changed\n$/,
    );
    expect(run.code).toBe(1);
    expect(await snapshot(tree)).toEqual(before);
  });
});
