import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { main } from "../../src/cli/main.ts";
import { importPartPaths, isImportPart, renderImport } from "../../src/engine/import-files.ts";
import type { LiveState } from "../../src/model/state.ts";
import { configYaml, writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { captureIo } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

/** A directory of `people` users and `teams` groups of ten members each, as the local provider stores it. */
function directoryOf(people: number, teams: number) {
  const account = (i: number): string => `person.${String(i).padStart(5, "0")}`;
  return {
    formatVersion: 1,
    users: Array.from({ length: people }, (_, i) => ({
      account: account(i),
      name: `Person ${String(i)}`,
      email: `${account(i)}@example.com`,
      department: "ENG",
      title: "Engineer",
      employmentType: "employee",
      enabled: i % 50 !== 7,
      sessions: [],
      tokens: [],
    })),
    groups: Array.from({ length: teams }, (_, g) => ({
      name: `team-t${String(g).padStart(4, "0")}-read`,
      description: `Team ${String(g)}`,
      members: Array.from({ length: 10 }, (_, k) => account((g * 7 + k * 13) % people)).sort(),
      groupMembers: [],
    })),
  };
}

function liveOf(directory: ReturnType<typeof directoryOf>): LiveState {
  return {
    users: directory.users.map((u) => ({
      account: u.account,
      name: u.name,
      email: u.email,
      department: u.department,
      title: u.title,
      employmentType: "employee" as const,
      enabled: u.enabled,
    })),
    groups: directory.groups.map((g) => ({ name: g.name, description: g.description, members: g.members })),
  };
}

describe("import in parts", () => {
  it("splits a large directory into parts under the size, with the same users and groups as one file", async () => {
    const tree = await writeAccessTree({ "gatehouse.yaml": configYaml() });
    trees.push(tree);
    const { model } = await tree.validate();
    const config = model.config.providers[0];
    if (config === undefined) throw new Error("no provider");
    const live = liveOf(directoryOf(400, 60));
    const whole = renderImport(live, model, config, "schema.json", { partBytes: Number.POSITIVE_INFINITY });
    const split = renderImport(live, model, config, "schema.json", { partBytes: 8000 });
    expect(whole.parts).toHaveLength(1);
    expect(split.parts.length).toBeGreaterThan(5);
    expect([split.users, split.groups]).toEqual([400, 60]);
    const sections = (parts: readonly string[], key: "users" | "groups"): unknown[] =>
      parts.flatMap((text) => (parse(text) as Record<string, unknown[] | undefined>)[key] ?? []);
    expect(sections(split.parts, "users")).toEqual(sections(whole.parts, "users"));
    expect(sections(split.parts, "groups")).toEqual(sections(whole.parts, "groups"));
    for (const text of split.parts) expect(text.length).toBeLessThan(8000 + 300); // the header
    expect(split.parts[1]).toContain(`(part 2 of ${String(split.parts.length)})`);
  });

  it("names the parts next to the first file, and knows them again", () => {
    expect(importPartPaths("/a/imported/dir.yaml", 3)).toEqual([
      "/a/imported/dir.yaml",
      "/a/imported/dir-002.yaml",
      "/a/imported/dir-003.yaml",
    ]);
    expect(isImportPart("/a/imported/dir.yaml", "dir-002.yaml")).toBe(true);
    expect(isImportPart("/a/imported/dir.yaml", "dir-1234.yaml")).toBe(true);
    for (const other of ["dir.yaml", "dir-2.yaml", "dir-abc.yaml", "other-002.yaml", "dir-002.yml"])
      expect(isImportPart("/a/imported/dir.yaml", other)).toBe(false);
  });

  it("writes parts that validate, refuses to overwrite them, and with --force removes an earlier import's extra parts", async () => {
    const tree = await writeAccessTree({ "gatehouse.yaml": configYaml() });
    trees.push(tree);
    await mkdir(path.join(tree.cwd, ".gatehouse"), { recursive: true });
    const directoryFile = path.join(tree.cwd, ".gatehouse/directory.json");
    await writeFile(directoryFile, JSON.stringify(directoryOf(40_000, 20)));
    const run = async (argv: string[]): Promise<{ code: number; out: string; err: string }> => {
      const { io, out, err } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1" });
      return { code: await main(argv, io), out: out.join(""), err: err.join("") };
    };
    // A part an earlier, larger import left behind: it would define people twice. Refused without
    // --force (nothing written), removed with it.
    const folder = path.join(tree.dir, "imported");
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, "directory-004.yaml"), "users: []\n");
    const refused = await run(["import", "--provider", "directory"]);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain("directory-004.yaml");
    expect(await readdir(folder)).toEqual(["directory-004.yaml"]);

    const forced = await run(["import", "--provider", "directory", "--force"]);
    expect(forced.code).toBe(0);
    expect(forced.out).toMatch(/^Wrote access\/imported\/directory\.yaml and 2 more part\(s\)/);
    expect(forced.out).toContain("removed 1 part(s) of an earlier import");
    // This repository has no schemas/ folder: no schema header (see "the schema header" below).
    const first = await readFile(path.join(folder, "directory.yaml"), "utf8");
    expect(first).toMatch(/^# Imported from directory by gatehouse import \(part 1 of 3\)\./);
    expect((await readdir(folder)).sort()).toEqual([
      "directory-002.yaml",
      "directory-003.yaml",
      "directory.yaml",
    ]);

    // Valid as written but for what an import leaves to people: owners for every group (GH217). Before
    // parts, one 15 MB file was refused whole (GH004).
    const validate = await run(["validate"]);
    const codes = new Set([...validate.out.matchAll(/ (?:error|warning) (GH\d+) /g)].map((m) => m[1]));
    expect([...codes]).toEqual(["GH217"]);
    expect(validate.out).toContain("40000 users, 20 groups");
  });

  it("never removes an earlier part that defines people, even with --force: they would leave the files", async () => {
    const tree = await writeAccessTree({ "gatehouse.yaml": configYaml() });
    trees.push(tree);
    await mkdir(path.join(tree.cwd, ".gatehouse"), { recursive: true });
    await writeFile(path.join(tree.cwd, ".gatehouse/directory.json"), JSON.stringify(directoryOf(3, 1)));
    const folder = path.join(tree.dir, "imported");
    await mkdir(folder, { recursive: true });
    const earlier = "users:\n  - id: kept\n    name: Kept Reviewed\n";
    await writeFile(path.join(folder, "directory-004.yaml"), earlier);
    const { io, out, err } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1" });
    expect(await main(["import", "--provider", "directory", "--force"], io)).toBe(64);
    expect(out.join("")).toBe("");
    expect(err.join("")).toContain(
      "error: access/imported/directory-004.yaml is one of the access files (it defines 1 user(s)): import writes only what the files do not hold yet",
    );
    expect(await readdir(folder)).toEqual(["directory-004.yaml"]);
    expect(await readFile(path.join(folder, "directory-004.yaml"), "utf8")).toBe(earlier);
  });

  it("changes no file when a later part cannot be written: the earlier parts are put back as they were", async () => {
    const tree = await writeAccessTree({ "gatehouse.yaml": configYaml() });
    trees.push(tree);
    await mkdir(path.join(tree.cwd, ".gatehouse"), { recursive: true });
    await writeFile(path.join(tree.cwd, ".gatehouse/directory.json"), JSON.stringify(directoryOf(20_000, 5)));
    const folder = path.join(tree.dir, "imported");
    await mkdir(folder, { recursive: true });
    const earlier = "# an earlier import, reviewed\nusers: []\n";
    await writeFile(path.join(folder, "directory.yaml"), earlier);
    // The second part's name is taken by a folder: its write fails after the first part's.
    await mkdir(path.join(folder, "directory-002.yaml"));
    const { io, out, err } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1" });
    const code = await main(["import", "--provider", "directory", "--force"], io);
    expect(code).toBe(1);
    expect(out.join("")).toBe("");
    expect(err.join("")).toMatch(
      /^error: access\/imported\/directory-002\.yaml: could not be written \(EISDIR\); put back as it was: access\/imported\/directory\.yaml; nothing was changed\n$/,
    );
    expect(await readFile(path.join(folder, "directory.yaml"), "utf8")).toBe(earlier);
    expect((await readdir(folder)).sort()).toEqual(["directory-002.yaml", "directory.yaml"]);
  });
});

