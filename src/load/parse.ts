import { createHash } from "node:crypto";
import type { Document } from "yaml";
import { yamlLib } from "./yaml-lib.ts";
import type { Diagnostic } from "../model/diagnostic.ts";
import { yamlLocator, type Locator } from "./locate.ts";
import { readPlainYaml, type FastDocument } from "./fast-yaml.ts";
import { fastLocator } from "./fast-locator.ts";
import { yamlPositionTable } from "./yaml-table.ts";
import { messageOf } from "../errors.ts";

/** Values that aliases may copy in one file, nested aliases included (see aliasExpansion). */
const MAX_ALIAS_COPIED_VALUES = 100_000;

/**
 * How many values (scalars and collections) the aliases of `doc` copy when it becomes data, counting
 * nested aliases as copied again; stops counting past `limit`. An alias inside the node it names (a
 * cycle) counts nothing more: toJS refuses it or shares it.
 */
function aliasExpansion(doc: Document, limit: number): number {
  const { visit, isAlias, isNode } = yamlLib();
  const sizes = new Map<object, number>();
  const sizeOf = (node: unknown): number => {
    if (!isNode(node)) return 0;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    sizes.set(node, 0); // a cycle back to here adds nothing
    let n = 0;
    visit(node, {
      Node(_key, inner) {
        n += isAlias(inner) ? sizeOf(inner.resolve(doc)) : 1;
        return n > limit ? visit.BREAK : undefined;
      },
    });
    sizes.set(node, n);
    return n;
  };
  let copied = 0;
  visit(doc, {
    Alias(_key, alias) {
      copied += sizeOf(alias.resolve(doc));
      return copied > limit ? visit.BREAK : undefined;
    },
  });
  return copied;
}

/** A parsed access file: the plain data, and where each value sits. */
export interface AccessDocument {
  readonly file: string;
  readonly locator: Locator;
  readonly data: unknown;
  /** sha256 of the file's bytes. */
  readonly digest: string;
}

export interface ParseLimits {
  /** Files larger than this are refused (bytes). */
  readonly maxFileBytes: number;
  /** Alias resolutions allowed while building the data (defends against alias bombs). */
  readonly maxAliasCount: number;
  /**
   * Read a file whose only YAML error is a repeated key on (the key's last value counting), with the
   * error: the access tree does, so that the file's other mistakes and what it defines are still seen.
   * Other readers (an HR export, a mapping) take no data from such a file.
   */
  readonly readsOnRepeatedKey?: boolean;
}

export const DEFAULT_LIMITS: ParseLimits = { maxFileBytes: 16 * 1024 * 1024, maxAliasCount: 100 };

/** Keys that would reach an object's prototype if any code ever built objects from them naively. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

function at(file: string, code: string, message: string, line = 1, column = 1): Diagnostic {
  return { severity: "error", code, message, file, line, column };
}

/** Line and column of a byte offset, counting characters the way editors do. */
function positionOfByte(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  const prefix = new TextDecoder("utf-8").decode(bytes.subarray(lineStart, offset));
  // Columns count code points, as the YAML library's positions do.
  return { line, column: Array.from(prefix).length + 1 };
}

/** Finds the first byte where `bytes` stops being valid UTF-8, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    const need =
      b < 0x80
        ? 0
        : b >= 0xc2 && b <= 0xdf
          ? 1
          : b >= 0xe0 && b <= 0xef
            ? 2
            : b >= 0xf0 && b <= 0xf4
              ? 3
              : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    // The second byte's range where the first alone does not rule out an overlong form, a surrogate
    // (U+D800-DFFF, which UTF-8 must not encode) or a code point past U+10FFFF.
    const second = bytes[i + 1] ?? 0;
    if (b === 0xe0 && second < 0xa0) return i;
    if (b === 0xed && second > 0x9f) return i;
    if (b === 0xf0 && second < 0x90) return i;
    if (b === 0xf4 && second > 0x8f) return i;
    i += need + 1;
  }
  return -1;
}

/** UTF-8 text, or why the bytes are not: binary (a NUL byte, GH005) or not UTF-8 (GH006, at the first bad byte). */
export function decode(file: string, bytes: Uint8Array): { text: string } | { diagnostic: Diagnostic } {
  const nul = bytes.indexOf(0);
  if (nul >= 0)
    return {
      diagnostic: at(file, "GH005", "file is binary (contains a NUL byte); access files are UTF-8 YAML text"),
    };
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    return { text };
  } catch {
    const offset = Math.max(0, firstInvalidUtf8(bytes));
    const pos = positionOfByte(bytes, offset);
    return {
      diagnostic: at(file, "GH006", "file is not valid UTF-8; save it as UTF-8", pos.line, pos.column),
    };
  }
}

