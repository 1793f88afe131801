import { describe, expect, it } from "vitest";
import path from "node:path";
import { isRecord } from "../../src/audit/change-shape.ts";
import { recordLogin } from "../../src/providers/local/simulate.ts";
import {
  useTempRepos,
  DIRECTORY_FILE,
  EXAMPLE_NOW,
  JOURNAL_FILE,
  journalTypes,
  type TempRepo,
} from "./repo.ts";

const repo = useTempRepos();

interface BriefChange {
  readonly line: string;
  readonly source: string | undefined;
}

/** Each change of a `plan --format json` output as "kind.action id reason", with its source. */
function changesOf(json: string): BriefChange[] {
  const plan: unknown = JSON.parse(json);
  if (!isRecord(plan) || !Array.isArray(plan["changes"])) throw new Error("not a plan");
  return plan["changes"].map((c: unknown): BriefChange => {
    if (!isRecord(c)) throw new Error("not a change");
    const s = c["source"];
    const source = isRecord(s)
      ? `${String(s["file"])}:${String(s["line"])}:${String(s["column"])}`
      : undefined;
    return {
      line: `${String(c["kind"])}.${String(c["action"])} ${String(c["id"])} ${String(c["reason"])}`,
      source,
    };
  });
}

/** Groups that hold `account` in the local directory file. */
async function groupsOf(r: TempRepo, account: string): Promise<string[]> {
  const data: unknown = JSON.parse(await r.read(DIRECTORY_FILE));
  if (!isRecord(data) || !Array.isArray(data["groups"])) throw new Error("not a directory");
  return data["groups"]
    .filter((g: unknown) => isRecord(g) && Array.isArray(g["members"]) && g["members"].includes(account))
    .map((g: unknown) => (isRecord(g) ? String(g["name"]) : ""))
    .sort();
}

