/**
 * A temporary git repository holding a small access tree (seven people, four groups with one nested group,
 * one role, one time-bound grant, one leaver) and an `access/gatehouse.yaml` naming one real connector,
 * plus a way to run the CLI in it through `main(argv, io)` with the connector's secret in `io.env`.
 * No `schemas/` folder: the CLI loads its schemas from the package.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { simpleGit } from "simple-git";
import { afterEach } from "vitest";
import { isRecord } from "../../../src/audit/change-shape.ts";
import type { CliIo } from "../../../src/cli/io.ts";
import { main } from "../../../src/cli/main.ts";

/** The instant every command runs at: the grant below runs 51 days past it. */
export const NOW = new Date("2026-11-25T12:00:00.000Z");
export const JOURNAL_FILE = ".gatehouse/journal.jsonl";
export const GRANT_UNTIL = "2027-01-15T18:00:00Z";

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ConnectorRepo {
  readonly cwd: string;
  /**
   * Runs `gatehouse <argv>`; the result is also kept in `runs` for the secret check. With `atPrompt`,
   * stdin is a terminal: a confirmation prompt runs it (while the plan is shown), then answers "yes".
   */
  run(argv: readonly string[], options?: { readonly atPrompt?: () => Promise<void> }): Promise<RunResult>;
  /** Every run so far. */
  readonly runs: readonly RunResult[];
  read(rel: string): Promise<string>;
  /** Replaces exactly one occurrence of `from` in `rel`; throws when there is not exactly one. */
  edit(rel: string, from: string, to: string): Promise<void>;
  commit(message: string): Promise<void>;
  remove(): Promise<void>;
}

export interface ConnectorRepoOptions {
  /** The `providers:` entry of gatehouse.yaml, indented by four spaces under the provider's name. */
  readonly provider: { readonly name: string; readonly yaml: string };
  /** The environment the CLI sees (the provider's secret lives here). */
  readonly env: Readonly<Record<string, string>>;
  readonly fetch?: typeof fetch;
}

export const USERS_FILE = "access/users/people.yaml";

/**
 * People: ada manages ben and cleo (ENG); devi and eli are in finance; gatehouse-bot is the automation
 * account (on GitHub, the token's owner); fay left before the first apply. Each has a GitHub login.
 */
const USERS = `# yaml-language-server: $schema=../../schemas/access.schema.json
users:
  - id: ada
    name: Ada Lovelace
    email: ada.lovelace@example.com
    department: ENG
    title: Engineering Manager
    startDate: 2020-01-06
    accounts: { github: ada-l }

  - id: ben
    name: Ben Okafor
    email: ben.okafor@example.com
    department: ENG
    title: Site Reliability Engineer
    manager: ada
    startDate: 2021-03-01
    accounts: { github: ben-o }

  - id: cleo
    name: Cleo Park
    email: cleo.park@example.com
    department: ENG
    title: Software Engineer
    manager: ada
    startDate: 2022-05-02
    accounts: { github: cleo-p }

  - id: devi
    name: Devi Rao
    email: devi.rao@example.com
    department: FIN
    title: Financial Analyst
    manager: eli
    startDate: 2023-02-13
    accounts: { github: devi-r }

  - id: eli
    name: Eli Moss
    email: eli.moss@example.com
    department: FIN
    title: Controller
    startDate: 2019-09-02
    accounts: { github: eli-m }

  - id: fay
    name: Fay Lindqvist
    email: fay.lindqvist@example.com
    department: ENG
    title: Software Engineer
    employmentType: contractor
    manager: ada
    status: terminated
    startDate: 2022-01-10
    endDate: 2026-10-31
    accounts: { github: fay-l }

  - id: gatehouse-bot
    name: Gatehouse Automation
    email: gatehouse-bot@example.com
    department: IT
    title: Service Account
    employmentType: service
    startDate: 2024-01-01
    accounts: { github: gatehouse-bot }
`;

/** team-eng-write holds team-oncall-write (nested); ben reads the ledger on a time-bound grant. */
const GROUPS = `# yaml-language-server: $schema=../../schemas/access.schema.json
groups:
  - name: team-eng-write
    description: Write access to the engineering repositories
    owners: [ada]
    members:
      - ada
      - group: team-oncall-write

  - name: team-oncall-write
    description: On-call runbooks and alerting
    owners: [ada]
    members: [ben, cleo, fay]

  - name: app-ledger-read
    description: Read access to the general ledger
    owners: [eli]
    members:
      - devi
      - eli
      - user: ben
        until: ${GRANT_UNTIL}
        reason: FIN-812 reconcile the cloud bill

  - name: dept-eng-read
    description: Engineering documentation
    owners: [ada]
    members: [] # everyone comes from the engineer role
`;

const ROLES = `# yaml-language-server: $schema=../../schemas/access.schema.json
roles:
  - name: engineer
    description: Everyone in engineering reads its documentation
    when: { department: ENG }
    groups: [dept-eng-read]
`;

function gatehouseYaml(provider: ConnectorRepoOptions["provider"]): string {
  return `# yaml-language-server: $schema=../schemas/gatehouse.schema.json
providers:
  ${provider.name}:
${provider.yaml.trimEnd()}

policy:
  maxNestingDepth: 2
  grants: { maxDuration: 90d }
  guardrails: { maxRemovals: 10 }
  admins: [ada]
`;
}