describe("the schema header of an imported file", () => {
  /**
   * A working directory with the access folder at `root`/access (and `root`/schemas when `withSchemas`),
   * whose local `directory` is imported; the text of the file written (at --out when given).
   */
  async function imported(
    root: string,
    withSchemas: boolean,
    out?: string,
  ): Promise<{ cwd: string; text: string }> {
    const tree = await writeAccessTree({});
    trees.push(tree);
    const dir = path.join(root, "access");
    await mkdir(path.join(tree.cwd, dir), { recursive: true });
    await writeFile(path.join(tree.cwd, dir, "gatehouse.yaml"), configYaml());
    if (withSchemas) {
      await mkdir(path.join(tree.cwd, root, "schemas"), { recursive: true });
      await writeFile(path.join(tree.cwd, root, "schemas/access.schema.json"), "{}");
    }
    await mkdir(path.join(tree.cwd, ".gatehouse"), { recursive: true });
    await writeFile(path.join(tree.cwd, ".gatehouse/directory.json"), JSON.stringify(directoryOf(3, 1)));
    const { io, err } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1" });
    const argv = [
      "import",
      "--provider",
      "directory",
      "--dir",
      dir,
      ...(out === undefined ? [] : ["--out", out]),
    ];
    expect(await main(argv, io), err.join("")).toBe(0);
    const written = path.resolve(tree.cwd, out ?? path.join(dir, "imported/directory.yaml"));
    return { cwd: tree.cwd, text: await readFile(written, "utf8") };
  }

  it("points at the repository's schemas/ folder next to the access folder, relative to the file", async () => {
    // The access folder is not in the working directory: org/access, with org/schemas next to it.
    const { text } = await imported("org", true);
    // As the quick-start files in access/users/ have it.
    expect(text).toMatch(
      /^# yaml-language-server: \$schema=\.\.\/\.\.\/schemas\/access\.schema\.json\n# Imported from directory/,
    );
  });

  it("has none where the repository has no schemas/ folder: never a path into gatehouse's install", async () => {
    const { cwd, text } = await imported(".", false);
    expect(text).toMatch(/^# Imported from directory by gatehouse import\. Add owners/);
    expect(text).not.toContain("$schema");
    expect(text).not.toContain(cwd);
  });

  it("has none for a file written outside the folder that holds the access and schemas folders", async () => {
    const { text } = await imported("org", true, "review/directory.yaml");
    expect(text).toMatch(/^# Imported from directory by gatehouse import\./);
  });
});

describe("import of names an adopted system spells its own way", () => {
  it("writes valid group names (lower case, or a name with the live one as former name), managers by id, and validates", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": "users:\n  - id: alice\n    name: Alice\n",
      "groups/teams.yaml": "groups:\n  - name: eng-web\n    owners: [alice]\n    members: [alice]\n",
    });
    trees.push(tree);
    const { model } = await tree.validate();
    const live: LiveState = {
      users: [
        { account: "alice", name: "Alice", enabled: true },
        { account: "Zed", name: "Zed", manager: "bob", enabled: true },
        { account: "bob", name: "Bob", manager: "alice", enabled: true },
      ],
      groups: [
        { name: "Sales Team", members: ["Zed"], groupMembers: ["Eng-Ops"] },
        { name: "Eng-Ops", members: ["bob"] },
        { name: "ENG-WEB", members: ["alice"] },
        { name: "sales-team", members: [] },
      ],
    };
    const provider = model.config.providers[0];
    if (!provider) throw new Error("no provider");
    const { parts, warnings } = renderImport(live, model, provider, "../../schemas/access.schema.json");
    // Said at once: what the first apply after this import changes.
    expect(warnings).toEqual([
      'the live group "Sales Team" is not a valid gatehouse group name: it is imported as sales-team-2 (formerNames), so the first apply renames it in directory. Check what refers to it by name first',
    ]);
    const withLeaver = renderImport(
      {
        users: [{ account: "gone", name: "Gone", enabled: false }],
        groups: [{ name: "x", members: ["gone"] }],
      },
      model,
      provider,
      "schema.json",
    );
    expect(withLeaver.warnings).toEqual([
      "1 membership(s) of disabled accounts are listed: those people are imported as terminated, and a leaver holds nothing, so the first apply removes them. Make someone active in the files if they should keep access",
    ]);
    const body = parse(parts[0] ?? "") as {
      users: { id: string; manager?: string }[];
      groups: { name: string; formerNames?: string[]; members: unknown[] }[];
    };
    expect(body.users.map((u) => [u.id, u.manager])).toEqual([
      ["zed", "bob"],
      ["bob", "alice"],
    ]);
    // ENG-WEB is the files' eng-web already; Eng-Ops needs no former name (case is ignored where it
    // matters); "Sales Team" cannot be a name and keeps its own as a former name, next to a live
    // sales-team that took the plain name first.
    expect(body.groups.map((g) => [g.name, g.formerNames, g.members])).toEqual([
      ["eng-ops", undefined, ["bob"]],
      ["sales-team-2", ["Sales Team"], ["zed", { group: "eng-ops" }]],
      ["sales-team", undefined, []],
    ]);
    // A system that ignores case: its ALICE is the files' alice, referenced by id, not adopted again.
    const caseless = parse(
      renderImport(
        {
          users: [{ account: "ALICE", name: "Alice", enabled: true }],
          groups: [{ name: "x", members: ["ALICE"] }],
        },
        model,
        { ...provider, type: "scim" },
        "schema.json",
        { caseInsensitiveNames: true },
      ).parts[0] ?? "",
    ) as { users?: unknown[]; groups: { members: unknown[] }[] };
    expect(caseless.users).toBeUndefined();
    expect(caseless.groups[0]?.members).toEqual(["alice"]);

    // Where only mapped people have accounts (GitHub), every adopted person gets the mapping, and a
    // pending invitation is someone joining, not a leaver.
    const mapped = parse(
      renderImport(
        {
          users: [
            { account: "octo", name: "Octo", enabled: true },
            { account: "gina", name: "Gina", enabled: false, pending: true },
          ],
          groups: [],
        },
        model,
        { ...provider, type: "github", users: "mapped" },
        "schema.json",
        { caseInsensitiveNames: true },
      ).parts[0] ?? "",
    ) as { users: { id: string; status: string; accounts?: Record<string, string> }[] };
    expect(mapped.users.map((u) => [u.id, u.status, u.accounts])).toEqual([
      ["gina", "active", { directory: "gina" }],
      ["octo", "active", { directory: "octo" }],
    ]);
    await writeFile(
      path.join(tree.dir, "imported.yaml"),
      (parts[0] ?? "").replaceAll("owners: []", "owners: [alice]"),
    );
    const again = await tree.validate();
    expect(again.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });
});

