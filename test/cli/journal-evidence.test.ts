/**
 * `journal evidence`: an auditor's evidence for a period in a folder, built from real applies against the
 * local directory in a real git repository: each answer as its own command prints it, an index, a manifest
 * and checksums; a journal that was changed is said so and exits 1; a folder in use is never written over.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { useTempRepos, type TempRepo } from "../e2e/repo.ts";

const tempRepo = useTempRepos();

const LATER = new Date("2026-04-01T00:00:00Z");
const cliAt = (repo: TempRepo, when: Date, argv: readonly string[]) => repo.run(argv, { now: when });

const GROUPS = `groups:
  - name: prod-admin
    sensitivity: privileged
    owners: [ann]
    members: [ann, bob]
  - name: payroll
    owners: [ann]
    members: [ann, cy]
  - name: wiki
    owners: [ann]
    members: [ann, bob, cy]
`;

/**
 * A repository whose files a first apply (March 1st) makes live; then bob leaves prod-admin (March 2nd).
 * prod-admin is privileged, payroll protected, wiki neither.
 */
async function site(): Promise<TempRepo> {
  const repo = await tempRepo({ withAccess: false });
  await repo.write(
    "access/gatehouse.yaml",
    "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n" +
      "policy:\n  guardrails: { protectedGroups: [payroll], maxRemovals: 10 }\n",
  );
  await repo.write(
    "access/users/people.yaml",
    "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n  - { id: cy, name: Cy }\n",
  );
  await repo.write("access/groups/teams.yaml", GROUPS);
  await repo.commit("access");
  expect((await cliAt(repo, new Date("2026-03-01T09:00:00Z"), ["apply", "--yes"])).code).toBe(0);
  await repo.edit("access/groups/teams.yaml", "members: [ann, bob]\n", "members: [ann]\n");
  await repo.commit("bob leaves prod-admin");
  expect((await cliAt(repo, new Date("2026-03-02T09:00:00Z"), ["apply", "--yes"])).code).toBe(0);
  return repo;
}

const PERIOD = ["--since", "2026-03-01", "--until", "2026-03-31"];

describe("journal evidence", () => {
  it("writes each answer as its command prints it, for the privileged and protected groups too, with an index and checksums", async () => {
    const repo = await site();
    const run = await cliAt(repo, LATER, ["journal", "evidence", ...PERIOD, "--out", "evidence"]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("the journal intact");
    const folder = path.join(repo.cwd, "evidence");
    const read = (file: string) => readFile(path.join(folder, file), "utf8");

    // The same answers as the commands give, asked directly.
    const direct = async (argv: readonly string[]) => (await cliAt(repo, LATER, argv)).stdout;
    expect(await read("changes.json")).toBe(
      await direct(["journal", "changes", ...PERIOD, "--format", "json"]),
    );
    expect(await read("access/prod-admin.txt")).toBe(
      await direct(["journal", "access", "prod-admin", ...PERIOD]),
    );
    expect(await read("access/prod-admin.txt")).toContain("bob");
    expect(await read("leavers.txt")).toBe(await direct(["journal", "leavers", ...PERIOD]));
    expect(await read("reviews.json")).toBe(
      await direct(["review", "history", ...PERIOD, "--format", "json"]),
    );
    expect(await read("verify.txt")).toContain("hash chain intact");
    // Privileged and protected groups, not the others.
    expect((await readdir(path.join(folder, "access"))).sort()).toEqual([
      "payroll.json",
      "payroll.txt",
      "prod-admin.json",
      "prod-admin.txt",
    ]);

    // The manifest names each file's command and exit code; SHA256SUMS holds every file's sha256.
    const manifest = JSON.parse(await read("manifest.json")) as {
      journal: { intact: boolean; sha256: string };
      commit: string;
      files: { file: string; command: string; exitCode: number; sha256: string }[];
    };
    expect(manifest.journal.intact).toBe(true);
    const journal = await readFile(path.join(repo.cwd, ".gatehouse/journal.jsonl"));
    expect(manifest.journal.sha256).toBe(createHash("sha256").update(journal).digest("hex"));
    expect(manifest.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(manifest.files.find((f) => f.file === "access/payroll.json")).toMatchObject({
      command:
        "gatehouse journal access payroll --since 2026-03-01 --until 2026-03-31 --journal .gatehouse/journal.jsonl --format json",
      exitCode: 0,
    });
    const sums = (await read("SHA256SUMS")).trim().split("\n");
    expect(sums.map((l) => l.split("  ")[1]).sort()).toEqual(
      [...manifest.files.map((f) => f.file), "manifest.json"].sort(),
    );
    for (const line of sums) {
      const [sha, file] = line.split("  ");
      const data = await readFile(path.join(folder, file ?? ""));
      expect(createHash("sha256").update(data).digest("hex"), file).toBe(sha);
    }
    const index = await read("README.md");
    expect(index).toContain("The journal's hash chain is intact (verify.txt).");
    expect(index).toContain("| access/prod-admin.txt, access/prod-admin.json | who held prod-admin");
  });

  it("says a changed journal is not intact and exits 1; never writes into a folder in use", async () => {
    const repo = await site();
    const file = path.join(repo.cwd, ".gatehouse/journal.jsonl");
    const lines = (await readFile(file, "utf8")).split("\n");
    const at = lines.findIndex((l) => l.includes('"bob"'));
    expect(at).toBeGreaterThan(0);
    lines[at] = (lines[at] ?? "").replace('"bob"', '"bobby"');
    await writeFile(file, lines.join("\n"));
    const run = await cliAt(repo, LATER, ["journal", "evidence", ...PERIOD, "--out", "evidence"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("the journal NOT intact");
    expect(await readFile(path.join(repo.cwd, "evidence/README.md"), "utf8")).toContain(
      "**The journal is NOT intact** (verify.txt)",
    );

    await mkdir(path.join(repo.cwd, "used"));
    await writeFile(path.join(repo.cwd, "used/notes.txt"), "mine\n");
    const refused = await cliAt(repo, LATER, ["journal", "evidence", ...PERIOD, "--out", "used"]);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain("--out used: the folder is not empty");
    expect(await readdir(path.join(repo.cwd, "used"))).toEqual(["notes.txt"]);
  });
});
