/**
 * A group the access files give other systems only (`providers` leaving this one out) while this system
 * holds a group of that name too: the usual adoption, importing one system after another, writes the
 * first system's group with `providers: [<first>]`, and the second import then writes nothing of the
 * second system's. Import warns, and the authoritative plan that deletes the group says why, instead of
 * calling it "in no access file". Real imports and plans on two local directories.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

describe("import of a system holding a group the files give other systems only", () => {
  it("warns that it writes nothing of it, and the plan that deletes it says the files give it elsewhere", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "providers:\n" +
        "  ldap: { type: local, path: .gatehouse/ldap.json, mode: authoritative }\n" +
        "  wiki: { type: local, path: .gatehouse/wiki.json, mode: observe }\n" +
        "policy:\n  guardrails: { maxRemovals: 10 }\n",
      "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n",
      "groups/teams.yaml":
        "groups:\n  - name: app-wiki-read\n    owners: [ann]\n    providers: [ldap]\n    members: [ann]\n",
    });
    trees.push(tree);
    await mkdir(path.join(tree.cwd, ".gatehouse"), { recursive: true });
    await writeFile(
      path.join(tree.cwd, ".gatehouse/wiki.json"),
      JSON.stringify({
        formatVersion: 1,
        users: [
          { account: "ann", name: "Ann", enabled: true },
          { account: "bob", name: "Bob", enabled: true },
        ],
        groups: [{ name: "app-wiki-read", members: ["ann", "bob"] }],
      }),
    );
    const imported = await runCliIn(tree.cwd, ["import", "--provider", "wiki"]);
    expect(imported.code, imported.out).toBe(0);
    expect(imported.stderr).toContain(
      "warning: group app-wiki-read in wiki (2 member(s)) has the name of a group the access files give other systems only (its providers leave wiki out): import writes nothing of it. " +
        "To manage it here, add wiki to its providers (then its members are the files'); otherwise the next plan in mode authoritative deletes it (mode additive leaves it)",
    );

    const observed = await runCliIn(tree.cwd, ["plan"]);
    expect(observed.stdout).toContain(
      "note: group app-wiki-read: the access files give group app-wiki-read to ldap only (its providers leave wiki out); left alone (mode: observe)",
    );
    const config = path.join(tree.dir, "gatehouse.yaml");
    await writeFile(config, (await readFile(config, "utf8")).replace("mode: observe", "mode: authoritative"));
    const plan = await runCliIn(tree.cwd, ["plan"]);
    expect(plan.stdout).toContain(
      "- delete group app-wiki-read (2 members)  (not in config) — the access files give group app-wiki-read to ldap only (its providers leave wiki out) (mode: authoritative)",
    );
    expect(plan.stdout).not.toContain("in no access file");
  });
});
