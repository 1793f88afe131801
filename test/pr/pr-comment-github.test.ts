/** `gatehouse pr comment`: one sticky comment, edited in place; an oversized plan posts its summary. */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { startCheckedGithub, type CheckedGithub } from "../harness/github-checked.ts";
import { seedPull, seedRepo } from "../harness/fake-github/seed-pulls.ts";
import type { FakeRepo } from "../harness/fake-github/state.ts";
import { COMMENT_LIMIT, PLAN_MARKER } from "../../src/pr/sticky-comment.ts";
import { CONFIG, createPrRepo, GROUPS, TOKEN, type PrRepo } from "./pr-repo.ts";

let gh: CheckedGithub;
let repo: PrRepo;
let ghRepo: FakeRepo;

beforeAll(async () => {
  gh = await startCheckedGithub();
  gh.fake.state.addUser("alice-gh");
  gh.fake.state.addUser("gatehouse-bot");
  gh.fake.state.addToken(TOKEN, "gatehouse-bot");
});
afterAll(async () => {
  await gh.close();
});
beforeEach(async () => {
  repo = await createPrRepo();
  ghRepo = seedRepo(gh.fake, "acme", `access-${String(Math.random()).slice(2, 8)}`);
  const head = (await repo.git.revparse(["HEAD"])).trim();
  seedPull(gh.fake, ghRepo, { author: "alice-gh", headSha: head, baseSha: head, files: [] });
});
afterEach(async () => {
  expect(gh.violations()).toEqual([]);
  await repo.remove();
});

function comment(env: Readonly<Record<string, string>> = {}) {
  return repo.run(["pr", "comment", "--repo", `acme/${ghRepo.name}`, "--pr", "1", "--api-url", gh.url], env);
}

const bodies = (): string[] => (ghRepo.comments.get(1) ?? []).map((c) => c.body);

describe("gatehouse pr comment", { tags: ["slow"] }, () => {
  it("posts the plan once and edits the same comment on every push", async () => {
    // Someone else's comment with the marker is not ours: it is left alone.
    ghRepo.comments.set(1, [
      {
        id: 1,
        body: `${PLAN_MARKER}\nfake`,
        userId: gh.fake.state.requireUser("alice-gh").id,
        createdAt: "2026-01-01T00:00:00Z",
        updatedAt: "2026-01-01T00:00:00Z",
      },
    ]);
    const first = await comment();
    expect(first.stderr).toBe("");
    expect(first.stdout).toMatch(/^plan comment created \(id \d+\)/);
    expect(bodies()).toHaveLength(2);
    expect(bodies()[1]).toContain("### gatehouse plan");
    expect(bodies()[1]).toContain("`bob` (added in config");

    await repo.write("access/groups/groups.yaml", GROUPS.replace("members: [bob]", "members: [bob, alice]"));
    await repo.commit("add alice");
    const second = await comment();
    expect(second.stdout).toMatch(/^plan comment updated/);
    expect(bodies()).toHaveLength(2);
    expect(bodies()[1]).toContain("`alice` (added in config");
    expect(bodies()[0]).toBe(`${PLAN_MARKER}\nfake`);

    expect((await comment()).stdout).toMatch(/^plan comment unchanged/);
    expect(bodies()).toHaveLength(2);
  });

  it("posts a summary that says where the full plan is when the plan is over GitHub's comment limit", async () => {
    const users = Array.from(
      { length: 1500 },
      (_, i) => `  - { id: user${String(i).padStart(4, "0")}, name: User ${String(i)} }`,
    );
    await repo.write("access/users/many.yaml", `users:\n${users.join("\n")}\n`);
    await repo.write(
      "access/groups/many.yaml",
      `groups:\n  - name: team-many-read\n    owners: [carol]\n    members:\n${users.map((_, i) => `      - user${String(i).padStart(4, "0")}`).join("\n")}\n`,
    );
    await repo.commit("many people");
    const summary = path.join(repo.cwd, "..", `summary-${ghRepo.name}.md`);
    const result = await comment({
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_RUN_ID: "4242",
    });
    expect(result.stderr).toBe("");
    const [body] = bodies();
    expect(body).toBeDefined();
    expect(body?.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(body).toContain("only its summary is shown here");
    expect(body).toContain(
      `The full plan is in the [job summary](https://github.com/acme/${ghRepo.name}/actions/runs/4242) and in the workflow artifact \`gatehouse-plan\`.`,
    );
    const full = await readFile(summary, "utf8");
    expect(full.length).toBeGreaterThan(COMMENT_LIMIT);
    expect(full).toContain("`user1499` (added in config");
  });

  it("never posts the token, however the Markdown spells it", async () => {
    // A group made by hand whose name holds the token (pasted into the wrong field), with the characters
    // Markdown escapes around and inside it.
    const pasted = `ops <${TOKEN}> & @team`;
    await repo.write(
      "access/gatehouse.yaml",
      CONFIG.replace(
        "{ type: local, path: .gatehouse/directory.json }",
        "{ type: local, path: .gatehouse/directory.json, mode: authoritative }",
      ),
    );
    await repo.commit("authoritative");
    await repo.write(
      ".gatehouse/directory.json",
      JSON.stringify({
        formatVersion: 1,
        users: [],
        groups: [{ name: pasted, members: [], groupMembers: [] }],
      }),
    );
    const summary = path.join(repo.cwd, "..", `summary-${ghRepo.name}.md`);
    const result = await comment({ GITHUB_STEP_SUMMARY: summary });
    expect(result.stderr).toBe("");
    const [body] = bodies();
    expect(body).toContain("ops &lt;[REDACTED]&gt; &amp;");
    const full = await readFile(summary, "utf8");
    for (const text of [body ?? "", full, result.stdout]) expect(text).not.toContain("prTestToken");
  });
});
