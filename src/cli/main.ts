#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  ConfigError,
  ExitCode,
  GatehouseError,
  InternalError,
  ProviderError,
  providerErrorText,
  UsageError,
} from "../errors.ts";
import { renderDiagnostics, countLine } from "../render/diagnostics.ts";
import { nodeIo, printable, type CliIo, type CommandIo } from "./io.ts";
import { VERSION } from "../io/code-identity.ts";
import { suggest } from "../validate/rules/report.ts";

export { VERSION } from "../io/code-identity.ts";

const USAGE = `gatehouse ${VERSION}: access as code for the whole identity lifecycle

Usage: gatehouse <command> [options]

Commands:
  validate         check the access files (schema and rules), every problem at file:line:col
  plan             show what would change in each connected system, and why
  apply            apply a plan (guard rails, journal); asks first unless --yes
  explain          why a user has (or will have) each membership
  accounts         stale and orphaned accounts in each connected system
  import           write access files from a system's live state (adoption)
  request          write the line that asks for a membership or a time-bound grant (for a pull request)
  prune            delete expired grants from the access files once no system holds them
  handover         hand groups owned by people who have left over to their managers (for a pull request)
  hr sync          bring the users in the access files in line with an HR export (CSV/JSON)
  review open      start an access review: owners re-certify their groups' members in a pull request
  review close     revoke what was not re-certified by the review's due date, and close the review
  review history   the access reviews of a period: opened, re-certified (who approved), closed
  drill            fire drill: offboard the canary, time each system's revocation, restore it
  journal verify   check the hash chain of the apply journal
  journal repair   cut off a torn last line a crash left (kept in <journal>.torn)
  journal access   who had access to a group on a date, from the journal
  journal changes  the changes, offboarding checks and drills the journal records in a window
  journal leavers  each leaver offboarded: last day, how late, every system's check of the account
  journal run      one apply run: who, which commit, its pull requests' approvals, overrides, outcome
  journal evidence an auditor's evidence for a period in a folder: each answer, an index, checksums
  journal close-verdict  close by hand an offboarding verdict no apply can settle
  journal close-delivery  close by hand an offboarding webhook delivery still owed
  pr comment       post the plan on the pull request as one sticky comment
  pr check         the approval gate: owners of each changed group must approve the head commit
  codeowners       write .github/CODEOWNERS from group owners and admins

Run "gatehouse <command> --help" for a command's options. Exit codes: 0 ok, 1 error,
2 plan has changes, or accounts found stale or orphaned ones (--detailed-exitcode),
3 refused by guard rails, 4 stale plan, 64 usage.`;

type Command = (argv: readonly string[], io: CommandIo) => Promise<number>;
/** Each command's module is loaded when it runs: a plan does not load Octokit, `pr` loads no YAML rules. */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  validate: async () => (await import("./commands/validate.ts")).runValidate,
  plan: async () => (await import("./commands/plan.ts")).runPlan,
  apply: async () => (await import("./commands/apply.ts")).runApplyCommand,
  explain: async () => (await import("./commands/explain.ts")).runExplain,
  accounts: async () => (await import("./commands/accounts.ts")).runAccounts,
  import: async () => (await import("./commands/import.ts")).runImport,
  journal: async () => (await import("./commands/journal.ts")).runJournal,
  pr: async () => (await import("./commands/pr.ts")).runPr,
  codeowners: async () => (await import("./commands/codeowners.ts")).runCodeowners,
  prune: async () => (await import("./commands/prune.ts")).runPrune,
  handover: async () => (await import("./commands/handover.ts")).runHandover,
  request: async () => (await import("./commands/request.ts")).runRequest,
  hr: async () => (await import("./commands/hr.ts")).runHr,
  review: async () => (await import("./commands/review.ts")).runReview,
  drill: async () => (await import("./commands/drill.ts")).runDrillCommand,
};

/** Runs one command and returns its exit code. Never throws: every failure becomes a message and a code. */
export async function main(argv: readonly string[], given: CliIo = nodeIo()): Promise<number> {
  // Whatever is printed, a credential gatehouse read never is (registerSecret), and no control
  // character from a name or a message reaches the terminal (terminalSafe): the only escape codes
  // printed are gatehouse's own, in a TerminalText, whose data was escaped when it was made.
  const io: CommandIo = {
    ...given,
    stdout: (text) => {
      given.stdout(printable(text));
    },
    stderr: (text) => {
      given.stderr(printable(text));
    },
  };
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === "help" || name === "--help" || name === "-h") {
      io.stdout(USAGE + "\n");
      return name === undefined ? ExitCode.usage : ExitCode.ok;
    }
    if (name === "--version" || name === "-V" || name === "version") {
      io.stdout(`gatehouse ${VERSION}\n`);
      return ExitCode.ok;
    }
    const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!load)
      throw new UsageError(`unknown command "${name}".${suggest(name, Object.keys(COMMANDS))}\n\n${USAGE}`);
    const command = await load();
    return await command(rest, io);
  } catch (error) {
    return reportError(error, io);
  }
}

function reportError(error: unknown, io: CommandIo): number {
  if (error instanceof ConfigError && error.diagnostics.length > 0) {
    io.stderr(renderDiagnostics(error.diagnostics, "text"));
    io.stderr(`error: ${error.message} (${countLine(error.diagnostics)})\n`);
    return error.exitCode;
  }
  if (error instanceof GatehouseError && !(error instanceof InternalError)) {
    io.stderr(error instanceof ProviderError ? providerErrorText(error) : `error: ${error.message}\n`);
    return error.exitCode;
  }
  const fsProblem = describeFileError(error);
  if (fsProblem !== undefined) {
    io.stderr(`error: ${fsProblem}\n`);
    return ExitCode.error;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  io.stderr(
    `internal error: this is a bug in gatehouse, please report it with the lines below.\n` +
      `gatehouse ${VERSION}, node ${process.version}, ${process.platform}\n${detail}\n`,
  );
  return ExitCode.error;
}

const FILE_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or folder",
  EISDIR: "is a folder, not a file",
  ENOTDIR: "a part of the path is not a folder",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  EEXIST: "already exists",
};

/** A file-system error about a path the user gave (or that gatehouse writes): a message, not a bug report. */
function describeFileError(error: unknown): string | undefined {
  if (!(error instanceof Error) || !("code" in error) || typeof error.code !== "string") return undefined;
  const text = FILE_ERRORS[error.code];
  const path = "path" in error && typeof error.path === "string" ? error.path : undefined;
  if (text === undefined || path === undefined) return undefined;
  return `${path}: ${text} (${error.code})`;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // The last resort (main never throws) is held to what everything else printed is held to.
      process.stderr.write(printable(`internal error: ${String(error)}\n`));
      process.exitCode = ExitCode.error;
    },
  );
}
