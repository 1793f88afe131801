import { describe, expect, it } from "vitest";
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
