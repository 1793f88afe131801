import { afterEach, describe, expect, it } from "vitest";
import { isRecord } from "../../src/audit/change-shape.ts";
import { createTempRepo, DIRECTORY_FILE, journalTypes, type TempRepo } from "../e2e/repo.ts";

const repos: TempRepo[] = [];
afterEach(async () => {
  await Promise.all(repos.splice(0).map((r) => r.remove()));
});

const EXISTING_GROUP = JSON.stringify({
  formatVersion: 1,
  users: [],
  groups: [
    {
      name: "team-sre-write",
      description: "Write access to on-call runbooks, alerting rules and incident tooling",
      members: [],
      groupMembers: [],
    },
  ],
});

describe("apply through the CLI when a change fails", { tags: ["slow"] }, () => {
  it("exits 1, journals the failure and the skips, and a re-run converges", async () => {
    const r = await createTempRepo();
    repos.push(r);
    // Between the plan and the write, someone creates team-sre-write by hand: creating it fails.
    const failed = await r.run(["apply"], {
      isInteractive: true,
      prompt: async () => {
        await r.write(DIRECTORY_FILE, EXISTING_GROUP);
        return "yes";
      },
    });
    expect(failed.stdout).toContain(
      'failed directory: create group team-sre-write — directory: create group: group "team-sre-write" already exists',
    );
    expect(failed.stdout).toContain(
      "skipped directory: add bob to team-sre-write — skipped: creating group/team-sre-write failed",
    );
    expect(failed.stdout).toMatch(/Apply complete: \d+ applied, 1 failed, 3 skipped/);
    // A plan of more than 200 changes: the applied ones are not listed again one by one (the plan above
    // lists them), only the failures and skips, a progress line each tenth, and the outcome last.
    const lines = failed.stdout.trimEnd().split("\n");
    const total = /Plan: (\d+) change/.exec(failed.stdout)?.[1];
    expect(Number(total)).toBeGreaterThan(200);
    expect(lines.filter((l) => l.includes("] applied "))).toEqual([]);
    const tenths = lines.filter((l) => l.endsWith(" skipped so far"));
    expect(tenths).toHaveLength(10);
    expect(tenths.at(-1)).toBe(
      `[${String(total)}/${String(total)}] ${String(Number(total) - 4)} applied, 1 failed, 3 skipped so far`,
    );
    expect(lines.at(-1)).toMatch(
      /^Apply complete: \d+ applied, 1 failed, 3 skipped in \d+ ms\. Calls: directory /,
    );
    expect(failed.code).toBe(1);
    const journal = await r.read(".gatehouse/journal.jsonl");
    expect(journal).toMatch(/"changeId":"directory:group\/team-sre-write".*"outcome":"failed"/);
    expect((await journalTypes(r)).at(-1)).toBe("apply-end");

    const planned = await r.run(["plan", "--format", "json", "--detailed-exitcode"]);
    expect(planned.code).toBe(2);
    const plan: unknown = JSON.parse(planned.stdout);
    const ids =
      isRecord(plan) && Array.isArray(plan["changes"])
        ? plan["changes"].map((c: unknown) => (isRecord(c) ? c["id"] : undefined))
        : [];
    expect(ids).toEqual([
      "directory:membership/team-sre-write/bob",
      "directory:membership/team-sre-write/dmitri",
      "directory:membership/team-sre-write/kenji",
    ]);

    const rerun = await r.run(["apply", "--yes"]);
    expect(rerun.stdout).toContain(" 0 failed, 0 skipped");
    // A few changes: each is listed as it is applied.
    expect(rerun.stdout.split("\n").filter((l) => /^\[\d\/\d\] applied directory: /.test(l))).toHaveLength(3);
    expect(rerun.code).toBe(0);
    expect((await r.run(["plan", "--detailed-exitcode"])).code).toBe(0);
  });
});
