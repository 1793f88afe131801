import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateAccessTree } from "../../src/validate/validate-tree.ts";

const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
  .map((m) => m[1] ?? "")
  .filter((text) => /^providers:/m.test(text));
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe("README gatehouse.yaml examples", () => {
  it("has examples to check", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
  });

  it.each(blocks.map((text, i) => [i, text] as const))(
    "example %i loads with no YAML or schema error",
    async (_i, text) => {
      const cwd = await mkdtemp(join(tmpdir(), "gh-readme-"));
      dirs.push(cwd);
      await mkdir(join(cwd, "access"));
      await writeFile(join(cwd, "access", "gatehouse.yaml"), text);
      const tree = await validateAccessTree("access", { cwd, now: new Date("2026-11-25T00:00:00Z") });
      // Rules about people and groups do not apply to a config on its own; YAML and schema problems do.
      const problems = tree.diagnostics.filter((d) => /^GH[01]\d\d$/.test(d.code));
      expect(problems.map((d) => `${String(d.line)}:${String(d.column)} ${d.code} ${d.message}`)).toEqual([]);
      expect(tree.model.config.providers.length).toBeGreaterThan(0);
    },
  );
});
