import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckedGithub } from "../harness/github-checked.ts";
import { startCheckedGithub } from "../harness/github-checked.ts";
import { seedOrg, seedTeam } from "../harness/fake-github/index.ts";
import { createTestGithubProvider, GITHUB_TOKEN } from "../harness/github-provider.ts";

const signal = (): AbortSignal => AbortSignal.timeout(20_000);
let gh: CheckedGithub;
let orgCount = 0;

/** A new run: a new provider (as the CLI makes one per run) in the same working directory. */
async function run(org: string, cwd: string, readCache = true) {
  const setup = await createTestGithubProvider(gh.url, { org, readCache }, { cwd });
  try {
    const since = gh.fake.requests.length;
    const live = await setup.provider.read(signal());
    const sent = gh.fake.requests.slice(since);
    return { live, sent, stats: setup.provider.stats(), logs: setup.logs };
  } finally {
    await setup.close();
  }
}

describe("github readCache: ETags kept between runs", { tags: ["slow"] }, () => {
  beforeAll(async () => {
    gh = await startCheckedGithub();
  });
  afterAll(async () => {
    await gh.close();
  });

  async function orgWithTeam(): Promise<{ org: string; cwd: string; add: (login: string) => void }> {
    orgCount += 1;
    const org = `cache-${String(orgCount)}`;
    seedOrg(gh.fake, { org, viewer: "gatehouse-bot", token: GITHUB_TOKEN, members: ["alice", "bob"] });
    const team = seedTeam(gh.fake, org, { name: "team-x-read", members: ["alice"] });
    const cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-github-cache-"));
    const add = (login: string): void => {
      team.members.set(gh.fake.state.requireUser(login).id, "member");
    };
    return { org, cwd, add };
  }

  it("makes the next run's read all 304s when nothing changed, and still sees what did change", async () => {
    const { org, cwd, add } = await orgWithTeam();
    try {
      const first = await run(org, cwd);
      expect(first.sent.length).toBeGreaterThan(0);
      expect(first.stats.notModified).toBe(0);
      const files = await readdir(path.join(cwd, ".gatehouse", "cache"));
      expect(files).toHaveLength(1);
      const file = path.join(cwd, ".gatehouse", "cache", files[0] ?? "");
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(await readFile(file, "utf8")).not.toContain(GITHUB_TOKEN);

      const second = await run(org, cwd);
      expect(second.live).toEqual(first.live);
      expect(second.sent.length).toBe(first.sent.length);
      expect(second.sent.every((r) => r.status === 304)).toBe(true);
      expect(second.stats.notModified).toBe(second.sent.length);

      add("bob");
      const third = await run(org, cwd);
      const fresh = await run(org, cwd, false);
      expect(third.live).toEqual(fresh.live);
      const team = third.live.groups.find((g) => g.name === "team-x-read");
      expect(team?.members).toEqual(["alice", "bob"]);
      // Only the team's member list changed: everything else is still a 304.
      expect(third.sent.filter((r) => r.status !== 304).map((r) => r.path)).toEqual([
        `/orgs/${org}/teams/team-x-read/members`,
      ]);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it("sees a member added past a full page, also where GitHub confirms the unchanged page by its body", async () => {
    // With ETags of the body alone, the first page of a team of exactly 100 is confirmed (304) after a
    // 101st member joins, with the stored Link that had no next page: the read would stop there.
    gh.fake.etagCoversLink = false;
    orgCount += 1;
    const org = `cache-${String(orgCount)}`;
    const cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-github-cache-"));
    try {
      const logins = Array.from({ length: 100 }, (_, i) => `member-${String(i).padStart(3, "0")}`);
      seedOrg(gh.fake, { org, viewer: "gatehouse-bot", token: GITHUB_TOKEN, members: [...logins, "late"] });
      const team = seedTeam(gh.fake, org, { name: "team-big-read", members: logins });
      const membersOf = (live: Awaited<ReturnType<typeof run>>["live"]) =>
        live.groups.find((g) => g.name === "team-big-read")?.members ?? [];
      expect(membersOf((await run(org, cwd)).live)).toHaveLength(100);

      team.members.set(gh.fake.state.requireUser("late").id, "member");
      const next = await run(org, cwd);
      expect(
        next.sent.some((r) => r.status === 304 && r.path === `/orgs/${org}/teams/team-big-read/members`),
      ).toBe(true);
      expect(membersOf(next.live)).toHaveLength(101);
      expect(membersOf(next.live)).toContain("late");
      expect(next.live).toEqual((await run(org, cwd, false)).live);
    } finally {
      gh.fake.etagCoversLink = true;
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it("reads everything, with a log line, when the file is damaged; without the setting writes nothing", async () => {
    const { org, cwd } = await orgWithTeam();
    try {
      await run(org, cwd);
      const folder = path.join(cwd, ".gatehouse", "cache");
      const [name] = await readdir(folder);
      await writeFile(
        path.join(folder, name ?? ""),
        '{"format":"gatehouse-github-etags-1","answers":[{"url":1}]}',
      );
      const damaged = await run(org, cwd);
      expect(damaged.stats.notModified).toBe(0);
      expect(damaged.logs.join("\n")).toMatch(/not using the read cache .*damaged/);
      const plain = await mkdtemp(path.join(tmpdir(), "gatehouse-github-nocache-"));
      await run(org, plain, false);
      await expect(readdir(path.join(plain, ".gatehouse", "cache"))).rejects.toThrow();
      await rm(plain, { recursive: true, force: true });
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