/** Nesting past this is refused before the YAML library sees it: deep recursion there can crash the process. */
const MAX_NESTING = 256;

/**
 * Where the text first nests deeper than MAX_NESTING: flow brackets outside quotes and comments, or
 * block indentation plus compact "- " indicators. A cheap over-estimate; real access files nest < 10.
 */
function findDeepNesting(text: string): { line: number; column: number } | undefined {
  let depth = 0;
  let quote = "";
  let line = 1;
  let lineStart = 0;
  let atLineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") {
      line++;
      lineStart = i + 1;
      atLineStart = true;
      if (quote === "'" || quote === '"') continue;
      continue;
    }
    if (atLineStart) {
      atLineStart = false;
      const lead = /^[ \t]*(?:-[ \t]+)*/.exec(text.slice(i, i + 4 * MAX_NESTING + 8))?.[0] ?? "";
      if (lead.length > 2 * MAX_NESTING) return { line, column: 1 };
    }
    if (quote !== "") {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = "";
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === lineStart || /\s/.test(text[i - 1] ?? ""))) {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end - 1;
    } else if (c === "[" || c === "{") {
      depth++;
      if (depth > MAX_NESTING) return { line, column: i - lineStart + 1 };
    } else if ((c === "]" || c === "}") && depth > 0) depth--;
  }
  return undefined;
}

const YAML_CODE_MESSAGES: Readonly<Record<string, string>> = {
  DUPLICATE_KEY: "duplicate key: each key may appear once in a mapping; remove or merge the repeated one",
  TAB_AS_INDENT: "tab used for indentation; YAML needs spaces",
  MULTIPLE_DOCS: "more than one YAML document in the file; keep one document per file",
};

/**
 * Parses one access file defensively: size, binary, encoding, YAML syntax, duplicate keys, multiple
 * documents, alias bombs and prototype keys all become diagnostics, never exceptions or hangs.
 */
export function parseAccessFile(
  file: string,
  bytes: Uint8Array,
  limits: ParseLimits = DEFAULT_LIMITS,
  digest?: string,
): ParsedFile {
  return guarded(file, () => {
    const first = readFirstStages(file, bytes, limits, digest);
    return "text" in first ? readWithYamlPackage(file, first.text, first.digest, limits) : first;
  });
}

/**
 * The first stages of `parseAccessFile` (size limit, binary and encoding checks, the fast reader), under
 * the same guard: the same result as `parseAccessFile` whenever it returns one. Undefined when the file
 * needs the `yaml` package; worker threads use this, and leave such files to the main thread.
 */
export function parseAccessFileFast(
  file: string,
  bytes: Uint8Array,
  limits: ParseLimits = DEFAULT_LIMITS,
  digest?: string,
): ParsedFile | undefined {
  return guarded(file, () => {
    const first = readFirstStages(file, bytes, limits, digest);
    return "text" in first ? undefined : first;
  });
}

function guarded<T>(file: string, read: () => T): T | ParsedFile {
  try {
    return read();
  } catch (error) {
    // Pathologically deep nesting can overflow the stack inside the YAML library: report, do not crash.
    if (error instanceof RangeError) {
      return { diagnostics: [at(file, "GH018", "YAML nesting is too deep to read; flatten the structure")] };
    }
    throw error;
  }
}

/**
 * The result of reading one file; `fast` is set when its data and positions fit the fast reader's form
 * (the fast reader took it, or the `yaml` package read it and yaml-table.ts mirrored it): it can be cached.
 */
export interface ParsedFile {
  readonly document?: AccessDocument;
  readonly diagnostics: Diagnostic[];
  readonly fast?: FastDocument;
}

/** Size, binary and encoding checks, then the fast reader; the decoded text when the full parser must read it. */
function readFirstStages(
  file: string,
  bytes: Uint8Array,
  limits: ParseLimits,
  knownDigest: string | undefined,
): ParsedFile | { text: string; digest: string } {
  if (bytes.length > limits.maxFileBytes) {
    return {
      diagnostics: [
        at(
          file,
          "GH004",
          `file is ${String(bytes.length)} bytes, over the ${String(limits.maxFileBytes)}-byte limit; split it into several files`,
        ),
      ],
    };
  }
  const decoded = decode(file, bytes);
  if ("diagnostic" in decoded) return { diagnostics: [decoded.diagnostic] };
  const digest = knownDigest ?? createHash("sha256").update(bytes).digest("hex");
  // The common case: plain block YAML, read without a syntax tree. Anything else (and anything the
  // full parser would report) returns undefined and goes the full way below, with its diagnostics.
  const fast = readPlainYaml(decoded.text);
  if (fast)
    return { document: { file, locator: fastLocator(fast), data: fast.data, digest }, diagnostics: [], fast };
  return { text: decoded.text, digest };
}

