import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { ExitCode, UsageError } from "../../errors.ts";
import { loadValidModel } from "../../engine/prepare-plan.ts";
import { renderDiagnostics } from "../../render/diagnostics.ts";
import {
  checkCodeowners,
  CODEOWNERS_HEADER,
  CODEOWNERS_PATH,
  generateCodeowners,
} from "../../pr/codeowners.ts";
import { COMMON_OPTIONS, flag, parseCommandArgs, stringOpt } from "../args.ts";
import type { CliIo } from "../io.ts";
import { engineOptions } from "./engine-options.ts";
import { assertReplaceable } from "../output-file.ts";

export const CODEOWNERS_USAGE = `Usage: gatehouse codeowners [--dir access] [--out .github/CODEOWNERS] [--check] [--stdout]

Writes CODEOWNERS from the access files: each file defining groups → those groups' owners (their
accounts.github), role files → the owners of the groups they grant, and gatehouse.yaml, schemas/ and
.github/ → policy.admins. With "require review from code owners" branch protection enforces it.
--check changes nothing and exits 1 when the file is missing or out of date.`;

async function readMaybe(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if (typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT")
      return undefined;
    throw error;
  }
}

/** Reads CODEOWNERS at the repository root `cwd`, or undefined when there is none. */
export function readCodeowners(cwd: string): Promise<string | undefined> {
  return readMaybe(path.resolve(cwd, CODEOWNERS_PATH));
}

export async function runCodeowners(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { ...COMMON_OPTIONS, out: { type: "string" }, check: { type: "boolean" }, stdout: { type: "boolean" } },
    CODEOWNERS_USAGE,
    "codeowners",
  );
  if (flag(args, "help")) {
    io.stdout(CODEOWNERS_USAGE + "\n");
    return ExitCode.ok;
  }
  const dir = stringOpt(args, "dir") ?? "access";
  const inside = path.relative(io.cwd, path.resolve(io.cwd, dir));
  if (inside === ".." || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside))
    throw new UsageError(
      `the access folder ${dir} is outside the working directory; CODEOWNERS paths are relative to the repository root, so run codeowners from the root of the repository that holds ${dir}`,
    );
  const { model } = await loadValidModel(engineOptions(io, dir, [], undefined), new Set(), false);
  const text = generateCodeowners(model, { dir });
  if (flag(args, "stdout")) {
    io.stdout(text);
    return ExitCode.ok;
  }
  const out = path.resolve(io.cwd, stringOpt(args, "out") ?? CODEOWNERS_PATH);
  if (flag(args, "check")) {
    const diagnostics = checkCodeowners(text, await readMaybe(out));
    if (diagnostics.length === 0) {
      io.stdout(`${path.relative(io.cwd, out)} is up to date\n`);
      return ExitCode.ok;
    }
    io.stderr(renderDiagnostics(diagnostics, "text"));
    return ExitCode.error;
  }
  const before = await readMaybe(out);
  if (before === text) {
    io.stdout(`${path.relative(io.cwd, out)} is up to date\n`);
    return ExitCode.ok;
  }
  if (before !== undefined)
    await assertReplaceable(io.cwd, out, "a CODEOWNERS file gatehouse wrote", (start) =>
      start.startsWith(CODEOWNERS_HEADER),
    );
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, text);
  io.stdout(`wrote ${path.relative(io.cwd, out)}\n`);
  return ExitCode.ok;
}
