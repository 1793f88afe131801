import { ExitCode } from "../../errors.ts";
import { hasErrors } from "../../model/diagnostic.ts";
import { countLine, renderDiagnostics } from "../../render/diagnostics.ts";
import { jsonForTerminal } from "../../render/terminal-text.ts";
import { validateAccessTree } from "../../validate/validate-tree.ts";
import { DEFAULT_CACHE_DIR, loadEnvOptions } from "../../load/load-tree.ts";
import { checkCodeowners, generateCodeowners } from "../../pr/codeowners.ts";
import { readCodeowners } from "./codeowners.ts";
import { choiceOpt, COMMON_OPTIONS, parseCommandArgs, stringOpt } from "../args.ts";
import type { CommandIo } from "../io.ts";

export const VALIDATE_USAGE = `Usage: gatehouse validate [--dir access] [--format text|json|github]

Checks every access file: YAML, schema and the semantic rules. Reports every problem in one run.
Exit 0 when valid (warnings allowed), 1 when there are errors.`;

export async function runValidate(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { ...COMMON_OPTIONS, format: { type: "string" } },
    VALIDATE_USAGE,
    "validate",
  );
  if (args.values["help"] === true) {
    io.stdout(VALIDATE_USAGE + "\n");
    return ExitCode.ok;
  }
  const format = choiceOpt(args, "format", ["text", "json", "github"] as const, "text");
  const dir = stringOpt(args, "dir") ?? "access";
  const validated = await validateAccessTree(dir, {
    cwd: io.cwd,
    now: io.now(),
    cacheDir: DEFAULT_CACHE_DIR, // the same parse cache as plan: a CI that validates first warms it
    ...loadEnvOptions(io.env),
  });
  // policy.codeowners: a stale CODEOWNERS would let branch protection ask the wrong people (GH300).
  const tree =
    validated.model.config.policy.codeowners === true && !hasErrors(validated.diagnostics)
      ? {
          ...validated,
          diagnostics: [
            ...validated.diagnostics,
            ...checkCodeowners(generateCodeowners(validated.model, { dir }), await readCodeowners(io.cwd)),
          ],
        }
      : validated;
  const report = renderDiagnostics(tree.diagnostics, format);
  io.stdout(format === "json" ? jsonForTerminal(report) : report);
  if (format === "text") {
    const status = hasErrors(tree.diagnostics) ? "invalid" : "valid";
    const left = tree.definitions.withErrors;
    io.stdout(
      `${dir}: ${String(tree.fileCount)} file(s), ${counted(tree.model.users, left?.users, "users")}, ${counted(tree.model.groups, left?.groups, "groups")}, ${counted(tree.model.roles, left?.roles, "roles")}: ${status}; ${countLine(tree.diagnostics)}\n`,
    );
  }
  return hasErrors(tree.diagnostics) ? ExitCode.error : ExitCode.ok;
}

/**
 * "30 groups", counting the items left out of the model for their errors too (the same names once): a
 * group whose review block has a schema error is still one of the file's groups.
 */
function counted(
  defined: ReadonlyMap<string, unknown>,
  leftOut: ReadonlySet<string> | undefined,
  what: string,
): string {
  const extra = [...(leftOut ?? [])].filter((name) => !defined.has(name)).length;
  return `${String(defined.size + extra)} ${what}${extra > 0 ? ` (${String(extra)} left out for errors)` : ""}`;
}