/** The full way: nesting pre-scan, then the `yaml` package with every check it offers. */
function readWithYamlPackage(file: string, text: string, digest: string, limits: ParseLimits): ParsedFile {
  const deep = findDeepNesting(text);
  if (deep)
    return {
      diagnostics: [
        at(
          file,
          "GH018",
          `YAML nests deeper than ${String(MAX_NESTING)} levels; flatten the structure`,
          deep.line,
          deep.column,
        ),
      ],
    };
  const { LineCounter, parseAllDocuments, visit, isScalar } = yamlLib();
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  let docs: Document[];
  try {
    docs = parseAllDocuments(text, {
      lineCounter,
      uniqueKeys: true,
      prettyErrors: false,
      strict: true,
      merge: false,
    });
  } catch (error) {
    return {
      diagnostics: [at(file, "GH010", `YAML could not be parsed: ${messageOf(error)}`)],
    };
  }
  if (!Array.isArray(docs)) docs = [];
  if (docs.length > 1) {
    const second = docs[1]?.range?.[0] ?? 0;
    const pos = lineCounter.linePos(second);
    return { diagnostics: [at(file, "GH012", YAML_CODE_MESSAGES["MULTIPLE_DOCS"] ?? "", pos.line, pos.col)] };
  }
  const doc = docs[0];
  if (!doc)
    return {
      diagnostics: [
        {
          ...at(file, "GH015", "file is empty; remove it or add users, groups or roles"),
          severity: "warning",
        },
      ],
    };

  for (const problem of [...doc.errors, ...doc.warnings]) {
    const pos = lineCounter.linePos(problem.pos[0]);
    const known = YAML_CODE_MESSAGES[problem.code];
    const code =
      problem.code === "DUPLICATE_KEY" ? "GH011" : problem.code === "TAB_AS_INDENT" ? "GH013" : "GH010";
    const firstLine = problem.message.split("\n")[0] ?? problem.message;
    diagnostics.push(at(file, code, known ?? `YAML error: ${firstLine}`, pos.line, pos.col));
  }
  // A repeated key is an error, but the file is still read (the last value of the key counts), so that
  // its other mistakes are reported at once, and the rest of the tree does not miss its groups and
  // report what they define as undefined. The error stops every command that would write anything.
  const isReadable =
    limits.readsOnRepeatedKey === true &&
    [...doc.errors, ...doc.warnings].every((p) => p.code === "DUPLICATE_KEY");
  if (diagnostics.length > 0 && !isReadable) return { diagnostics };

  visit(doc, {
    Pair(_key, pair) {
      if (isScalar(pair.key) && typeof pair.key.value === "string" && FORBIDDEN_KEYS.has(pair.key.value)) {
        const pos = lineCounter.linePos(pair.key.range?.[0] ?? 0);
        diagnostics.push(
          at(
            file,
            "GH014",
            `key "${pair.key.value}" is not allowed (it could tamper with object prototypes)`,
            pos.line,
            pos.col,
          ),
        );
      }
    },
    Node(_key, node) {
      if (isScalar(node) && node.tag && !node.tag.startsWith("tag:yaml.org,2002:")) {
        const pos = lineCounter.linePos(node.range?.[0] ?? 0);
        diagnostics.push(
          at(file, "GH016", `custom YAML tag "${node.tag}" is not allowed`, pos.line, pos.col),
        );
      }
    },
  });
  if (diagnostics.some((d) => d.code !== "GH011")) return { diagnostics };
  // The yaml package counts aliases, not what they copy: 98 aliases of a list of 300,000 names pass its
  // limit and expand to 29 million values. Count the values the aliases copy.
  const copied = aliasExpansion(doc, MAX_ALIAS_COPIED_VALUES);
  if (copied > MAX_ALIAS_COPIED_VALUES)
    return {
      diagnostics: [
        at(
          file,
          "GH017",
          `YAML aliases copy more than ${String(MAX_ALIAS_COPIED_VALUES)} values; write the values out instead of using anchors`,
        ),
      ],
    };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: limits.maxAliasCount });
  } catch (error) {
    const isAliasBomb = error instanceof Error && /excessive alias/i.test(error.message);
    return {
      diagnostics: [
        at(
          file,
          isAliasBomb ? "GH017" : "GH010",
          isAliasBomb
            ? `too many YAML alias expansions (limit ${String(limits.maxAliasCount)}); write the values out instead of using anchors`
            : `YAML could not be read: ${messageOf(error)}`,
        ),
      ],
    };
  }
  // A table in the fast reader's form, when one mirrors the file exactly, lets the parse be cached.
  const table = diagnostics.length > 0 ? undefined : yamlPositionTable(doc, lineCounter, data);
  return {
    document: { file, locator: yamlLocator(doc, lineCounter), data, digest },
    diagnostics,
    ...(table ? { fast: table } : {}),
  };
}