describe("import warnings", () => {
  it("warns about active accounts in no group where only members get an account (users: members)", async () => {
    const tree = await writeAccessTree({ "gatehouse.yaml": configYaml() });
    trees.push(tree);
    const { model } = await tree.validate();
    const live: LiveState = {
      users: [
        { account: "kim", name: "Kim", enabled: true },
        { account: "lee", name: "Lee", enabled: true },
        { account: "old", name: "Old", enabled: false },
      ],
      groups: [{ name: "ops", members: ["LEE"] }],
    };
    const base = model.config.providers[0];
    if (!base) throw new Error("no provider");
    const warned = (users: "all" | "members") =>
      renderImport(live, model, { ...base, users }, "schema.json", { caseInsensitiveNames: true }).warnings;
    expect(warned("members")).toContainEqual(
      expect.stringMatching(
        /^1 active account\(s\) are in none of directory's groups \(kim\)\. With users: members .* the first apply in authoritative mode disables theirs\./,
      ),
    );
    expect(warned("all").join("\n")).not.toContain("in none of");
  });

  it("writes a member the system lists twice (or in two cases) once", async () => {
    const tree = await writeAccessTree({ "gatehouse.yaml": configYaml() });
    trees.push(tree);
    const { model } = await tree.validate();
    const base = model.config.providers[0];
    if (!base) throw new Error("no provider");
    const live: LiveState = {
      users: [{ account: "kim", name: "Kim", enabled: true }],
      groups: [{ name: "ops", members: ["kim", "KIM", "kim"] }],
    };
    const { parts } = renderImport(live, model, base, "schema.json", { caseInsensitiveNames: true });
    const body = parse(parts[0] ?? "") as { groups: { members: unknown[] }[] };
    expect(body.groups[0]?.members).toEqual(["kim"]);
  });
});
