/**
 * A real git repository in a temp folder with a small access tree on `main`, a branch for the pull request,
 * and the CLI run in it against a (Prism-checked) fake GitHub.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { simpleGit, type SimpleGit } from "simple-git";
import { main } from "../../src/cli/main.ts";
import type { CliIo } from "../../src/cli/io.ts";
import { jsonAcceptFetch } from "../harness/github-provider.ts";

export const NOW = new Date("2026-06-01T12:00:00Z");
export const TOKEN = "ghp_prTestToken0123456789abcdef";

export const USERS = `users:
  - { id: carol, name: Carol, accounts: { github: carol-gh } }
  - { id: bob, name: Bob, accounts: { github: bob-gh } }
  - { id: alice, name: Alice, accounts: { github: alice-gh } }
  - { id: rachel, name: Rachel, accounts: { github: rachel-gh } }
`;

export const GROUPS = `groups:
  - name: team-platform-write
    owners: [carol]
    members: [bob]
  - name: app-prod-admin
    owners: [carol, bob, rachel]
    sensitivity: privileged
    members: [carol]
`;

export const CONFIG = `providers:
  directory: { type: local, path: .gatehouse/directory.json }
policy:
  admins: [rachel]
`;

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface PrRepo {
  readonly cwd: string;
  readonly git: SimpleGit;
  write(rel: string, text: string): Promise<void>;
  read(rel: string): Promise<string>;
  /** Commits everything and returns the commit id. */
  commit(message: string): Promise<string>;
  /** Runs the CLI in the repository, the clock at NOW or `now`. */
  run(argv: readonly string[], env?: Readonly<Record<string, string>>, now?: Date): Promise<RunResult>;
  remove(): Promise<void>;
}

export async function createPrRepo(files: Readonly<Record<string, string>> = {}): Promise<PrRepo> {
  const cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-pr-"));
  const git = simpleGit({ baseDir: cwd });
  await git.init(["--initial-branch=main"]);
  await git.addConfig("user.email", "pr@example.com");
  await git.addConfig("user.name", "PR");
  await git.addConfig("commit.gpgsign", "false");
  const repo: PrRepo = {
    cwd,
    git,
    async write(rel, text) {
      await mkdir(path.dirname(path.join(cwd, rel)), { recursive: true });
      await writeFile(path.join(cwd, rel), text);
    },
    read: (rel) => readFile(path.join(cwd, rel), "utf8"),
    async commit(message) {
      await git.add(".");
      await git.commit(message);
      return (await git.revparse(["HEAD"])).trim();
    },
    async run(argv, env = {}, now = NOW) {
      let stdout = "";
      let stderr = "";
      const io: CliIo = {
        cwd,
        env: { GATEHOUSE_QUIET: "1", GITHUB_TOKEN: TOKEN, ...env },
        stdout: (t) => (stdout += t),
        stderr: (t) => (stderr += t),
        isTTY: false,
        isInteractive: false,
        prompt: () => Promise.reject(new Error("no prompt expected")),
        now: () => new Date(now.getTime()),
        fetch: jsonAcceptFetch,
      };
      const code = await main(argv, io);
      return { code, stdout, stderr };
    },
    remove: () => rm(cwd, { recursive: true, force: true }),
  };
  const initial = {
    ".gitignore": ".gatehouse/\n",
    "access/gatehouse.yaml": CONFIG,
    "access/users/people.yaml": USERS,
    "access/groups/groups.yaml": GROUPS,
    ...files,
  };
  for (const [rel, text] of Object.entries(initial)) await repo.write(rel, text);
  await repo.commit("base");
  return repo;
}
