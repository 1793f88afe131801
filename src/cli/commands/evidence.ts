/**
 * `gatehouse journal evidence`: an auditor's evidence for a period, written into a folder of its own. Each
 * piece is the answer of a question gatehouse already asks (journal verify, changes, leavers, access,
 * review history), run as a user would run it, in text and JSON, with its exit code and what it said on
 * stderr; an index (README.md) says what each file answers, and manifest.json and SHA256SUMS fix what was
 * handed over (`sha256sum -c SHA256SUMS`).
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { ExitCode, GatehouseError, UsageError } from "../../errors.ts";
import { sha256Hex } from "../../audit/canonical-json.ts";
import { resolveRevision } from "../../pr/git-tree.ts";
import { VERSION } from "../../io/code-identity.ts";
import { loadValidModel } from "../../engine/prepare-plan.ts";
import { hasCode } from "../../io/file-lock.ts";
import { isDirectory } from "../../io/is-file.ts";
import { stringOpt, type Parsed } from "../args.ts";
import type { CliIo, CommandIo } from "../io.ts";
import { shownPath } from "../shown-path.ts";
import { engineOptions } from "./engine-options.ts";

/** One question of the evidence, and the files its answers go to (without extension). */
interface Question {
  readonly name: string;
  readonly what: string;
  readonly argv: readonly string[];
}

/** One file written, as the manifest lists it. */
interface Written {
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly command: string;
  readonly exitCode: number;
}

/** A group's name as a file name: what is no letter, digit, dot, dash or underscore becomes `_`. */
const fileNameOf = (group: string): string => group.replace(/[^A-Za-z0-9._-]/g, "_");

