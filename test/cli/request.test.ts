/**
 * `gatehouse request`: the line asking for access is written into the group's file (and nothing else
 * changes), within the policy, and the tree still validates; else nothing is written.
 */
import {
  chmod,
  cp,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  rename,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

// runCliIn's clock: 2026-06-01T12:00:00Z.
const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const CONFIG = `providers:
  directory: { type: local, path: .gatehouse/directory.json }
policy:
  grants: { maxDuration: 90d, privilegedMaxDuration: 12h }
  separationOfDuties: [[pay-submit, pay-approve]]
  admins: [ann]
`;
const USERS = `users:
  - { id: ann, name: Ann, accounts: { github: ann-gh } }
  - { id: bob, name: Bob, department: OPS }
  - { id: cy, name: Cy, status: terminated }
  - { id: dee, name: Dee, accounts: { github: dee-gh } }
  - { id: eve, name: Eve, department: SRE }
`;
const GROUPS = `# Operations groups: owners approve changes.
groups:
  - name: ops
    owners: [ann]   # the lead
    members:
      - ann
      # INC-7: dee helps with the outage
      - user: dee
        until: 2026-06-20T00:00:00Z
        reason: INC-7

  - name: root
    owners: [ann, dee]
    sensitivity: privileged
    members: [ann]
  - name: pay-submit
    owners: [ann]
    members: [bob]
  - name: pay-approve
    owners: [ann]
    members: []
  - name: legacy
    owners: [ann]
`;
const ROLES = "roles:\n  - name: sre\n    when: { department: SRE }\n    groups: [ops]\n";

async function tree(groups = GROUPS): Promise<{ tree: AccessTree; file: string }> {
  const t = await writeAccessTree({
    "gatehouse.yaml": CONFIG,
    "users/people.yaml": USERS,
    "groups/ops.yaml": groups,
    "roles/sre.yaml": ROLES,
  });
  trees.push(t);
  return { tree: t, file: path.join(t.dir, "groups/ops.yaml") };
}

const request = (t: AccessTree, ...args: string[]) => runCliIn(t.cwd, ["request", ...args]);

describe("gatehouse request", () => {
  it("adds a lasting member line, and nothing else in the file changes", async () => {
    const { tree: t, file } = await tree();
    const out = await request(t, "--user", "bob", "--group", "ops");
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(await readFile(file, "utf8")).toBe(
      GROUPS.replace("reason: INC-7\n", "reason: INC-7\n      - bob\n"),
    );
    expect(out.stdout).toContain("Wrote access/groups/ops.yaml:11: bob joins ops (a lasting member)");
    expect(out.stdout).toContain("+      - bob\n");
    expect(out.stdout).toContain(
      "Approval: one owner of ops approves the pull request (neither its author nor the person it gives access counts): ann (@ann-gh)",
    );
    expect(out.stdout).toContain("  git add access/groups/ops.yaml\n");
    expect((await runCliIn(t.cwd, ["validate"])).code).toBe(0);
    const explained = await runCliIn(t.cwd, ["explain", "bob", "ops"]);
    expect(explained.stdout).toContain("listed at access/groups/ops.yaml:11");
  });

  it("writes a grant for a duration from now, with its reason, in the list's style", async () => {
    const { tree: t, file } = await tree();
    const out = await request(
      t,
      "--user",
      "bob",
      "--group",
      "ops",
      "--until",
      "8h",
      "--reason",
      "INC-9: db fix",
    );
    expect(out.code).toBe(0);
    expect(await readFile(file, "utf8")).toBe(
      GROUPS.replace(
        "reason: INC-7\n",
        'reason: INC-7\n      - user: bob\n        until: 2026-06-01T20:00:00Z\n        reason: "INC-9: db fix"\n',
      ),
    );
    expect(out.stdout).toContain("bob is granted ops until 2026-06-01T20:00:00Z (INC-9: db fix)");
  });

  it("takes a day as through its end, and an instant in any zone as UTC", async () => {
    const { tree: t, file } = await tree();
    expect((await request(t, "--user", "bob", "--group", "ops", "--until", "2026-06-10")).code).toBe(0);
    expect(await readFile(file, "utf8")).toContain(
      "      - user: bob\n        until: 2026-06-11T00:00:00Z\n\n  - name: root\n",
    );
    const flow = await request(t, "--user", "eve", "--group", "root", "--until", "2026-06-01T19:30:00+02:00");
    expect(flow.code).toBe(0);
    expect(await readFile(file, "utf8")).toContain(
      "members: [ann, { user: eve, until: 2026-06-01T17:30:00Z }]",
    );
    const bad = await request(t, "--user", "bob", "--group", "ops", "--until", "tomorrow");
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain("--until must be a duration from now (8h, 7d, 2w, 30m), a day");
  });

  it("extends a grant with a later until (new reason in place), and leaves a later one alone", async () => {
    const { tree: t, file } = await tree();
    const later = await request(t, "--user", "dee", "--group", "ops", "--until", "30d", "--reason", "INC-8");
    expect(later.code).toBe(0);
    expect(later.stdout).toContain(
      "dee's grant of ops runs until 2026-07-01T12:00:00Z (was 2026-06-20T00:00:00Z) (INC-8)",
    );
    const extended = GROUPS.replace(
      "until: 2026-06-20T00:00:00Z\n        reason: INC-7",
      "until: 2026-07-01T12:00:00Z\n        reason: INC-8",
    );
    expect(await readFile(file, "utf8")).toBe(extended);
    const earlier = await request(t, "--user", "dee", "--group", "ops", "--until", "2026-06-15");
    expect(earlier.code).toBe(0);
    expect(earlier.stdout).toBe(
      "dee is already granted ops until 2026-07-01T12:00:00Z (access/groups/ops.yaml:8:9); --until 2026-06-16T00:00:00Z is not later; nothing to do\n",
    );
    expect(await readFile(file, "utf8")).toBe(extended);
  });

  it("turns a grant into a lasting line without --until; a lasting member is left as is", async () => {
    const { tree: t, file } = await tree();
    const lasting = await request(t, "--user", "dee", "--group", "ops");
    expect(lasting.code).toBe(0);
    expect(await readFile(file, "utf8")).toBe(
      GROUPS.replace("- user: dee\n        until: 2026-06-20T00:00:00Z\n        reason: INC-7\n", "- dee\n"),
    );
    const again = await request(t, "--user", "ann", "--group", "ops", "--until", "1d");
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      "ann is already a lasting member of ops (access/groups/ops.yaml:6:9); nothing to do\n",
    );
  });

  it("refuses an until past the policy's longest grant, naming the setting", async () => {
    const { tree: t, file } = await tree();
    const out = await request(t, "--user", "bob", "--group", "ops", "--until", "91d");
    expect(out.code).toBe(1);
    expect(out.stderr).toBe(
      "error: --until 2026-08-31T12:00:00Z is longer than the 90d policy.grants.maxDuration (access/gatehouse.yaml:4:26) " +
        "allows for a group like ops; the latest is 2026-08-30T12:00:00Z; nothing was written\n",
    );
    const past = await request(t, "--user", "bob", "--group", "ops", "--until", "2026-05-01T00:00:00Z");
    expect(past.code).toBe(1);
    expect(past.stderr).toContain("--until 2026-05-01T00:00:00Z is not in the future");
    expect(await readFile(file, "utf8")).toBe(GROUPS);
  });

  it("quotes the policy's longest grant as written (24h, not 1d)", async () => {
    const t = await writeAccessTree({
      "gatehouse.yaml": CONFIG.replace("privilegedMaxDuration: 12h", "privilegedMaxDuration: 24h"),
      "users/people.yaml": USERS,
      "groups/ops.yaml": GROUPS,
    });
    trees.push(t);
    const out = await request(t, "--user", "bob", "--group", "root", "--until", "2d");
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(
      "longer than the 24h policy.grants.privilegedMaxDuration (access/gatehouse.yaml:4:54) allows",
    );
  });

  it("holds a privileged group to its own limit and asks for two owners", async () => {
    const { tree: t, file } = await tree();
    const long = await request(t, "--user", "bob", "--group", "root", "--until", "13h");
    expect(long.code).toBe(1);
    expect(long.stderr).toContain(
      "longer than the 12h policy.grants.privilegedMaxDuration (access/gatehouse.yaml:4:54) allows for a privileged group like root",
    );
    expect(await readFile(file, "utf8")).toBe(GROUPS);
    const ok = await request(t, "--user", "bob", "--group", "root", "--until", "12h", "--reason", "INC-9");
    expect(ok.code).toBe(0);
    expect(await readFile(file, "utf8")).toBe(
      GROUPS.replace(
        "members: [ann]\n",
        "members: [ann, { user: bob, until: 2026-06-02T00:00:00Z, reason: INC-9 }]\n",
      ),
    );
    expect(ok.stdout).toContain(
      "Approval: 2 distinct owners of root (privileged: policy.grants.privilegedApprovals) approve the pull request (neither its author nor the person it gives access counts): ann (@ann-gh), dee (@dee-gh)",
    );
  });

  it("notes that access ends on the person's endDate whatever the grant says", async () => {
    const { tree: t } = await tree();
    await writeFile(
      path.join(t.dir, "users/people.yaml"),
      USERS.replace(
        "{ id: bob, name: Bob, department: OPS }",
        "{ id: bob, name: Bob, department: OPS, endDate: 2026-06-10 }",
      ),
    );
    const short = await request(t, "--user", "bob", "--group", "ops", "--until", "2d");
    expect(short.code).toBe(0);
    expect(short.stdout).not.toContain("endDate");
    const long = await request(t, "--user", "bob", "--group", "ops", "--until", "30d");
    expect(long.code).toBe(0);
    expect(long.stdout).toContain(
      "note: bob's endDate is 2026-06-10: access ends when that day does, whatever the grant's --until says",
    );
  });

  it("never lists the person the access is for among those who approve it", async () => {
    const { tree: t } = await tree();
    // dee owns root with ann; a grant for dee needs two owners, and only ann can: the admins decide,
    // and ann, an admin, is not dee.
    const own = await request(t, "--user", "dee", "--group", "root", "--until", "4h", "--reason", "INC-11");
    expect(own.code).toBe(0);
    expect(own.stdout).toContain(
      "Approval: 2 distinct owners of root (privileged: policy.grants.privilegedApprovals) would approve, but too few can (owners: ann (@ann-gh), dee (@dee-gh) [cannot approve: is the one the access is for]);",
    );
    expect(own.stdout).toContain("  so one of policy.admins approves: ann (@ann-gh)");
  });

  it("names an unknown user or group with the close spelling, and refuses a leaver", async () => {
    const { tree: t, file } = await tree();
    const user = await request(t, "--user", "bobb", "--group", "ops");
    expect(user.code).toBe(64);
    expect(user.stderr).toBe('error: no user "bobb" in the access files. Did you mean "bob"?\n');
    const group = await request(t, "--user", "bob", "--group", "opz");
    expect(group.code).toBe(64);
    expect(group.stderr).toBe('error: no group "opz" in the access files. Did you mean "ops"?\n');
    const leaver = await request(t, "--user", "cy", "--group", "ops");
    expect(leaver.code).toBe(1);
    expect(leaver.stderr).toContain("access/users/people.yaml:4:5: cy has left (status: terminated)");
    const unmanaged = await request(t, "--user", "bob", "--group", "legacy");
    expect(unmanaged.code).toBe(1);
    expect(unmanaged.stderr).toContain("group legacy has no members list");
    expect((await request(t, "--group", "ops")).code).toBe(64);
    expect(await readFile(file, "utf8")).toBe(GROUPS);
  });

  it("refuses a file that is a symbolic link or read-only", async () => {
    const { tree: t, file } = await tree();
    await chmod(file, 0o444);
    const readOnly = await request(t, "--user", "bob", "--group", "ops");
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toBe(
      "error: access/groups/ops.yaml: not edited (it is read-only); add the line by hand; nothing was written\n",
    );
    await chmod(file, 0o644);
    // Inside the tree under a name the loader does not read by itself: only the link is loaded.
    const real = path.join(t.dir, "groups/ops.data");
    await rename(file, real);
    await symlink(real, file);
    const linked = await request(t, "--user", "eve", "--group", "ops", "--until", "1d");
    expect(linked.code).toBe(1);
    expect(linked.stderr).toContain("not edited (it is a symbolic link)");
    expect(await readFile(real, "utf8")).toBe(GROUPS);
  });

  it("writes nothing, not even for a moment, when the result would not validate", async () => {
    const { tree: t, file } = await tree();
    await chmod(file, 0o640);
    const bytes = await readFile(file);
    const { mtimeMs } = await stat(file);
    const listing = await readdir(path.dirname(file));
    const out = await request(t, "--user", "bob", "--group", "pay-approve", "--until", "2d");
    expect(out.code).toBe(1);
    // Named at the real file's line and column, though a copy of the tree was validated.
    expect(out.stderr).toMatch(
      /^access\/groups\/ops\.yaml:22:9 error GH219 separation of duties: user "bob"/,
    );
    expect(out.stderr).not.toContain("gatehouse-edit-");
    expect(out.stderr).toContain(
      "error: the request would leave the access files with errors; nothing was written (1 error(s)",
    );
    expect(out.stdout).toBe("");
    expect(await readFile(file)).toEqual(bytes);
    const after = await stat(file);
    expect(after.mode & 0o777).toBe(0o640);
    expect(after.mtimeMs).toBe(mtimeMs); // never written and put back: never written at all
    expect(await readdir(path.dirname(file))).toEqual(listing);
  });

  it("turns an empty list into a block list, and keeps the file's mode", async () => {
    const { tree: t, file } = await tree();
    await chmod(file, 0o640);
    expect((await request(t, "--user", "eve", "--group", "pay-approve")).code).toBe(0);
    expect(await readFile(file, "utf8")).toBe(GROUPS.replace("members: []\n", "members:\n      - eve\n"));
    expect((await stat(file)).mode & 0o777).toBe(0o640);
  });

  it("writes the line for someone who holds the group through a role, and says so", async () => {
    const { tree: t, file } = await tree();
    const out = await request(t, "--user", "eve", "--group", "ops", "--until", "7d");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      "note: eve already holds ops through role sre (department=SRE) at access/roles/sre.yaml:2",
    );
    expect(await readFile(file, "utf8")).toContain(
      "      - user: eve\n        until: 2026-06-08T12:00:00Z\n",
    );
  });

  it("says once how someone holds the group through a nested group", async () => {
    const { tree: t } = await tree(
      GROUPS + "  - name: ops-all\n    owners: [ann]\n    members:\n      - { group: pay-submit }\n",
    );
    const out = await request(t, "--user", "bob", "--group", "ops-all", "--until", "7d");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      "note: bob already holds ops-all via group pay-submit (access/groups/ops.yaml:27) ← listed at access/groups/ops.yaml:18;",
    );
    expect(out.stdout).not.toContain("through via");
  });

  it("says plainly when the line written ends before the access a nested group already gives", async () => {
    const { tree: t, file } = await tree(
      GROUPS +
        "  - name: kids\n    owners: [ann]\n    members:\n      - { user: bob, until: 2026-06-20T00:00:00Z }\n" +
        "  - name: parent\n    owners: [ann]\n    members:\n      - { group: kids }\n",
    );
    const held =
      "bob already holds parent via group kids (access/groups/ops.yaml:31) ← listed at access/groups/ops.yaml:27 until 2026-06-20T00:00:00Z";
    const dry = await request(t, "--user", "bob", "--group", "parent", "--until", "2h", "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      `note: ${held}; the line written ends at 2026-06-01T14:00:00Z, before the access bob already has through group kids (until 2026-06-20T00:00:00Z): it gives nothing more unless that is cut short\n`,
    );
    expect(dry.stdout).not.toContain("keeps it if that stops");
    // A line that outlasts the nested grant keeps the access when that ends, as the note says.
    const longer = await request(t, "--user", "bob", "--group", "parent", "--until", "30d");
    expect(longer.code).toBe(0);
    expect(longer.stdout).toContain(`note: ${held}; the line written keeps it if that stops\n`);
    expect(await readFile(file, "utf8")).toContain("      - { user: bob, until: 2026-07-01T12:00:00Z }\n");
  });

  it("echoes the --until typed next to the instant it stands for when refusing it", async () => {
    const { tree: t, file } = await tree();
    const day = await request(t, "--user", "bob", "--group", "ops", "--until", "2026-05-30");
    expect(day.code).toBe(1);
    expect(day.stderr).toBe(
      "error: --until 2026-05-30 (2026-05-31T00:00:00Z) is not in the future (now is 2026-06-01T12:00:00Z); nothing was written\n",
    );
    expect(await readFile(file, "utf8")).toBe(GROUPS);
  });

  it("refuses a negative --until in one line, as the value it is, not as a stray option", async () => {
    const { tree: t, file } = await tree();
    for (const args of [["--until", "-5h"], ["--until=-5h"]]) {
      const out = await request(t, "--user", "bob", "--group", "ops", ...args);
      expect(out.code).toBe(64);
      expect(out.stdout).toBe("");
      expect(out.stderr).toBe(
        'error: --until "-5h" counts back from now; a grant\'s end must be in the future: give a duration from now (8h, 7d, 2w, 30m), a day (2026-07-01: through its end, UTC) or an instant with a time zone (2026-07-01T18:00:00Z); nothing was written\n',
      );
    }
    expect(await readFile(file, "utf8")).toBe(GROUPS);
  });

  it("--dry-run prints the diff and writes nothing", async () => {
    const { tree: t, file } = await tree();
    const out = await request(t, "--user", "bob", "--group", "ops", "--until", "1d", "--dry-run");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      "Would write access/groups/ops.yaml:11: bob is granted ops until 2026-06-02T12:00:00Z",
    );
    expect(out.stdout).toContain("+      - user: bob\n+        until: 2026-06-02T12:00:00Z\n");
    expect(out.stdout).toContain("Dry run: nothing was written");
    expect(await readFile(file, "utf8")).toBe(GROUPS);
  });

  it("--format json gives the file, the line, the entry and the approvers", async () => {
    const { tree: t, file } = await tree();
    const out = await request(
      t,
      "--user",
      "bob",
      "--group",
      "ops",
      "--until",
      "1d",
      "--reason",
      "INC-1",
      "--format",
      "json",
    );
    expect(out.code).toBe(0);
    const result: unknown = JSON.parse(out.stdout);
    expect(result).toEqual({
      formatVersion: 1,
      status: "written",
      user: "bob",
      group: "ops",
      action: "add",
      file: "access/groups/ops.yaml",
      line: 11,
      entry: { user: "bob", until: "2026-06-02T12:00:00Z", reason: "INC-1" },
      notes: [],
      diff: expect.stringContaining(
        "+      - user: bob\n+        until: 2026-06-02T12:00:00Z\n+        reason: INC-1\n",
      ) as unknown,
      approval: { group: "ops", isPrivileged: false, required: 1, owners: [{ id: "ann", github: "ann-gh" }] },
    });
    expect((await readFile(file, "utf8")).split("\n")[10]).toBe("      - user: bob");
    const nothing = await request(t, "--user", "ann", "--group", "ops", "--format", "json");
    expect(JSON.parse(nothing.stdout)).toMatchObject({ status: "nothing-to-do", user: "ann", group: "ops" });
  });

  it("keeps CRLF line ends", async () => {
    const crlf = GROUPS.replace(/\n/g, "\r\n");
    const { tree: t, file } = await tree();
    await writeFile(file, crlf);
    expect((await request(t, "--user", "bob", "--group", "ops")).code).toBe(0);
    expect(await readFile(file, "utf8")).toBe(
      crlf.replace("reason: INC-7\r\n", "reason: INC-7\r\n      - bob\r\n"),
    );
  });

  it("sends the approval to the admins when too few owners can give it", async () => {
    const { tree: t } = await tree(GROUPS.replace("owners: [ann, dee]", "owners: [ann, bob]"));
    const out = await request(t, "--user", "eve", "--group", "root", "--until", "1h", "--dry-run");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("bob [cannot approve: no GitHub account in accounts.github]");
    expect(out.stdout).toContain("  so one of policy.admins approves: ann (@ann-gh)");
  });

  it("names the owners who approve without GitHub accounts where the site names none (approved elsewhere)", async () => {
    const t = await writeAccessTree({
      "gatehouse.yaml": CONFIG,
      "users/people.yaml": USERS.replace(/, accounts: \{ github: [a-z-]+ \}/g, ""),
      "groups/ops.yaml": GROUPS,
      "roles/sre.yaml": ROLES,
    });
    trees.push(t);
    const out = await request(t, "--user", "bob", "--group", "ops", "--dry-run", "--format", "json");
    expect(out.code).toBe(0);
    const { approval } = JSON.parse(out.stdout) as {
      approval: { owners: { id: string; problem?: string }[] };
    };
    expect(approval.owners.map((o) => o.problem)).toEqual(approval.owners.map(() => undefined));
    expect(approval.owners.length).toBeGreaterThan(0);
  });

  it("prints its usage with --help", async () => {
    const { tree: t } = await tree();
    const out = await request(t, "--help");
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^Usage: gatehouse request --user ID --group NAME \[--until DATE\|DURATION\]/);
  });

  it("edits the example organization's files in place, and they still validate", async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-request-"));
    try {
      await cp(new URL("../../access", import.meta.url), path.join(cwd, "access"), { recursive: true });
      const at = new Date("2026-11-25T12:00:00Z"); // the example's own instant (test/e2e/repo.ts)
      const file = path.join(cwd, "access/groups/engineering.yaml");
      const before = await readFile(file, "utf8");
      const args = [
        "request",
        "--user",
        "mia",
        "--group",
        "app-grafana-read",
        "--until",
        "7d",
        "--reason",
        "PLAT-1",
      ];
      const out = await runCliIn(cwd, args, at);
      expect(out.stderr).toBe("");
      expect(out.code).toBe(0);
      expect(await readFile(file, "utf8")).toBe(
        before.replace(
          "      - group: team-sre-write\n      - chloe\n",
          "      - group: team-sre-write\n      - chloe\n      - user: mia\n        until: 2026-12-02T12:00:00Z\n        reason: PLAT-1\n",
        ),
      );
      expect((await runCliIn(cwd, ["validate"], at)).code).toBe(0);
      const privileged = await runCliIn(
        cwd,
        ["request", "--user", "mia", "--group", "app-aws-prod-admin", "--until", "1d"],
        at,
      );
      expect(privileged.code).toBe(1);
      expect(privileged.stderr).toContain(
        "12h policy.grants.privilegedMaxDuration (access/gatehouse.yaml:17:28)",
      );
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it("documents every field of its JSON in docs/formats.md", async () => {
    const doc = await readFile(new URL("../../docs/formats.md", import.meta.url), "utf8");
    const section = doc.slice(doc.indexOf("## `request --format json`"));
    const { tree: t } = await tree(GROUPS.replace("owners: [ann, dee]", "owners: [ann, bob]"));
    const outputs = [
      await request(t, "--user", "eve", "--group", "root", "--until", "1h", "--format", "json", "--dry-run"),
      await request(t, "--user", "dee", "--group", "ops", "--until", "30d", "--format", "json", "--dry-run"),
      await request(t, "--user", "eve", "--group", "ops", "--format", "json", "--dry-run"),
      await request(t, "--user", "ann", "--group", "ops", "--format", "json"),
    ];
    const fields = new Set<string>();
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (typeof value === "object" && value !== null)
        for (const [key, inner] of Object.entries(value)) {
          fields.add(key);
          collect(inner);
        }
    };
    for (const out of outputs) collect(JSON.parse(out.stdout));
    for (const field of ["admins", "problem", "previousUntil", "message", "notes"])
      expect(fields).toContain(field);
    expect([...fields].filter((f) => !section.includes(`\`${f}\``)).sort()).toEqual([]);
  });
});
