import { describe, expect, it } from "vitest";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { DIRECTORY_FILE, JOURNAL_FILE, journalTypes, useTempRepos, type TempRepo } from "./repo.ts";

const tempRepo = useTempRepos();
const repo = (withAccess = true): Promise<TempRepo> => tempRepo({ withAccess });

/** The example organization applied, then dmitri (five groups) terminated and removals capped at 2. */
async function leaverOverTheLimit(): Promise<TempRepo> {
  const r = await repo();
  expect((await r.run(["apply", "--yes"])).code).toBe(0);
  await r.edit("access/gatehouse.yaml", 'maxRemovals: "25%"', "maxRemovals: 2");
  await r.edit(
    "access/users/eng-platform.yaml",
    '    employeeNumber: "E1057"\n',
    '    employeeNumber: "E1057"\n    status: terminated\n',
  );
  await r.commit("dmitri leaves; at most 2 removals per run");
  return r;
}

describe("guard rails through the CLI", { tags: ["slow"] }, () => {
  it("refuses apply --yes over the removal limit with exit 3, naming --allow-removals N, changing nothing and recording the refusal", async () => {
    const r = await leaverOverTheLimit();
    const directory = await r.read(DIRECTORY_FILE);
    const journal = await journalTypes(r);

    // The plan (and the PR comment) say so before anyone merges.
    const planned = await r.run(["plan"]);
    expect(planned.stdout).toContain(
      "guard rails: apply refuses this plan without an override: the plan removes",
    );
    expect((await r.run(["plan", "--format", "markdown"])).stdout).toContain("guard rails: apply refuses");

    const out = await r.run(["apply", "--yes"]);
    expect(out.code).toBe(3);
    const match = /re-run with --allow-removals (\d+)/.exec(out.stderr);
    expect(match).not.toBeNull();
    const n = Number(match?.[1]);
    expect(n).toBeGreaterThan(2);
    expect(out.stderr).toContain("policy.guardrails.maxRemovals is 2");
    expect(await r.read(DIRECTORY_FILE)).toBe(directory);
    // Nothing applied; the run is recorded, with its refusal.
    expect(await journalTypes(r)).toEqual([...journal, "apply-start", "apply-end"]);
    const refusedStart = (await r.read(JOURNAL_FILE))
      .split("\n")
      .filter((l) => l.includes('"type":"apply-start"'))
      .map((l) => JSON.parse(l) as { refused?: string[]; changes: number })
      .at(-1);
    expect(refusedStart?.changes).toBe(0);
    expect(refusedStart?.refused?.join("\n")).toContain("more than allowed");

    const tooFew = await r.run(["apply", "--yes", "--allow-removals", String(n - 1)]);
    expect(tooFew.code).toBe(3);
    expect(tooFew.stdout).toContain(
      "guard rails: apply refuses this plan without an override: the plan removes",
    );
    const allowed = await r.run(["apply", "--yes", "--allow-removals", String(n)]);
    expect(allowed.code).toBe(0);
    // The plan apply prints says what the override let through, not that apply refuses it.
    expect(allowed.stdout).toContain(
      `guard rails: accepted with --allow-removals ${String(n)}: the plan removes`,
    );
    expect(allowed.stdout).not.toContain("apply refuses this plan");
    expect((await r.run(["plan", "--detailed-exitcode"])).code).toBe(0);
    // The journal says the limit was overridden, and what it let through.
    const starts = (await r.read(JOURNAL_FILE))
      .split("\n")
      .filter((l) => l.includes('"type":"apply-start"'))
      .map((l) => JSON.parse(l) as { overrides?: { allowRemovals?: number; accepted: string[] } });
    expect(starts.at(-1)?.overrides?.allowRemovals).toBe(n);
    expect(starts.at(-1)?.overrides?.accepted.join("\n")).toContain("more than allowed");
    expect(starts[0]?.overrides).toBeUndefined();
  });

  it("refuses to offboard a protected user unless --force", async () => {
    const r = await repo();
    expect((await r.run(["apply", "--yes"])).code).toBe(0);
    await r.edit(
      "access/users/eng-platform.yaml",
      "  - id: svc.deploy\n",
      "  - id: svc.deploy\n    status: terminated\n",
    );
    await r.commit("retire the deploy bot");
    expect((await r.run(["plan"])).stdout).toContain(
      "guard rails: apply refuses this plan without an override: directory:user/svc.deploy: user disable touches protected user svc.deploy",
    );
    const refused = await r.run(["apply", "--yes"]);
    expect(refused.stderr).toContain("touches protected user svc.deploy; re-run with --force if intended");
    expect(refused.code).toBe(3);
    const forced = await r.run(["apply", "--yes", "--force"]);
    expect(forced.code).toBe(0);
    const last = (await r.read(JOURNAL_FILE))
      .split("\n")
      .filter((l) => l.includes('"type":"apply-start"'))
      .at(-1);
    const overrides = (JSON.parse(last ?? "{}") as { overrides?: { force?: boolean; accepted: string[] } })
      .overrides;
    expect(overrides?.force).toBe(true);
    expect(overrides?.accepted).toContain(
      "directory:user/svc.deploy: user disable touches protected user svc.deploy; re-run with --force if intended",
    );
    expect((await r.run(["journal", "verify"])).code).toBe(0);
  });
});

