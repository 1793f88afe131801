import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { briefs, configYaml, validateFiles, writeAccessTree } from "../helpers/access-tree.ts";

const CORPUS = path.join(import.meta.dirname, "../fixtures/hostile");

/** Each hostile file, placed at access/<name>, and the first diagnostic it must produce. */
const EXPECTED: Readonly<Record<string, string>> = {
  "alias-bomb.yaml": "1:1 error GH017",
  "bad-directive.yaml": "1:7 error GH010",
  "beyond-unicode-utf8.yaml": "3:12 error GH006",
  "bidi-override-id.yaml": "2:9 error GH100",
  "binary.yaml": "1:1 error GH005",
  "complex-key.yaml": "1:1 error GH100",
  "constructor-key.yaml": "3:5 error GH014",
  "control-chars.yaml": "4:5 error GH100",
  "cr-only-newlines.yaml": "1:7 error GH010",
  "custom-tag.yaml": "2:11 error GH010",
  "date-as-number.yaml": "4:16 error GH100",
  "deep-block-lists.yaml": "515:1 error GH018",
  "deep-brackets.yaml": "1:264 error GH018",
  "deep-flow-maps.yaml": "1:1032 error GH018",
  "duplicate-keys.yaml": "4:5 error GH011",
  "empty.yaml": "1:1 warning GH015",
  "huge-number.yaml": "3:11 error GH100",
  "invalid-utf8.yaml": "3:13 error GH006",
  "js-function-tag.yaml": "3:11 error GH010",
  "latin1.yaml": "3:14 error GH006",
  "long-line.yaml": "2:11 error GH100",
  "merge-keys.yaml": "1:1 error GH100",
  "multi-doc.yaml": "4:1 error GH012",
  "nan-and-inf.yaml": "3:11 error GH100",
  "nul-byte.yaml": "1:1 error GH005",
  "null-members.yaml": "3:14 error GH100",
  "only-comments.yaml": "1:1 warning GH015",
  "overlong-utf8.yaml": "3:11 error GH006",
  "proto-key.yaml": "4:5 error GH014",
  "prototype-key.yaml": "1:1 error GH014",
  "python-object-tag.yaml": "1:8 error GH010",
  "surrogate-utf8.yaml": "3:14 error GH006",
  "tabs-indent.yaml": "2:1 error GH013",
  "top-level-list.yaml": "1:1 error GH100",
  "top-level-scalar.yaml": "1:1 error GH100",
  "undefined-alias.yaml": "1:1 error GH010",
  "unknown-top-level-key.yaml": "2:1 error GH100",
  "unterminated-flow.yaml": "4:1 error GH010",
  "unterminated-quote.yaml": "5:1 error GH010",
  "utf16-bom.yaml": "1:1 error GH005",
  "wrong-types.yaml": "1:8 error GH100",
  "yaml11-booleans.yaml": "4:13 error GH100",
};

describe("hostile and malformed access files", () => {
  it("has an expectation for every file in the corpus, and at least 30 of them", () => {
    const files = readdirSync(CORPUS).sort();
    expect(files).toEqual(Object.keys(EXPECTED).sort());
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  it.each(Object.entries(EXPECTED))("%s gives a clean diagnostic in under 2 s", async (name, expected) => {
    const started = performance.now();
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      [name]: readFileSync(path.join(CORPUS, name)),
    });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(briefs(result.diagnostics)[0]).toBe(`access/${name}:${expected}`);
    for (const d of result.diagnostics) expect(d.message).not.toMatch(/undefined|\[object Object\]/);
    // A repeated key is an error, but the file is read (the last value counts), so that the rest of
    // its mistakes, and the rest of the tree, are checked too; nothing is written while it stands.
    const loaded = name === "duplicate-keys.yaml" ? 1 : 0;
    expect(result.model.users.size + result.model.groups.size + result.model.roles.size).toBe(loaded);
  });

  it("reads a group on past a member entry the schema refuses, so the group's other mistakes are named too", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users.yaml": "users:\n  - { id: alice, name: Alice }\n  - { id: bob, name: Bob }\n",
      "groups.yaml": [
        "groups:",
        "  - name: ops",
        "    owners: [alice]",
        "    members:",
        "      - user: bob",
        "        until: 2026-12-23",
        "      - zed",
        "",
      ].join("\n"),
    });
    expect(briefs(result.diagnostics)).toEqual([
      "access/groups.yaml:6:16 error GH220",
      "access/groups.yaml:7:9 error GH201",
    ]);
    // The entry refused is left out: no grant with a bare day as its end.
    expect(
      result.model.groups.get("ops")?.members?.map((m) => (m.kind === "user" ? m.user : m.group)),
    ).toEqual(["zed"]);
  });

  it("reads a file with a repeated key on, so its other mistakes are named and its groups are not missed", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users.yaml": "users:\n  - { id: alice, name: Alice, department: OPS }\n",
      "groups.yaml": [
        "groups:",
        "  - name: ops",
        "    owners: [alice]",
        "    owners: [alice]",
        "    members: [alice, zed]",
        "",
      ].join("\n"),
      "roles.yaml": "roles:\n  - { name: ops-people, when: { department: [OPS] }, groups: [ops] }\n",
    });
    expect(briefs(result.diagnostics)).toEqual([
      "access/groups.yaml:4:5 error GH011",
      "access/groups.yaml:5:22 error GH201",
    ]);
  });

  it("refuses a file over the size limit without reading it as YAML", async () => {
    const started = performance.now();
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "big.yaml": "users:\n" + "  - id: a\n    name: A\n".repeat(800_000),
    });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(briefs(result.diagnostics)).toEqual(["access/big.yaml:1:1 error GH004"]);
  });

  it("reports a symlink that points outside the access directory and does not read it", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": configYaml(),
      "users/ok.yaml": "users:\n  - id: alice\n    name: Alice\n",
    });
    try {
      const outside = path.join(tree.cwd, "secret.yaml");
      await writeFile(outside, "users:\n  - id: mallory\n    name: Mallory\n");
      await symlink(outside, path.join(tree.dir, "users", "link.yaml"));
      const result = await tree.validate();
      expect(briefs(result.diagnostics)).toEqual(["access/users/link.yaml:1:1 error GH003"]);
      expect([...result.model.users.keys()]).toEqual(["alice"]);
    } finally {
      await tree.remove();
    }
  });
});