export async function runEvidence(
  args: Parsed,
  io: CommandIo,
  journal: string,
  usage: string,
): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError(`journal evidence takes no names\n\n${usage}`);
  const out = stringOpt(args, "out");
  const since = stringOpt(args, "since");
  const until = stringOpt(args, "until");
  if (out === undefined || since === undefined || until === undefined)
    throw new UsageError(
      `journal evidence needs the period and a folder of its own: --since DATE --until DATE --out DIR\n\n${usage}`,
    );
  const folder = path.resolve(io.cwd, out);
  // Evidence once handed over is never written over: a folder of its own, new or empty.
  const present = await readdir(folder).catch((error: unknown) => {
    if (hasCode(error, "ENOENT")) return [];
    throw error;
  });
  if (present.length > 0)
    throw new UsageError(`--out ${out}: the folder is not empty; evidence goes into a new (or empty) folder`);
  const dir = stringOpt(args, "dir") ?? "access";
  const history = stringOpt(args, "history");
  const common = ["--journal", journal, ...(history === undefined ? [] : ["--history", history])];
  const window = ["--since", since, "--until", until];
  const questions: Question[] = [
    {
      name: "changes",
      what: "every change the journal records in the period, its outcome, the run and how its commits were approved",
      argv: ["journal", "changes", ...window, ...common],
    },
    {
      name: "unapproved-changes",
      what: "the changes of runs whose commits did not all come through a pull request approved as the gate requires",
      argv: ["journal", "changes", ...window, "--unapproved", ...common],
    },
    {
      name: "leavers",
      what: "each leaver offboarded in the period: last day, how late, each system's check; and leavers never offboarded",
      argv: ["journal", "leavers", ...window, "--dir", dir, ...common],
    },
    {
      name: "reviews",
      what: "the access reviews of the period: opened, re-certified (who approved), revoked, closed",
      argv: ["review", "history", ...window, "--dir", dir, ...common],
    },
    ...(await sensitiveGroups(io, dir, journal)).map((group) => ({
      name: `access/${fileNameOf(group)}`,
      what: `who held ${group} at any moment of the period, each stretch from the journal`,
      argv: ["journal", "access", group, ...window, ...common],
    })),
  ];

  await mkdir(folder, { recursive: true });
  const written: Written[] = [];
  const write = async (file: string, data: string, command: string, exitCode: number): Promise<void> => {
    const target = path.join(folder, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, data);
    written.push({ file, sha256: sha256Hex(data), bytes: Buffer.byteLength(data), command, exitCode });
  };
  const { main } = await import("../main.ts");
  const ask = async (argv: readonly string[]) => {
    let stdout = "";
    let stderr = "";
    const captured: CliIo = {
      ...io,
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      isTTY: false,
      isInteractive: false,
      prompt: () => Promise.reject(new UsageError("journal evidence asks nothing")),
    };
    const code = await main(argv, captured);
    return { code, stdout, stderr };
  };
  const commandText = (argv: readonly string[]): string =>
    ["gatehouse", ...argv.map((a) => (path.isAbsolute(a) ? shownPath(io.cwd, a) : a))].join(" ");

  // The chain first: everything after it stands on the journal being whole.
  const verifyArgv = ["journal", "verify", ...common];
  const verify = await ask(verifyArgv);
  await write("verify.txt", verify.stdout + verify.stderr, commandText(verifyArgv), verify.code);
  const answers: { question: Question; code: number }[] = [];
  for (const question of questions) {
    for (const format of ["text", "json"] as const) {
      const argv = [...question.argv, "--format", format];
      const answer = await ask(argv);
      const file = `${question.name}.${format === "text" ? "txt" : "json"}`;
      await write(file, answer.stdout, commandText(argv), answer.code);
      if (format === "text") answers.push({ question, code: answer.code });
      if (answer.stderr !== "") await write(`${file}.stderr`, answer.stderr, commandText(argv), answer.code);
    }
  }

  const journalBytes = await readFile(journal).catch(() => undefined);
  const journalSha = journalBytes === undefined ? undefined : sha256Hex(journalBytes);
  const head = await resolveRevision(io.cwd, "HEAD").catch(() => undefined);
  const generatedAt = io.now().toISOString();
  const index = [
    `# gatehouse evidence, ${since} to ${until}`,
    "",
    `Generated ${generatedAt} by gatehouse ${VERSION}${head === undefined ? "" : ` at commit ${head}`}, from the journal ${shownPath(io.cwd, journal)}` +
      (journalBytes === undefined
        ? " (missing)"
        : ` (${String(journalBytes.length)} bytes, sha256 ${journalSha ?? ""})`) +
      (history === undefined ? "" : `, checked against ${history}`) +
      ".",
    "",
    verify.code === 0
      ? "The journal's hash chain is intact (verify.txt)."
      : "**The journal is NOT intact** (verify.txt): the answers below stand on a journal that was changed.",
    "",
    "| File | Answers | Exit code |",
    "| ---- | ------- | --------- |",
    `| verify.txt | the journal's hash chain${history === undefined ? "" : `, and the branch ${history} that keeps it`} | ${String(verify.code)} |`,
    ...answers.map(
      ({ question, code }) =>
        `| ${question.name}.txt, ${question.name}.json | ${question.what} | ${String(code)}${code === 0 ? "" : " (see the .stderr file)"} |`,
    ),
    "",
    "Each file holds what the command named in manifest.json printed. SHA256SUMS lists every file's sha256:",
    "`sha256sum -c SHA256SUMS` in this folder checks that none was changed since.",
    "",
  ].join("\n");
  await write("README.md", index, "journal evidence", ExitCode.ok);
  const manifest = {
    gatehouse: VERSION,
    generatedAt,
    period: { since, until },
    journal: {
      path: shownPath(io.cwd, journal),
      ...(journalBytes === undefined ? {} : { bytes: journalBytes.length, sha256: journalSha }),
      intact: verify.code === 0,
    },
    ...(head === undefined ? {} : { commit: head }),
    ...(history === undefined ? {} : { history }),
    files: written,
  };
  const manifestText = JSON.stringify(manifest, null, 2) + "\n";
  await writeFile(path.join(folder, "manifest.json"), manifestText);
  const sums = [
    ...written.map((w) => ({ file: w.file, sha: w.sha256 })),
    { file: "manifest.json", sha: sha256Hex(manifestText) },
  ]
    .map((w) => `${w.sha}  ${w.file}\n`)
    .join("");
  await writeFile(path.join(folder, "SHA256SUMS"), sums);
  const failed = answers.filter((a) => a.code !== 0);
  io.stdout(
    `wrote the evidence for ${since} to ${until} into ${shownPath(io.cwd, folder)}: ${String(written.length + 2)} files, ` +
      `the journal ${verify.code === 0 ? "intact" : "NOT intact"}` +
      (failed.length === 0
        ? "\n"
        : `; ${String(failed.length)} question(s) answered with an error: ${failed.map((f) => f.question.name).join(", ")} (see README.md there)\n`),
  );
  // A question answered with exit 1 said why in its .stderr file (a privileged group no run ever changed
  // is named by no entry), which the index shows; one that could not be asked at all is gatehouse's fault.
  const isAsked = answers.every((a) => a.code === ExitCode.ok || a.code === ExitCode.error);
  return verify.code === 0 && isAsked ? ExitCode.ok : ExitCode.error;
}

/**
 * The groups whose holders an auditor asks about: privileged ones and policy.guardrails.protectedGroups of
 * the access files (--dir). None, said on stderr, when the files cannot be read whole.
 */
async function sensitiveGroups(io: CommandIo, dir: string, journal: string): Promise<string[]> {
  const skip = (why: string): string[] => {
    io.stderr(
      `note: ${why}: the holders of privileged and protected groups are not in the evidence (--dir)\n`,
    );
    return [];
  };
  if (!(await isDirectory(path.resolve(io.cwd, dir)))) return skip(`no access folder at ${dir}`);
  try {
    const { model } = await loadValidModel(engineOptions(io, dir, [], journal), new Set(), false);
    const protectedGroups = new Set(model.config.policy.guardrails.protectedGroups);
    return [...model.groups.values()]
      .filter((g) => g.sensitivity === "privileged" || protectedGroups.has(g.name))
      .map((g) => g.name)
      .sort();
  } catch (error) {
    if (!(error instanceof GatehouseError)) throw error;
    return skip(`the access files in ${dir} do not validate (run gatehouse validate)`);
  }
}