describe("import", { tags: ["slow"] }, () => {
  it("writes access files from a populated directory that, once owners are added, validate and plan no changes", async () => {
    const source = await repo();
    expect((await source.run(["apply", "--yes"])).code).toBe(0);

    const target = await repo(false);
    await mkdir(path.join(target.cwd, "access"), { recursive: true });
    await mkdir(path.join(target.cwd, ".gatehouse"), { recursive: true });
    // The adopter writes the policy first, naming groups and people only the import brings (and one typo).
    const config =
      "providers:\n  directory: { type: local, path: .gatehouse/directory.json, mode: authoritative }\n";
    const people =
      "  admins: [rachel]\n  separationOfDuties: [[app-payments-submit-write, app-payments-approve-write]]\n";
    await target.write(
      "access/gatehouse.yaml",
      `${config}policy:\n${people}  guardrails:\n    protectedUsers: [svc.deploy]\n    protectedGroups: [app-aws-prod-admin, app-aws-prod-admn]\n`,
    );
    await target.write(DIRECTORY_FILE, await source.read(DIRECTORY_FILE));

    const imported = await target.run(["import", "--provider", "directory"]);
    expect(imported.stdout).toMatch(
      /^Wrote access\/imported\/directory\.yaml: 40 new user\(s\), 21 group\(s\) from directory/,
    );
    expect(imported.code).toBe(0);
    expect(imported.stderr).toContain(
      'warning: policy.guardrails.protectedGroups names "app-aws-prod-admn", which neither the access files nor directory have',
    );
    expect(imported.stderr).not.toContain('"app-aws-prod-admin"');
    const typo = await target.run(["validate"]);
    expect(typo.stdout).toMatch(/gatehouse\.yaml:\d+:\d+ error GH209 .*app-aws-prod-admn/);
    expect(typo.stdout.match(/ GH209 /g)).toHaveLength(1);
    await target.write(
      "access/gatehouse.yaml",
      `${config}policy:\n${people}  guardrails:\n    protectedUsers: [svc.deploy]\n    protectedGroups: [app-aws-prod-admin]\n`,
    );
    const text = await target.read("access/imported/directory.yaml");
    expect(text).toMatch(/^# yaml-language-server: \$schema=\.\.\/\.\.\/schemas\/access\.schema\.json\n/);

    // The file is complete but for owners, which only a person can choose (GH217 until then).
    const unreviewed = await target.run(["validate"]);
    expect(unreviewed.code).toBe(1);
    const codes = new Set([...unreviewed.stdout.matchAll(/ error (GH\d+) /g)].map((m) => m[1]));
    expect([...codes]).toEqual(["GH217"]);
    expect(text.split("owners: []").length - 1).toBe(21);
    await target.write("access/imported/directory.yaml", text.replaceAll("owners: []", "owners: [carol]"));

    const validated = await target.run(["validate"]);
    expect(validated.stdout).toContain("40 users, 21 groups, 0 roles: valid; 0 error(s), 0 warning(s)");
    expect(validated.code).toBe(0);
    const planned = await target.run(["plan", "--detailed-exitcode"]);
    expect(planned.stdout).toContain("No changes.");
    expect(planned.code).toBe(0);

    const again = await target.run(["import", "--provider", "directory"]);
    // The reviewed import is one of the access files now: never written over, --force or not.
    expect(again.stderr).toContain(
      "access/imported/directory.yaml is one of the access files (it defines 40 user(s) and 21 group(s))",
    );
    expect(again.code).toBe(64);
    const forced = await target.run(["import", "--provider", "directory", "--force"]);
    expect(forced.code).toBe(64);
    expect(await target.read("access/imported/directory.yaml")).toBe(
      text.replaceAll("owners: []", "owners: [carol]"),
    );
  });
});
