import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { main } from "../../src/cli/main.ts";
import { configYaml, writeAccessTree } from "../helpers/access-tree.ts";
import { captureIo } from "../helpers/cli-io.ts";

async function runValidate(files: Readonly<Record<string, string | Uint8Array>>) {
  const tree = await writeAccessTree(files);
  try {
    const { io, out, err } = captureIo(tree.cwd);
    const code = await main(["validate", "--dir", "access"], io);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    await tree.remove();
  }
}

describe("gatehouse validate", () => {
  it("exits 1 and prints file:line:col for a semantic error", async () => {
    const result = await runValidate({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": "users:\n  - id: alice\n    name: Alice\n    manager: bob\n",
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("access/users/people.yaml:4:14");
    expect(result.stdout).toContain("GH204");
  });

  it("uses the parse cache as plan does, and reports the same from it", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": "users:\n  - id: alice\n    name: Alice\n    manager: bob\n    emial: a@x\n",
    });
    try {
      const run = async (): Promise<string> => {
        const { io, out } = captureIo(tree.cwd);
        expect(await main(["validate", "--dir", "access"], io)).toBe(1);
        return out.join("");
      };
      const cold = await run();
      const entries = readdirSync(path.join(tree.cwd, ".gatehouse/cache")).filter((n) => n.endsWith(".v8"));
      expect(entries).toHaveLength(2); // gatehouse.yaml and people.yaml
      expect(await run()).toBe(cold);
      expect(cold).toContain("access/users/people.yaml:5:5");
    } finally {
      await tree.remove();
    }
  });

  it("exits 1 on a hostile file instead of crashing", async () => {
    const bomb = readFileSync(path.join(import.meta.dirname, "../fixtures/hostile/alias-bomb.yaml"));
    const result = await runValidate({ "gatehouse.yaml": configYaml(), "bomb.yaml": bomb });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("access/bomb.yaml:1:1");
    expect(result.stdout).toContain("GH017");
    expect(result.stderr).not.toContain("internal error");
  });

  it("survives a file that repeats one mistake 150,000 times, and shows the first 100 and a count", async () => {
    const members = "      - bob\n".repeat(150_000);
    const result = await runValidate({
      "gatehouse.yaml": configYaml(),
      "people.yaml": "users:\n  - { id: bob, name: Bob }\n",
      "groups.yaml": `groups:\n  - name: g\n    owners: [bob]\n    members:\n${members}`,
    });
    expect(result.stderr).not.toContain("internal error");
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n").filter((l) => l.includes(" GH211 "))).toHaveLength(101);
    expect(result.stdout).toContain(
      "access/groups.yaml:150004:9 warning GH211 149899 more GH211 warning(s) in this file are not shown (the last one is here)",
    );
  });

  it("refuses account names with line breaks, NUL or spaces at either end (they would inject into CODEOWNERS, LDAP)", async () => {
    const result = await runValidate({
      "gatehouse.yaml": configYaml(),
      "people.yaml":
        'users:\n  - { id: ann, name: Ann, accounts: { github: "ann\\n* @mallory" } }\n  - { id: bob, name: Bob, accounts: { directory: " bob" } }\n  - { id: cy, name: Cy, accounts: { directory: "c\\0y" } }\n  - { id: dee, name: Dee, accounts: { directory: "Dee Two" } }\n',
    });
    expect(result.code).toBe(1);
    const refused = result.stdout
      .split("\n")
      .filter((l) => l.includes("must be an account name without control"));
    expect(refused.map((l) => l.split(" ")[0])).toEqual([
      "access/people.yaml:2:47",
      "access/people.yaml:3:50",
      "access/people.yaml:4:48",
    ]);
  });

  it("refuses a .yaml name that is a named pipe instead of blocking on it or skipping it", async () => {
    const tree = await writeAccessTree({ "gatehouse.yaml": configYaml() });
    try {
      execFileSync("mkfifo", [path.join(tree.dir, "people.yaml")]);
      const { io, out } = captureIo(tree.cwd);
      expect(await main(["validate"], io)).toBe(1);
      expect(out.join("")).toContain(
        "access/people.yaml:1:1 error GH007 is not a regular file (a pipe, socket or device); it is not read",
      );
    } finally {
      await tree.remove();
    }
  });

  it("refuses aliases under the alias count limit that copy a large list many times", async () => {
    const list = "      - bob\n".repeat(5_000);
    const copies = Array.from(
      { length: 30 },
      (_, i) => `  - name: g${String(i)}\n    owners: [bob]\n    members: *m\n`,
    );
    const result = await runValidate({
      "gatehouse.yaml": configYaml(),
      "people.yaml": "users:\n  - { id: bob, name: Bob }\n",
      "groups.yaml": `groups:\n  - name: g\n    owners: [bob]\n    members: &m\n${list}${copies.join("")}`,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "access/groups.yaml:1:1 error GH017 YAML aliases copy more than 100000 values; write the values out instead of using anchors",
    );
  });

  it("exits 0 when there are only warnings", async () => {
    const result = await runValidate({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": "users:\n  - id: alice\n    name: Alice\n",
      "groups/a.yaml": "groups:\n  - name: team-a\n    owners: [alice]\n    members: [alice, alice]\n",
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("GH211");
  });
});
