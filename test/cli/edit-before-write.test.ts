/**
 * Every command that edits access files validates the tree as it would be before it writes anything:
 * an edit that would not validate is refused with the real file:line:col and every file keeps its bytes
 * (it is never written and put back); a dry run validates too. Also the JSON of `review open|close`.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmod, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { builtFile } from "../helpers/built.ts";
import { configYaml, writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const OPEN_AT = new Date("2026-06-01T12:00:00Z");
const AFTER_DUE = new Date("2026-07-01T00:00:00Z");

const USERS = `users:
  - { id: ann, name: Ann }
  - { id: bob, name: Bob }
  - { id: dee, name: Dee, department: ENG }
`;
const PAY = `groups:
  - name: pay-submit
    owners: [ann]
    members: [bob]
  - name: pay-approve
    owners: [ann]
    members:
      - ann
`;
const OPS = `# Ops: comments and layout stay.
groups:
  - name: ops
    owners: [ann] # the lead
    members:
      - ann
      - user: bob
        until: 2026-09-01T00:00:00Z
        reason: INC-1
  - name: eng
    owners: [ann]
    members: []
`;
const ROLES = "roles:\n  - name: eng\n    when: { department: ENG }\n    groups: [ops]\n";

async function tree(files: Readonly<Record<string, string>> = {}): Promise<AccessTree> {
  const t = await writeAccessTree({
    "gatehouse.yaml": configYaml(
      "policy:\n  separationOfDuties: [[pay-submit, pay-approve]]\n  guardrails: { maxRemovals: 5 }\n",
    ),
    "users/people.yaml": USERS,
    "roles/eng.yaml": ROLES,
    "groups/pay.yaml": PAY,
    "groups/ops.yaml": OPS,
    ...files,
  });
  trees.push(t);
  return t;
}

/** Every file of the tree with its bytes, and every name in its folders (a temporary file would show). */
async function snapshot(t: AccessTree): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of await readdir(t.dir, { recursive: true })) {
    const abs = path.join(t.dir, name);
    out.set(name, (await stat(abs)).isFile() ? await readFile(abs) : Buffer.alloc(0));
  }
  return out;
}

const run = (t: AccessTree, args: readonly string[], now = OPEN_AT) => runCliIn(t.cwd, args, now);

describe("gatehouse request validates before it writes", () => {
  const conflict = ["request", "--user", "bob", "--group", "pay-approve", "--until", "2d"];

  it("refuses an edit that would not validate, naming the real file:line:col, and leaves every byte", async () => {
    const t = await tree();
    const before = await snapshot(t);
    const out = await run(t, conflict);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^access\/groups\/pay\.yaml:9:9 error GH219 separation of duties: user "bob"/);
    expect(out.stderr).toContain("    see access/groups/pay.yaml:4:15\n");
    expect(out.stderr).toContain(
      "error: the request would leave the access files with errors; nothing was written (1 error(s), 0 warning(s))\n",
    );
    expect(out.stdout).toBe("");
    expect(await snapshot(t)).toEqual(before);
  });

  it("--dry-run validates: shows the line it would write, then the errors, exit 1, nothing written", async () => {
    const t = await tree();
    const before = await snapshot(t);
    const out = await run(t, [...conflict, "--dry-run"]);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(
      "Would write access/groups/pay.yaml:9: bob is granted pay-approve until 2026-06-03T12:00:00Z\n",
    );
    expect(out.stdout).toContain("+      - user: bob\n+        until: 2026-06-03T12:00:00Z\n");
    expect(out.stdout).toContain(
      "Dry run: nothing was written; the access files would not validate with it (below).\n",
    );
    expect(out.stderr).toMatch(/^access\/groups\/pay\.yaml:9:9 error GH219 /);
    expect(out.stderr).toContain("the request would leave the access files with errors; nothing was written");
    expect(await snapshot(t)).toEqual(before);

    // As JSON: no object on stdout (it would say "dry-run" as if all were well), the errors on stderr.
    const json = await run(t, [...conflict, "--dry-run", "--format", "json"]);
    expect(json.code).toBe(1);
    expect(json.stdout).toBe("");
    expect(json.stderr).toMatch(/^access\/groups\/pay\.yaml:9:9 error GH219 /);
    expect(await snapshot(t)).toEqual(before);
  });

  it("--dry-run of an edit that validates says so, prints new warnings, and writes nothing", async () => {
    const t = await tree();
    const before = await snapshot(t);
    // A grant that has ended already is refused; one ending in 10 minutes validates (no warning).
    const out = await run(t, ["request", "--user", "dee", "--group", "eng", "--dry-run"]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("+    members:\n+      - dee\n");
    expect(out.stdout).toContain("Dry run: nothing was written; the access files validate with it.\n");
    expect(await snapshot(t)).toEqual(before);
  });

  it.runIf(process.getuid?.() === 0)(
    "refuses a file the OS does not let this process write, though its owner may (access W_OK)",
    async (context) => {
      // Run as nobody against root's 0644 file: the owner's write bit is set, but nobody may not write.
      // Nobody must be able to read the built CLI: not so in a checkout under a private folder (mktemp -d).
      const cli = builtFile("cli/main.js");
      const readable = spawnSync(
        process.execPath,
        ["-e", `require("node:fs").accessSync(${JSON.stringify(cli)}, require("node:fs").constants.R_OK)`],
        { uid: 65534, gid: 65534 },
      );
      if (readable.status !== 0) context.skip(`user nobody cannot read ${cli}`);
      const t = await tree();
      const file = path.join(t.dir, "groups/ops.yaml");
      await chmod(t.cwd, 0o777);
      const before = await snapshot(t);
      const child = spawn(process.execPath, [cli, "request", "--user", "dee", "--group", "eng"], {
        cwd: t.cwd,
        uid: 65534,
        gid: 65534,
        env: { PATH: process.env["PATH"], GATEHOUSE_QUIET: "1" },
      });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      expect(stderr).toBe(
        "error: access/groups/ops.yaml: not edited (it is read-only); add the line by hand; nothing was written\n",
      );
      expect(code).toBe(1);
      expect((await stat(file)).mode & 0o777).toBe(0o644);
      expect(await snapshot(t)).toEqual(before);
    },
  );
});

