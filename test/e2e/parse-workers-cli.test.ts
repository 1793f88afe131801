/**
 * The built CLI on a generated tree of about 10 MB, parsed on workers (GATEHOUSE_PARSE_WORKERS forces
 * them below the automatic threshold): the same report, positions and exit code as on the main thread
 * alone, also when the workers crash or leave; and the process never stays behind.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PARALLEL_MIN_BYTES } from "../../src/load/load-tree.ts";
import { builtFile } from "../helpers/built.ts";
import { configYaml } from "../helpers/access-tree.ts";

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** About 5 MB of YAML in all: a real amount of work for the workers, below the automatic threshold. */
const FILES = 9;
const USERS_PER_FILE = 2500;
/** The user whose record gets a misspelt key, and where that key lands. */
const BAD_FILE = "access/users/users-03.yaml";
const BAD_INDEX = 1234;
const USER_LINES = 7;
/** Two header lines, the users before it, then its third line. */
const BAD_LINE = 2 + BAD_INDEX * USER_LINES + 3;
const BAD_COLUMN = 5;

/** Counts worker threads started in the main thread; run before the CLI with `node --import`. */
const COUNT_WORKERS = `
import wt from "node:worker_threads";
import { syncBuiltinESMExports } from "node:module";
import { writeSync } from "node:fs";
if (wt.isMainThread) {
  let started = 0;
  const Base = wt.Worker;
  const mode = process.env.TEST_WORKER_FAULT;
  wt.Worker = class extends Base {
    constructor(script, options) {
      started++;
      // crash: the worker dies on start. exit: it answers one file as "the yaml package's job", then leaves.
      if (mode === "crash") super("throw new Error('injected worker crash')", { ...options, eval: true });
      else if (mode === "exit")
        super(
          "const { parentPort } = require('node:worker_threads'); let n = 0;" +
            "parentPort.on('message', (t) => { if (++n > 1) process.exit(7); parentPort.postMessage({ id: t.id, type: 'full' }); });",
          { ...options, eval: true },
        );
      else super(script, options);
    }
  };
  syncBuiltinESMExports();
  process.on("exit", () => writeSync(2, "workers started: " + started + "\\n"));
}
`;

function userYaml(file: number, i: number): string {
  const id = `user.f${String(file)}.${String(i)}`;
  const misspelt = file === 3 && i === BAD_INDEX;
  return [
    `  - id: ${id}`,
    `    name: Person ${String(i)} of file ${String(file)}`,
    `    ${misspelt ? "emial" : "email"}: ${id}@example.com`,
    `    department: DEPT-${String(file).padStart(4, "0")}`,
    `    title: Senior Engineer, platform reliability and developer tooling`,
    `    employeeNumber: "E${String(file * USERS_PER_FILE + i).padStart(7, "0")}"`,
    `    startDate: 2024-02-01`,
    "",
  ].join("\n");
}

let cwd = "";
let preload = "";

async function writeTree(): Promise<number> {
  cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-workers-"));
  await mkdir(path.join(cwd, "access/users"), { recursive: true });
  await writeFile(path.join(cwd, "access/gatehouse.yaml"), configYaml());
  let bytes = 0;
  for (let file = 0; file < FILES; file++) {
    const body = Array.from({ length: USERS_PER_FILE }, (_, i) => userYaml(file, i)).join("");
    const text = `users:\n# generated, file ${String(file)}\n${body}`;
    bytes += Buffer.byteLength(text);
    await writeFile(path.join(cwd, `access/users/users-${String(file).padStart(2, "0")}.yaml`), text);
  }
  // One file for the yaml package (a duplicate key): its diagnostic comes from the main thread.
  await writeFile(
    path.join(cwd, "access/users/dup.yaml"),
    "users:\n  - id: zed\n    id: zed2\n    name: Z\n",
  );
  // 3000 levels, one space each: the main thread's stack (smaller than a worker's) once gave out in the
  // fast reader here, so the two paths disagreed. Only a real main thread shows it: not vitest's.
  const deep = Array.from({ length: 3000 }, (_, i) => `${" ".repeat(i)}k:\n`).join("");
  await writeFile(path.join(cwd, "access/deep.yaml"), deep + `${" ".repeat(3000)}v: x\n`);
  bytes += deep.length;
  preload = path.join(cwd, "count-workers.mjs");
  await writeFile(preload, COUNT_WORKERS);
  return bytes;
}

