/**
 * `gatehouse plan | head`: the reader of stdout goes away while gatehouse still writes. The command runs
 * on to its end with its own exit code and no stack trace, and an apply is not cut short: every change is
 * applied and journaled.
 */
import { spawn } from "node:child_process";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { builtFile } from "../helpers/built.ts";
import { configYaml } from "../helpers/access-tree.ts";

interface Closed {
  readonly code: number | null;
  readonly stderr: string;
  /** Bytes of stdout read before it was closed. */
  readonly read: number;
}

/** Runs the built CLI and closes its stdout as soon as the first bytes arrive (as `| head -c 1` does). */
function runClosingStdout(cwd: string, args: readonly string[]): Promise<Closed> {
  const child = spawn(process.execPath, [builtFile("cli/main.js"), ...args], {
    cwd,
    env: { ...process.env, GATEHOUSE_QUIET: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let read = 0;
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  child.stdout.once("data", (chunk: Buffer) => {
    read = chunk.length;
    child.stdout.destroy();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the CLI did not exit within 60 s:\n${stderr}`));
    }, 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, read });
    });
  });
}

/** 300 people in one group: a plan of some 600 changes, far more output than one pipe buffer holds. */
function people(): string {
  const rows = Array.from(
    { length: 300 },
    (_, i) =>
      `  - id: person.${String(i)}\n    name: Person ${String(i)}\n    email: p${String(i)}@example.com\n`,
  );
  return `users:\n${rows.join("")}`;
}

function group(): string {
  const members = Array.from({ length: 300 }, (_, i) => `      - person.${String(i)}\n`).join("");
  return `groups:\n  - name: everyone\n    description: Everyone\n    owners: [person.0]\n    members:\n${members}`;
}

describe("a closed stdout", () => {
  let cwd = "";
  beforeEach(async () => {
    cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-closed-pipe-"));
    await mkdir(path.join(cwd, "access/users"), { recursive: true });
    await mkdir(path.join(cwd, "access/groups"), { recursive: true });
    await writeFile(path.join(cwd, "access/gatehouse.yaml"), configYaml());
    await writeFile(path.join(cwd, "access/users/people.yaml"), people());
    await writeFile(path.join(cwd, "access/groups/everyone.yaml"), group());
  });
  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it("ends a plan with its exit code and no stack trace", async () => {
    const run = await runClosingStdout(cwd, ["plan", "--format", "json", "--detailed-exitcode"]);
    expect(run.read).toBeGreaterThan(0);
    expect(run.stderr).not.toContain("EPIPE");
    expect(run.stderr).not.toMatch(/internal error|Unhandled|at .*node:/);
    expect(run.code).toBe(2); // changes pending
  });

  it("lets an apply run to its end: every change applied and journaled", async () => {
    const run = await runClosingStdout(cwd, ["apply", "--yes"]);
    expect(run.read).toBeGreaterThan(0);
    expect(run.stderr).not.toContain("EPIPE");
    expect(run.code).toBe(0);
    const directory = JSON.parse(await readFile(path.join(cwd, ".gatehouse/directory.json"), "utf8")) as {
      users: unknown[];
      groups: { name: string; members: string[] }[];
    };
    expect(directory.users).toHaveLength(300);
    expect(directory.groups.find((g) => g.name === "everyone")?.members).toHaveLength(300);
    const journal = await readFile(path.join(cwd, ".gatehouse/journal.jsonl"), "utf8");
    expect(journal.trim().split("\n").length).toBeGreaterThan(0);
    // Nothing left to do: the apply was not cut short.
    const again = await runClosingStdout(cwd, ["plan", "--detailed-exitcode"]);
    expect(again.code).toBe(0);
  });
});
