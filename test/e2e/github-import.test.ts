import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parse } from "yaml";
import { main } from "../../src/cli/main.ts";
import type { CliIo } from "../../src/cli/io.ts";
import { startCheckedGithub, type CheckedGithub } from "../harness/github-checked.ts";
import { GITHUB_TOKEN, jsonAcceptFetch } from "../harness/github-provider.ts";
import { seedInvitations, seedOrg, seedTeam } from "../harness/fake-github/seed.ts";

let gh: CheckedGithub;
let cwd: string;
beforeAll(async () => {
  gh = await startCheckedGithub();
  cwd = await mkdtemp(join(tmpdir(), "gh-import-github-"));
});
afterAll(async () => {
  await gh.close();
  await rm(cwd, { recursive: true, force: true });
});

function io(out: string[]): CliIo {
  return {
    cwd,
    env: { GH_TOKEN: GITHUB_TOKEN, GATEHOUSE_QUIET: "1" },
    stdout: (t) => out.push(t),
    stderr: (t) => out.push(t),
    isTTY: false,
    isInteractive: false,
    prompt: () => Promise.resolve(""),
    now: () => new Date("2026-11-25T12:00:00Z"),
    fetch: jsonAcceptFetch,
  };
}

it(
  "imports an existing GitHub organization into access files, referencing people already declared",
  { tags: ["slow"] },
  async () => {
    seedOrg(gh.fake, {
      org: "acme",
      viewer: "gatehouse-bot",
      token: GITHUB_TOKEN,
      owners: ["alice"],
      members: ["bob", "carol"],
    });
    seedTeam(gh.fake, "acme", { name: "team-web-write", members: ["bob", "carol"], maintainers: ["alice"] });
    await mkdir(join(cwd, "access", "users"), { recursive: true });
    await writeFile(
      join(cwd, "access", "gatehouse.yaml"),
      `providers:\n  github: { type: github, org: acme, baseUrl: "${gh.url}", tokenEnv: GH_TOKEN }\n`,
    );
    await writeFile(
      join(cwd, "access", "users", "people.yaml"),
      "users:\n  - id: alice\n    name: Alice Liddell\n    accounts: { github: alice }\n",
    );
    const out: string[] = [];
    expect(await main(["import", "--provider", "github"], io(out))).toBe(0);
    const text = await readFile(join(cwd, "access", "imported", "github.yaml"), "utf8");
    const data: unknown = parse(text);
    expect(data).toMatchObject({
      users: [
        { id: "bob", name: "bob", status: "active" },
        { id: "carol", name: "carol", status: "active" },
        { id: "gatehouse-bot", status: "active" },
      ],
      groups: [{ name: "team-web-write", providers: ["github"], members: ["alice", "bob", "carol"] }],
    });
    expect(text).not.toContain("- id: alice"); // already declared: referenced, not redeclared
    expect(out.join("")).not.toContain(GITHUB_TOKEN);
    expect(gh.violations()).toEqual([]);

    // The imported file is a starting point: the only thing validate asks for is an owner per group.
    const check: string[] = [];
    expect(await main(["validate"], io(check))).toBe(1);
    const errors = check
      .join("")
      .split("\n")
      .filter((l) => l.includes(" error "));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^access\/imported\/github\.yaml:\d+:\d+ error GH217 /);
  },
);

it(
  "imports team maintainers as owners under maintainers: owners, and names e-mail-only and owner invitations (trial M6)",
  { tags: ["slow"] },
  async () => {
    seedOrg(gh.fake, {
      org: "acme-m6",
      viewer: "gatehouse-bot",
      token: GITHUB_TOKEN,
      owners: ["olga"],
      members: ["dan", "erin"],
    });
    // olga (an org owner) is shown as a maintainer of every team she is in; dan is a real maintainer.
    seedTeam(gh.fake, "acme-m6", { name: "team-ops-write", members: ["erin", "olga"], maintainers: ["dan"] });
    seedInvitations(gh.fake, "acme-m6", ["someone@example.com"]);
    seedInvitations(gh.fake, "acme-m6", ["frank"], "admin");
    const dir = join(cwd, "m6");
    await mkdir(join(dir, "access"), { recursive: true });
    await writeFile(
      join(dir, "access", "gatehouse.yaml"),
      `providers:\n  github: { type: github, org: acme-m6, baseUrl: "${gh.url}", tokenEnv: GH_TOKEN, maintainers: owners }\n`,
    );
    const out: string[] = [];
    expect(await main(["import", "--provider", "github"], { ...io(out), cwd: dir })).toBe(0);
    const data: unknown = parse(await readFile(join(dir, "access", "imported", "github.yaml"), "utf8"));
    expect(data).toMatchObject({
      groups: [{ name: "team-ops-write", owners: ["dan"], members: ["dan", "erin", "olga"] }],
    });
    const said = out.join("");
    expect(said).toMatch(/invitation #\d+ to acme-m6 is by e-mail only: gatehouse cannot match it to anyone/);
    expect(said).toContain("invitation of frank is for the org owner role (admin)");
    expect(said).not.toContain("someone@example.com");
    expect(gh.violations()).toEqual([]);
  },
);
