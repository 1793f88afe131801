/**
 * A temporary git repository holding a copy of the example organization (`access/`, `schemas/`), and a
 * way to run the CLI in it with captured output (changesets' `gitdir` style). Real files, real git.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { simpleGit, type SimpleGit } from "simple-git";
import { afterEach } from "vitest";
import { main } from "../../src/cli/main.ts";
import type { CliIo } from "../../src/cli/io.ts";
import type { LiveState } from "../../src/model/state.ts";
import { createLocalProvider } from "../../src/providers/local/provider.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The example organization validates at this instant: its grants run at most 90 days from it, and one
 * (tariq's) has already expired.
 */
export const EXAMPLE_NOW = new Date("2026-11-25T12:00:00.000Z");

export const DIRECTORY_FILE = ".gatehouse/directory.json";

/** The repo's embedded directory (DIRECTORY_FILE) as gatehouse reads it: users and groups, live. */
export async function readDirectory(cwd: string): Promise<LiveState> {
  const provider = createLocalProvider(
    {
      name: "directory",
      type: "local",
      mode: "authoritative",
      nesting: false,
      settings: { path: DIRECTORY_FILE },
      source: { file: "access/gatehouse.yaml", line: 1, column: 1 },
    },
    { env: {}, cwd, now: () => new Date() },
  );
  return provider.read(AbortSignal.timeout(10_000));
}
export const JOURNAL_FILE = ".gatehouse/journal.jsonl";

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly isInteractive?: boolean;
  readonly isTTY?: boolean;
  readonly prompt?: (question: string) => Promise<string>;
  readonly now?: Date;
}

export interface TempRepo {
  readonly cwd: string;
  readonly git: SimpleGit;
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  read(rel: string): Promise<string>;
  /** The file's text, or undefined when it does not exist. */
  readMaybe(rel: string): Promise<string | undefined>;
  /** Writes `rel`, creating its folder if needed. */
  write(rel: string, text: string): Promise<void>;
  /** Replaces exactly one occurrence of `from` in `rel`; throws when there is not exactly one. */
  edit(rel: string, from: string, to: string): Promise<void>;
  commit(message: string): Promise<void>;
  remove(): Promise<void>;
}

export interface TempRepoOptions {
  /** Copy the example `access/` (default true); otherwise only `schemas/`. */
  readonly withAccess?: boolean;
}

export async function createTempRepo(options: TempRepoOptions = {}): Promise<TempRepo> {
  const cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-e2e-"));
  if (options.withAccess ?? true)
    await cp(path.join(ROOT, "access"), path.join(cwd, "access"), { recursive: true });
  await cp(path.join(ROOT, "schemas"), path.join(cwd, "schemas"), { recursive: true });
  await writeFile(path.join(cwd, ".gitignore"), ".gatehouse/\n");
  const git = simpleGit({ baseDir: cwd });
  await git.init();
  await git.addConfig("user.email", "e2e@example.com");
  await git.addConfig("user.name", "E2E");
  await git.addConfig("commit.gpgsign", "false");
  const repo: TempRepo = {
    cwd,
    git,
    async run(argv, runOptions = {}) {
      let stdout = "";
      let stderr = "";
      const now = runOptions.now ?? EXAMPLE_NOW;
      const io: CliIo = {
        cwd,
        env: { GATEHOUSE_QUIET: "1" },
        stdout: (t) => {
          stdout += t;
        },
        stderr: (t) => {
          stderr += t;
        },
        isTTY: runOptions.isTTY ?? false,
        isInteractive: runOptions.isInteractive ?? false,
        prompt: runOptions.prompt ?? (() => Promise.reject(new Error("the test did not expect a prompt"))),
        now: () => new Date(now.getTime()),
      };
      const code = await main(argv, io);
      return { code, stdout, stderr };
    },
    read: (rel) => readFile(path.join(cwd, rel), "utf8"),
    readMaybe: (rel) =>
      readFile(path.join(cwd, rel), "utf8").then(
        (t) => t,
        () => undefined,
      ),
    async write(rel, text) {
      await mkdir(path.dirname(path.join(cwd, rel)), { recursive: true });
      await writeFile(path.join(cwd, rel), text);
    },
    async edit(rel, from, to) {
      const text = await repo.read(rel);
      const count = text.split(from).length - 1;
      if (count !== 1) throw new Error(`${rel}: expected one "${from}", found ${String(count)}`);
      await repo.write(rel, text.replace(from, to));
    },
    async commit(message) {
      await git.add(".");
      await git.commit(message);
    },
    remove: () => rm(cwd, { recursive: true, force: true }),
  };
  await repo.commit("example organization");
  return repo;
}

/** Journal entries of one type, parsed. */
export async function journalTypes(repo: TempRepo): Promise<string[]> {
  const text = (await repo.readMaybe(JOURNAL_FILE)) ?? "";
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const value: unknown = JSON.parse(l);
      return typeof value === "object" && value !== null && "type" in value && typeof value.type === "string"
        ? value.type
        : "?";
    });
}

/** Per test file: a factory for temp repos that are all removed after each test. */
export function useTempRepos(): (options?: TempRepoOptions) => Promise<TempRepo> {
  const repos: TempRepo[] = [];
  afterEach(async () => {
    await Promise.all(repos.splice(0).map((r) => r.remove()));
  });
  return async (options) => {
    const r = await createTempRepo(options);
    repos.push(r);
    return r;
  };
}