/**
 * Runs the built CLI with an empty parse cache (each run parses every file, as the cases expect); a
 * run that has not ended after two minutes is killed and fails the test.
 */
async function runCli(
  env: Readonly<Record<string, string>>,
  args = ["validate", "--dir", "access"],
): Promise<CliResult> {
  await rm(path.join(cwd, ".gatehouse"), { recursive: true, force: true });
  const child = spawn(process.execPath, ["--import", preload, builtFile("cli/main.js"), ...args], {
    cwd,
    env: { ...process.env, GATEHOUSE_QUIET: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the CLI did not exit within 120 s (${JSON.stringify(env)}):\n${stderr}`));
    }, 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function workersStarted(result: CliResult): number {
  return Number(/workers started: (\d+)/.exec(result.stderr)?.[1] ?? "-1");
}

describe("validate with parse workers (built CLI)", { tags: ["slow"], timeout: 300_000 }, () => {
  let serial: CliResult;

  beforeAll(async () => {
    expect(await writeTree()).toBeLessThan(PARALLEL_MIN_BYTES);
    serial = await runCli({ GATEHOUSE_PARSE_WORKERS: "0" });
  }, 300_000);
  afterAll(async () => {
    if (cwd !== "") await rm(cwd, { recursive: true, force: true });
  });

  it("reports on the main thread alone: the misspelt key at its line and column, exit 1", () => {
    expect(workersStarted(serial)).toBe(0);
    expect(serial.code).toBe(1);
    const lines = serial.stdout.split("\n");
    const at = `${BAD_FILE}:${String(BAD_LINE)}:${String(BAD_COLUMN)}`;
    expect(lines.filter((l) => l.startsWith(BAD_FILE))).toEqual([
      expect.stringMatching(
        new RegExp(`^${at} error GH100 /users/${String(BAD_INDEX)}: unknown key "emial"; `),
      ),
    ]);
    expect(lines.some((l) => l.startsWith("access/users/dup.yaml:3:5 error GH011"))).toBe(true);
    expect(lines.filter((l) => l.startsWith("access/deep.yaml:"))).toEqual([
      "access/deep.yaml:514:1 error GH018 YAML nests deeper than 256 levels; flatten the structure",
    ]);
  });

  it.each([
    { name: "two workers", env: { GATEHOUSE_PARSE_WORKERS: "2" }, started: 2 },
    { name: "the automatic choice (none: too little YAML)", env: {}, started: 0 },
    {
      name: "workers that crash",
      env: { GATEHOUSE_PARSE_WORKERS: "2", TEST_WORKER_FAULT: "crash" },
      started: 2,
    },
    {
      name: "workers that leave",
      env: { GATEHOUSE_PARSE_WORKERS: "3", TEST_WORKER_FAULT: "exit" },
      started: 3,
    },
  ])("reports the same with $name, and exits", async ({ env, started }) => {
    const result = await runCli(env);
    expect(workersStarted(result)).toBe(started);
    expect(result.stdout).toBe(serial.stdout);
    expect(result.code).toBe(serial.code);
    expect(result.stderr).not.toContain("internal error");
  });

  it("refuses a malformed GATEHOUSE_PARSE_WORKERS with a usage error", async () => {
    const result = await runCli({ GATEHOUSE_PARSE_WORKERS: "many" });
    expect(result.code).toBe(64);
    expect(result.stderr).toContain("GATEHOUSE_PARSE_WORKERS must be a whole number from 0 to 16");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