describe("plan and apply in a git repository", { tags: ["slow"] }, () => {
  it("applies the example organization, journals it, then plans no changes", async () => {
    const r = await repo();
    const planned = await r.run(["plan", "--format", "json"]);
    expect(planned.code).toBe(0);
    const count = changesOf(planned.stdout).length;
    expect(count).toBeGreaterThan(100);

    const applied = await r.run(["apply", "--yes"]);
    expect(applied.stderr).not.toContain("error");
    expect(applied.stdout).toContain(`Apply complete: ${String(count)} applied, 0 failed, 0 skipped`);
    expect(applied.code).toBe(0);
    const types = await journalTypes(r);
    expect(types[0]).toBe("apply-start");
    expect(types.at(-1)).toBe("apply-end");
    expect(types.filter((t) => t === "change")).toHaveLength(count);
    // Write-ahead: each write that grants something was announced before it (an intent entry).
    expect(types.indexOf("intent")).toBeGreaterThan(0);
    expect(types.indexOf("intent")).toBeLessThan(types.indexOf("change"));

    const again = await r.run(["plan", "--detailed-exitcode"]);
    expect(again.stdout).toContain("No changes. Live systems match the access files.");
    expect(again.code).toBe(0);
  });

  it("plans exactly the edits of a commit, with reasons and sources, applies them and converges", async () => {
    const r = await repo();
    expect((await r.run(["apply", "--yes"])).code).toBe(0);
    await recordLogin(path.join(r.cwd, DIRECTORY_FILE), "dmitri", EXAMPLE_NOW);
    const dmitriGroups = await groupsOf(r, "dmitri");
    expect(dmitriGroups.length).toBeGreaterThan(2);

    // Add chloe to app-erp-read, drop tomas's line from app-aws-staging-write, terminate dmitri.
    await r.edit("access/groups/finance.yaml", "      - raj\n", "      - raj\n      - chloe\n");
    await r.edit("access/groups/cloud.yaml", "      - tomas\n", "");
    await r.edit(
      "access/users/eng-platform.yaml",
      '    employeeNumber: "E1057"\n',
      '    employeeNumber: "E1057"\n    status: terminated\n',
    );
    await r.commit("chloe joins ERP readers, tomas leaves staging, dmitri leaves");

    const planned = await r.run(["plan", "--format", "json"]);
    expect(planned.code).toBe(0);
    const changes = changesOf(planned.stdout);
    expect(changes.map((c) => c.line).sort()).toEqual(
      [
        "user.disable directory:user/dmitri user-terminated",
        "user.revoke-sessions directory:user/dmitri#sessions user-terminated",
        "membership.add directory:membership/app-erp-read/chloe added-in-config",
        "membership.remove directory:membership/app-aws-staging-write/tomas removed-from-config",
        ...dmitriGroups.map((g) => `membership.remove directory:membership/${g}/dmitri user-terminated`),
      ].sort(),
    );
    const sourceOf = (prefix: string): string | undefined =>
      changes.find((c) => c.line.startsWith(prefix))?.source;
    expect(sourceOf("membership.add directory:membership/app-erp-read/chloe")).toBe(
      "access/groups/finance.yaml:13:9",
    );
    expect(sourceOf("user.disable directory:user/dmitri")).toBe("access/users/eng-platform.yaml:34:5");

    expect((await r.run(["plan", "--detailed-exitcode"])).code).toBe(2);
    const applied = await r.run(["apply", "--yes"]);
    expect(applied.stdout).toContain(`${String(changes.length)} applied, 0 failed, 0 skipped`);
    expect(applied.code).toBe(0);
    const after = await r.run(["plan", "--detailed-exitcode"]);
    expect(after.stdout).toContain("No changes.");
    expect(after.code).toBe(0);
    expect(await groupsOf(r, "dmitri")).toEqual([]);
  });

  it("verifies the journal chain and catches an edited entry", async () => {
    const r = await repo();
    expect((await r.run(["apply", "--yes"])).code).toBe(0);
    const ok = await r.run(["journal", "verify"]);
    expect(ok.stdout).toMatch(/\.gatehouse\/journal\.jsonl: \d+ entries, hash chain intact/);
    expect(ok.code).toBe(0);

    const text = await r.read(JOURNAL_FILE);
    const lines = text.split("\n");
    const target = lines.findIndex(
      (l) => l.includes('"type":"change"') && l.includes('"directory:membership/app-aws-prod-admin/bob"'),
    );
    expect(target).toBeGreaterThan(0);
    lines[target] = (lines[target] ?? "").replace('"outcome":"applied"', '"outcome":"failed"');
    await r.write(JOURNAL_FILE, lines.join("\n"));

    const bad = await r.run(["journal", "verify"]);
    expect(bad.stdout).toContain(`.gatehouse/journal.jsonl:${String(target + 1)} `);
    expect(bad.stdout).toContain("journal is NOT intact");
    expect(bad.code).toBe(1);
  });

  it("fails verify for a missing or empty journal, and for one cut short since gatehouse last read it", async () => {
    const r = await repo();
    const missing = await r.run(["journal", "verify"]);
    expect(missing.stdout).toContain(".gatehouse/journal.jsonl: no journal here");
    expect(missing.code).toBe(1);
    expect((await r.run(["journal", "verify", "--journal", "typo.jsonl"])).code).toBe(1);

    expect((await r.run(["apply", "--yes"])).code).toBe(0);
    expect((await r.run(["plan"])).code).toBe(0); // the plan reads (folds) the whole journal
    const text = await r.read(JOURNAL_FILE);
    const lines = text.split("\n").filter((l) => l !== "");
    // A cut at an entry boundary keeps a valid chain: only the earlier read can tell.
    await r.write(JOURNAL_FILE, lines.slice(0, 5).join("\n") + "\n");
    const cut = await r.run(["journal", "verify"]);
    expect(cut.stdout).toContain(
      `.gatehouse/journal.jsonl:6 the journal has 5 entries, but ${String(lines.length)} were read from it here before`,
    );
    expect(cut.code).toBe(1);

    await r.write(JOURNAL_FILE, "");
    const empty = await r.run(["journal", "verify"]);
    expect(empty.stdout).toContain("the journal is empty");
    expect(empty.code).toBe(1);
  });

  it("warns in verify when a commit a run applied was rewritten out of the history", async () => {
    const r = await repo();
    expect((await r.run(["apply", "--yes"])).code).toBe(0);
    const applied = (await r.git.revparse(["HEAD"])).trim();
    expect((await r.run(["journal", "verify"])).stdout).not.toContain("warning");
    await r.git.raw(["commit", "--amend", "-m", "history rewritten after the apply"]);
    const verify = await r.run(["journal", "verify"]);
    expect(verify.code).toBe(0); // the chain itself is intact
    expect(verify.stdout).toContain(
      `warning: commit ${applied.slice(0, 12)}, which a run applied, is not in the history of HEAD here`,
    );
  });

  it("warns in verify, every time, of a run that applied uncommitted access files", async () => {
    const r = await repo();
    expect((await r.run(["apply", "--yes"])).code).toBe(0);
    const people = "access/users/eng-platform.yaml";
    await r.write(people, `${await r.read(people)}# edited, not committed\n`);
    expect((await r.run(["apply", "--yes"])).code).toBe(0);
    for (const time of ["first", "again"]) {
      const verify = await r.run(["journal", "verify"]);
      expect(verify.code, time).toBe(0);
      expect(
        verify.stdout.match(/applied access files with uncommitted changes \(\+dirty\)/g),
        time,
      ).toHaveLength(1);
    }
  });

  it("explains a user's memberships with where each comes from", async () => {
    const r = await repo();
    const out = await r.run(["explain", "alice"]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      "alice (Alice Liddell), active, defined at access/users/eng-platform.yaml:14:5",
    );
    expect(out.stdout).toContain(
      "  app-aws-prod-admin  [directory]\n    listed at access/groups/cloud.yaml:7",
    );
    expect(out.stdout).toContain(
      "  team-platform-write  [directory]\n    role platform-engineer (department=ENG-PLATFORM) at access/roles/engineering.yaml:3",
    );
    const bob = await r.run(["explain", "bob", "team-platform-write"]);
    expect(bob.stdout).toContain("via group team-sre-write (access/groups/engineering.yaml:12)");
  });

  it("stops an invalid access tree with file:line:col and no stack trace", async () => {
    const r = await repo();
    await r.edit("access/groups/finance.yaml", "      - raj\n", "      - raj\n      - nobody-at-all\n");
    const out = await r.run(["plan"]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^access\/groups\/finance\.yaml:13:\d+ error GH\d+ .*nobody-at-all/m);
    expect(out.stderr).toContain("the access files have errors; nothing was changed");
    expect(out.stderr).not.toMatch(/^\s+at /m);
    expect(out.stderr).not.toContain("internal error");
    expect(out.stdout).toBe("");
    expect(await r.readMaybe(DIRECTORY_FILE)).toBeUndefined();
  });

  it("refuses to apply without --yes when stdin is not a terminal, and changes nothing", async () => {
    const r = await repo();
    const out = await r.run(["apply"], { isInteractive: false });
    expect(out.stderr).toContain("refusing to apply without confirmation");
    expect(out.code).toBe(64);
    expect(await r.readMaybe(DIRECTORY_FILE)).toBeUndefined();
    expect(await journalTypes(r)).toEqual([]);
  });

  it("applies only after the answer yes at the prompt", async () => {
    const r = await repo();
    const questions: string[] = [];
    const no = await r.run(["apply"], {
      isInteractive: true,
      prompt: (q) => {
        questions.push(q);
        return Promise.resolve("y");
      },
    });
    expect(no.stdout).toContain("Apply cancelled; nothing was changed.");
    expect(no.code).toBe(0);
    expect(await r.readMaybe(DIRECTORY_FILE)).toBeUndefined();
    expect(questions[0]).toMatch(/^Apply these \d+ change\(s\)\? Only "yes" is accepted: $/);
    const yes = await r.run(["apply"], { isInteractive: true, prompt: () => Promise.resolve("yes\n") });
    expect(yes.code).toBe(0);
    expect((await r.run(["plan", "--detailed-exitcode"])).code).toBe(0);
  });
});