describe("gatehouse review open|close", () => {
  it("open --dry-run prints the diff of each file, validates, and writes nothing", async () => {
    const t = await tree();
    const before = await snapshot(t);
    const out = await run(t, ["review", "open", "--due", "14d", "--dry-run"]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      "access/groups/ops.yaml: review of ops due 2026-06-15, 2 to re-certify: ann, bob\n" +
        "  held through role eng: dee; review the role\n",
    );
    expect(out.stdout).toContain(
      "--- a/access/groups/ops.yaml\n+++ b/access/groups/ops.yaml\n" +
        "@@ -2,6 +2,11 @@\n groups:\n   - name: ops\n     owners: [ann] # the lead\n" +
        "+    review:\n+      due: 2026-06-15\n+      pending:\n+        - ann\n+        - bob\n     members:\n",
    );
    expect(out.stdout).toContain("--- a/access/groups/pay.yaml\n+++ b/access/groups/pay.yaml\n");
    expect(out.stdout).toContain(
      "Dry run: nothing was written; the access files validate with the 3 review(s).\n",
    );
    expect(out.stdout).not.toContain("Opened");
    expect(await snapshot(t)).toEqual(before);
  });

  it("open --format json: the groups opened and skipped, the due day, the pending names, the files", async () => {
    const t = await tree();
    const dry = await run(t, ["review", "open", "--due", "2026-06-30", "--dry-run", "--format", "json"]);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ status: "dry-run", files: expect.any(Array) as unknown });
    const ops = path.join(t.dir, "groups/ops.yaml");
    expect(await readFile(ops, "utf8")).toBe(OPS);

    const out = await run(t, ["review", "open", "--due", "2026-06-30", "--format", "json"]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    const opened: unknown = JSON.parse(out.stdout);
    expect(opened).toEqual({
      formatVersion: 1,
      status: "written",
      due: "2026-06-30",
      opened: [
        {
          group: "ops",
          file: "access/groups/ops.yaml",
          pending: ["ann", "bob"],
          leavers: [],
          heldElsewhere: [{ user: "dee", ways: ["role eng"], isListed: false }],
        },
        {
          group: "pay-submit",
          file: "access/groups/pay.yaml",
          pending: ["bob"],
          leavers: [],
          heldElsewhere: [],
        },
        {
          group: "pay-approve",
          file: "access/groups/pay.yaml",
          pending: ["ann"],
          leavers: [],
          heldElsewhere: [],
        },
      ],
      skipped: [],
      files: ["access/groups/ops.yaml", "access/groups/pay.yaml"],
    });
    expect(JSON.parse(dry.stdout)).toEqual({ ...(opened as object), status: "dry-run" });
    expect(await readFile(ops, "utf8")).toContain("    review:\n      due: 2026-06-30\n");

    const again = await run(t, ["review", "open", "--due", "2w", "--group", "ops", "--format", "json"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({
      formatVersion: 1,
      status: "nothing-to-do",
      due: "2026-06-15",
      opened: [],
      skipped: [
        { group: "ops", file: "access/groups/ops.yaml", reason: "a review is open already (due 2026-06-30)" },
      ],
      files: [],
    });
  });

  it("close --format json: each review closed, who was revoked, stale names, the files", async () => {
    const t = await tree();
    expect((await run(t, ["review", "open", "--due", "2026-06-30"])).code).toBe(0);
    // The owners revoke ann's line in ops by hand (left pending: stale), certify ann in pay-approve, and
    // leave bob pending in ops and pay-submit.
    const ops = path.join(t.dir, "groups/ops.yaml");
    const pay = path.join(t.dir, "groups/pay.yaml");
    await writeFile(ops, (await readFile(ops, "utf8")).replace(/^ {6}- ann\n/m, ""));
    await writeFile(pay, (await readFile(pay, "utf8")).replace("        - ann\n", ""));
    const check = await run(t, ["review", "close", "--check", "--format", "json"], AFTER_DUE);
    expect(check.code).toBe(1);
    const closed = [
      {
        group: "ops",
        file: "access/groups/ops.yaml",
        due: "2026-06-30",
        isPastDue: true,
        revoked: ["bob"],
        stale: ["ann"],
        keptThrough: [],
      },
      {
        group: "pay-submit",
        file: "access/groups/pay.yaml",
        due: "2026-06-30",
        isPastDue: true,
        revoked: ["bob"],
        stale: [],
        keptThrough: [],
      },
      {
        group: "pay-approve",
        file: "access/groups/pay.yaml",
        due: "2026-06-30",
        isPastDue: true,
        revoked: [],
        stale: [],
        keptThrough: [],
      },
    ];
    const files = ["access/groups/ops.yaml", "access/groups/pay.yaml"];
    expect(JSON.parse(check.stdout)).toEqual({ formatVersion: 1, status: "check", closed, files });
    const out = await run(t, ["review", "close", "--format", "json"], AFTER_DUE);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ formatVersion: 1, status: "written", closed, files });
    expect(await readFile(ops, "utf8")).toBe(
      OPS.replace(
        "    members:\n      - ann\n      - user: bob\n        until: 2026-09-01T00:00:00Z\n        reason: INC-1\n",
        "    members: []\n",
      ),
    );
    const none = await run(t, ["review", "close", "--format", "json"], AFTER_DUE);
    expect(JSON.parse(none.stdout)).toEqual({
      formatVersion: 1,
      status: "nothing-to-do",
      closed: [],
      files: [],
    });
    expect((await run(t, ["review", "close", "--dry-run"], AFTER_DUE)).code).toBe(64);
  });

  it("writes no file when one of the files a review edits cannot be written", async () => {
    const t = await tree();
    // ops.yaml is edited in memory first; pay.yaml is refused: ops.yaml is not written either.
    await chmod(path.join(t.dir, "groups/pay.yaml"), 0o444);
    const before = await snapshot(t);
    const out = await run(t, ["review", "open", "--due", "2w"]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("access/groups/pay.yaml: not edited (it is read-only)");
    expect(await snapshot(t)).toEqual(before);
  });

  it("documents every field of the review JSON in docs/formats.md", async () => {
    const doc = await readFile(new URL("../../docs/formats.md", import.meta.url), "utf8");
    const section = (title: string) => {
      const start = doc.indexOf(`## \`${title}\``);
      expect(start).toBeGreaterThan(0);
      return doc.slice(start, doc.indexOf("\n## ", start + 1));
    };
    const t = await tree();
    const fields = async (args: readonly string[], now = OPEN_AT) => {
      const out = new Set<string>();
      const collect = (value: unknown): void => {
        if (Array.isArray(value)) value.forEach(collect);
        else if (typeof value === "object" && value !== null)
          for (const [key, inner] of Object.entries(value)) {
            out.add(key);
            collect(inner);
          }
      };
      collect(JSON.parse((await run(t, [...args, "--format", "json"], now)).stdout));
      return [...out];
    };
    const open = await fields(["review", "open", "--due", "2026-06-30"]);
    const skipped = await fields(["review", "open", "--due", "2026-06-30"]);
    const close = await fields(["review", "close"], AFTER_DUE);
    for (const f of ["heldElsewhere", "isListed", "pending", "files"]) expect(open).toContain(f);
    expect(skipped).toContain("reason");
    for (const f of ["revoked", "stale", "isPastDue"]) expect(close).toContain(f);
    const openDoc = section("review open --format json");
    const closeDoc = section("review close --format json");
    expect([...open, ...skipped].filter((f) => !openDoc.includes(`\`${f}\``)).sort()).toEqual([]);
    expect(close.filter((f) => !closeDoc.includes(`\`${f}\``)).sort()).toEqual([]);
  });
});

describe("gatehouse prune validates before it writes", () => {
  it("validates the tree without the expired lines and the pending name they leave, and warns of nothing", async () => {
    const groups = `groups:
  - name: ops
    owners: [ann]
    review:
      due: 2026-12-01
      pending:
        - bob
    members:
      - ann
      - user: bob
        until: 2026-06-02T00:00:00Z
`;
    const t = await writeAccessTree({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": USERS,
      "groups/ops.yaml": groups,
    });
    trees.push(t);
    const out = await run(t, ["prune"], new Date("2026-06-03T12:00:00Z"));
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("Deleted 1 expired grant(s) no system holds any more:");
    // bob's line is gone, and so is his name from pending (GH233 would warn of a pending non-member).
    expect(out.stderr).toBe("");
    expect(await readFile(path.join(t.dir, "groups/ops.yaml"), "utf8")).toBe(
      groups
        .replace("      - user: bob\n        until: 2026-06-02T00:00:00Z\n", "")
        .replace("      pending:\n        - bob\n", "      pending: []\n"),
    );
  });
});
