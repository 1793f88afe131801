import { ExitCode } from "../../errors.ts";
import { hasErrors } from "../../model/diagnostic.ts";
import { countLine, renderDiagnostics } from "../../render/diagnostics.ts";
import { validateAccessTree } from "../../validate/validate-tree.ts";
import { choiceOpt, COMMON_OPTIONS, parseCommandArgs, stringOpt } from "../args.ts";
import type { CliIo } from "../io.ts";

export const VALIDATE_USAGE = `Usage: gatehouse validate [--dir access] [--format text|json|github]

Checks every access file: YAML, schema and the semantic rules. Reports every problem in one run.
Exit 0 when valid (warnings allowed), 1 when there are errors.`;

export async function runValidate(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { ...COMMON_OPTIONS, format: { type: "string" } }, VALIDATE_USAGE);
  if (args.values["help"] === true) {
    io.stdout(VALIDATE_USAGE + "\n");
    return ExitCode.ok;
  }
  const format = choiceOpt(args, "format", ["text", "json", "github"] as const, "text");
  const dir = stringOpt(args, "dir") ?? "access";
  const tree = await validateAccessTree(dir, { cwd: io.cwd, now: io.now() });
  io.stdout(renderDiagnostics(tree.diagnostics, format));
  if (format === "text") {
    const status = hasErrors(tree.diagnostics) ? "invalid" : "valid";
    io.stdout(
      `${dir}: ${String(tree.fileCount)} file(s), ${String(tree.model.users.size)} users, ${String(tree.model.groups.size)} groups, ${String(tree.model.roles.size)} roles: ${status}; ${countLine(tree.diagnostics)}\n`,
    );
  }
  return hasErrors(tree.diagnostics) ? ExitCode.error : ExitCode.ok;
}
