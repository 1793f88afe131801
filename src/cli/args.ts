import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError, messageOf } from "../errors.ts";
import { suggest } from "../validate/rules/report.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Parsed {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
}

/** node:util parseArgs, with its errors turned into usage errors (exit 64, no stack trace). */
/**
 * The command's options and arguments, or a UsageError with the usage. `takesNone` names a command that
 * takes no arguments: a stray word (a mistyped option value, `prune access`) is refused, not ignored.
 */
export function parseCommandArgs(
  argv: readonly string[],
  options: Options,
  usage: string,
  takesNone?: string,
): Parsed {
  let parsed: Parsed;
  try {
    const { values, positionals } = parseArgs({
      args: negativeValuesJoined(argv, options),
      options,
      allowPositionals: true,
      strict: true,
    });
    parsed = { values, positionals };
  } catch (error) {
    throw new UsageError(argsErrorText(error, options, usage));
  }
  const [stray] = parsed.positionals;
  if (takesNone !== undefined && stray !== undefined)
    throw new UsageError(`${takesNone} takes no arguments (got "${stray}")\n\n${usage}`);
  return parsed;
}

/**
 * parseArgs's error in our words: an unknown option with the closest known one, and an option whose value
 * is missing or looks like an option (`--reason -x`) in one line, without the usage.
 */
function argsErrorText(error: unknown, options: Options, usage: string): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = messageOf(error);
  // The option as the message quotes it: "'--until <value>'", "'-y, --yes'", "'--untill'".
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? "";
  const option = (/--[^\s,<=]+/.exec(quoted) ?? /-[^\s,<=]+/.exec(quoted))?.[0];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option !== undefined) {
    const known = Object.keys(options).map((name) => `--${name}`);
    return `unknown option ${option}.${suggest(option, known)}\n\n${usage}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option !== undefined) {
    if (message.includes("does not take an argument")) return `${option} takes no value`;
    if (message.includes("ambiguous"))
      return `${option} needs a value; one that starts with a dash is written ${option}=VALUE`;
    if (message.includes("argument missing")) return `${option} needs a value`;
  }
  return `${message}\n\n${usage}`;
}

/**
 * `--until -5h` as `--until=-5h`: parseArgs calls a value that starts with a dash ambiguous, but one that
 * starts with a dash and a digit is a negative number, never an option (none starts with a digit), so
 * the command gets it and says what is wrong with it (request: an end must be in the future).
 */
function negativeValuesJoined(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const next = argv[i + 1];
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const name = arg.startsWith("--") ? arg.slice(2) : undefined;
    const takesValue = name !== undefined && Object.hasOwn(options, name) && options[name]?.type === "string";
    if (takesValue && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

export function stringOpt(parsed: Parsed, name: string): string | undefined {
  const v = parsed.values[name];
  // `--dir ''` (an unset shell variable, say) would quietly mean the current folder or the default.
  if (v === "") throw new UsageError(`--${name} needs a value, not an empty string`);
  return typeof v === "string" ? v : undefined;
}

export function listOpt(parsed: Parsed, name: string): string[] {
  const v = parsed.values[name];
  return Array.isArray(v)
    ? v.filter((x): x is string => typeof x === "string")
    : typeof v === "string"
      ? [v]
      : [];
}

export function flag(parsed: Parsed, name: string): boolean {
  return parsed.values[name] === true;
}

export function choiceOpt<T extends string>(
  parsed: Parsed,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const v = stringOpt(parsed, name);
  if (v === undefined) return fallback;
  const hit = choices.find((c) => c === v);
  if (hit === undefined) throw new UsageError(`--${name} must be one of: ${choices.join(", ")} (got "${v}")`);
  return hit;
}

export function intOpt(parsed: Parsed, name: string): number | undefined {
  const v = stringOpt(parsed, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} takes a whole number (got "${v}")`);
  return Number(v);
}

export const COMMON_OPTIONS = {
  dir: { type: "string", default: "access" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;
