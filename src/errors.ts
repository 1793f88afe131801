import type { Diagnostic } from "./model/diagnostic.ts";
import { formatLocation, type SourceLocation } from "./model/source.ts";
import { escapeCell, mdFlat, mdText } from "./render/markdown-text.ts";
import { inlineText, jsonForTerminal, terminalSafe } from "./render/terminal-text.ts";

/** Process exit codes. Only cli/main.ts turns them into `process.exitCode`. */
export const ExitCode = {
  ok: 0,
  error: 1,
  /** `plan --detailed-exitcode`: the plan has changes; `accounts --detailed-exitcode`: it found some. */
  changes: 2,
  /** A guard rail refused the plan. */
  unsafe: 3,
  /** A saved plan no longer matches the files or the live state. */
  stale: 4,
  /** Wrong command-line usage. */
  usage: 64,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class GatehouseError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  constructor(code: string, message: string, exitCode: ExitCode, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.exitCode = exitCode;
    this.name = new.target.name;
  }
}

/** The user's input is wrong (files, flags, settings). Carries diagnostics when there are positions. */
export class ConfigError extends GatehouseError {
  readonly diagnostics: readonly Diagnostic[];
  constructor(message: string, diagnostics: readonly Diagnostic[] = [], options?: ErrorOptions) {
    super("GH_CONFIG", message, ExitCode.error, options);
    this.diagnostics = diagnostics;
  }
}

export class UsageError extends GatehouseError {
  constructor(message: string) {
    super("GH_USAGE", message, ExitCode.usage);
  }
}

export class UnsafePlanError extends GatehouseError {
  readonly violations: readonly string[];
  constructor(violations: readonly string[]) {
    super("GH_UNSAFE", `plan refused by guard rails:\n  - ${violations.join("\n  - ")}`, ExitCode.unsafe);
    this.violations = violations;
  }
}

export class StalePlanError extends GatehouseError {
  constructor(message: string) {
    super("GH_STALE", `plan is stale: ${message}; re-run plan`, ExitCode.stale);
  }
}

/** A connected system refused or failed an operation. Messages never contain credentials. */
export class ProviderError extends GatehouseError {
  readonly provider: string;
  readonly operation: string;
  readonly status: number | string | undefined;
  /** True when retrying the same operation later may succeed (timeouts, 429, 5xx, busy). */
  readonly isTransient: boolean;
  /**
   * True when the system gave no answer at all (connection refused or cut, no answer in time): it may be
   * down. Counts toward giving up on the system in an apply (apply-plan.ts) even where the operation is
   * not repeated as transient (a create that may have landed).
   */
  readonly isUnanswered: boolean;
  /**
   * Where gatehouse.yaml configures the system, on a failure reading it (a wrong address, base DN or
   * credential is the usual cause): the CLI names the place (`see file:line:col`).
   */
  readonly configuredAt: SourceLocation | undefined;
  constructor(
    provider: string,
    operation: string,
    message: string,
    opts: {
      status?: number | string;
      isTransient?: boolean;
      isUnanswered?: boolean;
      cause?: unknown;
      configuredAt?: SourceLocation;
    } = {},
  ) {
    super("GH_PROVIDER", `${provider}: ${operation}: ${redactSecrets(message)}`, ExitCode.error, {
      cause: opts.cause,
    });
    this.provider = provider;
    this.operation = operation;
    this.status = opts.status;
    this.isTransient = opts.isTransient ?? false;
    this.isUnanswered = opts.isUnanswered ?? false;
    this.configuredAt = opts.configuredAt;
  }
}

/**
 * A failure reading a system, with where gatehouse.yaml configures it: a ProviderError is given the place
 * (same message, status and cause); anything else is returned as it is.
 */
export function readFailureAt(error: unknown, configuredAt: SourceLocation): unknown {
  if (!(error instanceof ProviderError) || error.configuredAt !== undefined) return error;
  const prefix = `${error.provider}: ${error.operation}: `;
  const text = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return new ProviderError(error.provider, error.operation, text, {
    ...(error.status === undefined ? {} : { status: error.status }),
    isTransient: error.isTransient,
    isUnanswered: error.isUnanswered,
    cause: error.cause,
    configuredAt,
  });
}

/** How the CLI says a ProviderError: `error: ...`, then where gatehouse.yaml configures the system. */
export function providerErrorText(error: ProviderError): string {
  return (
    `error: ${error.message}\n` +
    (error.configuredAt === undefined
      ? ""
      : `    see ${formatLocation(error.configuredAt)} (provider ${error.provider} in gatehouse.yaml)\n`)
  );
}

/** A bug in gatehouse. The CLI prints "please report" with versions. */
export class InternalError extends GatehouseError {
  constructor(message: string, options?: ErrorOptions) {
    super("GH_INTERNAL", message, ExitCode.error, options);
  }
}

const SECRET_PATTERNS: readonly RegExp[] = [
  /(authorization:\s*)(bearer|token|basic)\s+\S+/gi,
  /(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
  /(password["']?\s*[:=]\s*["']?)[^"',\s}]+/gi,
  /(token["']?\s*[:=]\s*["']?)[^"',\s}]+/gi,
  /(\/\/[^:/@\s]+:)[^@\s]+(@)/g,
];

/**
 * Credentials read from the environment in this process (see registerSecret), each as a pattern that
 * finds it in any letter case: a server that echoes a token back upper-cased still echoes the token.
 */
const knownSecrets = new Map<string, RegExp>();

function remember(value: string): void {
  if (!knownSecrets.has(value))
    knownSecrets.set(value, new RegExp(value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gi"));
}

/**
 * Remembers a credential gatehouse read (a token, a bind password): from then on every message that
 * redactSecrets cleans, and everything the CLI prints, has it replaced, wherever it appears (a server
 * that echoes the request back in an error body, a library's error that shows its options).
 */
export function registerSecret(value: string): void {
  if (value.length < 4) return; // shorter values would blank out ordinary words
  // Also as output shows it once escaped, which may come before the CLI redacts: data in coloured text
  // (TerminalText) is escaped when the text is made, and JSON escapes control characters too. A secret
  // holding one (`pw\x1bS3cret`) would otherwise be printed in its escaped spelling.
  const forms = [
    value,
    encodeURIComponent(value),
    terminalSafe(value),
    inlineText(value),
    JSON.stringify(value).slice(1, -1),
    // JSON printed to the terminal (jsonForTerminal) also escapes DEL, C1 and bidirectional controls.
    jsonForTerminal(JSON.stringify(value)).text.slice(1, -1),
    // Markdown (the pull-request comment, the job summary): text, table cells and code spans.
    mdText(value),
    escapeCell(mdText(value)),
    mdFlat(value),
  ];
  for (const form of new Set(forms)) remember(form);
}

/** `text` with every registered credential replaced by [REDACTED], in whatever letter case it appears. */
export function redactKnownSecrets(text: string): string {
  let out = text;
  for (const pattern of knownSecrets.values()) out = out.replace(pattern, "[REDACTED]");
  return out;
}

/** Removes anything that looks like a credential from a message, and every registered one. */
export function redactSecrets(message: string): string {
  let out = redactKnownSecrets(message);
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (_m, head: string, ...rest: unknown[]) => {
      const tail = typeof rest[0] === "string" && rest[0] === "@" ? "@" : "";
      return `${head}[REDACTED]${tail}`;
    });
  }
  return out;
}

/** What was thrown, as text: an Error's message, anything else as String() gives it. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