export async function createConnectorRepo(options: ConnectorRepoOptions): Promise<ConnectorRepo> {
  const cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-e2e-connector-"));
  const files: Readonly<Record<string, string>> = {
    "access/gatehouse.yaml": gatehouseYaml(options.provider),
    [USERS_FILE]: USERS,
    "access/groups/groups.yaml": GROUPS,
    "access/roles/roles.yaml": ROLES,
    ".gitignore": ".gatehouse/\n",
  };
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(cwd, rel)), { recursive: true });
    await writeFile(path.join(cwd, rel), text);
  }
  const git = simpleGit({ baseDir: cwd });
  await git.init();
  await git.addConfig("user.email", "e2e@example.com");
  await git.addConfig("user.name", "E2E");
  await git.addConfig("commit.gpgsign", "false");
  const runs: RunResult[] = [];
  const repo: ConnectorRepo = {
    cwd,
    runs,
    async run(argv, runOptions = {}) {
      const { atPrompt } = runOptions;
      let stdout = "";
      let stderr = "";
      const io: CliIo = {
        cwd,
        // GATEHOUSE_QUIET is left unset: provider log lines reach stderr, so the secret check covers them.
        env: { ...options.env },
        stdout: (t) => {
          stdout += t;
        },
        stderr: (t) => {
          stderr += t;
        },
        isTTY: false,
        isInteractive: atPrompt !== undefined,
        prompt: async () => {
          if (atPrompt === undefined) throw new Error("the test did not expect a prompt");
          await atPrompt();
          return "yes";
        },
        now: () => new Date(NOW.getTime()),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      };
      const code = await main(argv, io);
      const result = { code, stdout, stderr };
      runs.push(result);
      return result;
    },
    read: (rel) => readFile(path.join(cwd, rel), "utf8"),
    async edit(rel, from, to) {
      const text = await repo.read(rel);
      const count = text.split(from).length - 1;
      if (count !== 1) throw new Error(`${rel}: expected one "${from}", found ${String(count)}`);
      await writeFile(path.join(cwd, rel), text.replace(from, to));
    },
    async commit(message) {
      await git.add(".");
      await git.commit(message);
    },
    remove: () => rm(cwd, { recursive: true, force: true }),
  };
  await repo.commit("a small organization");
  return repo;
}

/** Marks `userId` as terminated in the people file (inserted after its id line) and commits. */
export async function terminate(repo: ConnectorRepo, userId: string): Promise<void> {
  await repo.edit(USERS_FILE, `  - id: ${userId}\n`, `  - id: ${userId}\n    status: terminated\n`);
  await repo.commit(`${userId} leaves`);
}

/** Each change of a `plan --format json` output as "kind.action id reason", sorted. */
export function changeLines(json: string): string[] {
  const plan: unknown = JSON.parse(json);
  if (!isRecord(plan) || !Array.isArray(plan["changes"])) throw new Error("not a plan");
  return plan["changes"]
    .map((c: unknown): string => {
      if (!isRecord(c)) throw new Error("not a change");
      return `${String(c["kind"])}.${String(c["action"])} ${String(c["id"])} ${String(c["reason"])}`;
    })
    .sort();
}

/** The messages of the plan's notes, in order. */
export function noteMessages(json: string): string[] {
  const plan: unknown = JSON.parse(json);
  if (!isRecord(plan) || !Array.isArray(plan["notes"])) return [];
  return plan["notes"].map((n: unknown) => (isRecord(n) ? String(n["message"]) : ""));
}

export interface CallCounts {
  readonly reads: number;
  readonly writes: number;
}

/** The provider's calls from the "Apply complete: ... Calls: <name> R read(s) W write(s)." line. */
export function applyCalls(stdout: string, provider: string): CallCounts | undefined {
  const line = stdout.split("\n").find((l) => l.startsWith("Apply complete:"));
  const match = line ? new RegExp(`${provider} (\\d+) read\\(s\\) (\\d+) write\\(s\\)`).exec(line) : null;
  if (!match) return undefined;
  return { reads: Number(match[1]), writes: Number(match[2]) };
}

/** How many journal entries there are (a run that changes nothing adds none). */
export async function journalLength(repo: ConnectorRepo): Promise<number> {
  const text = await repo.read(JOURNAL_FILE).catch(() => "");
  return text.split("\n").filter((l) => l !== "").length;
}

/** Every run's stdout and stderr, to check that a secret never shows. */
export function allOutput(repo: ConnectorRepo): string {
  return repo.runs.map((r) => r.stdout + r.stderr).join("\n");
}

/**
 * Repositories made beside a server of their own (a slapd, a SCIM server): after each test, each repo is
 * removed and its server stopped with `stop`. Registers the afterEach; returns what records a pair.
 */
export function removedAfterEach<S>(
  stop: (server: S) => Promise<void>,
): (pair: { readonly server: S; readonly repo: ConnectorRepo }) => void {
  const open: { readonly server: S; readonly repo: ConnectorRepo }[] = [];
  afterEach(async () => {
    for (const { server, repo } of open.splice(0)) {
      await repo.remove();
      await stop(server);
    }
  });
  return (pair) => {
    open.push(pair);
  };
}
