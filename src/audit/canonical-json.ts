import { createHash } from "node:crypto";

/**
 * JSON with object keys sorted (by UTF-16 code units) and no whitespace, so equal data always gives
 * equal text and equal hashes. Like `JSON.stringify`: undefined properties are left out, dates become
 * ISO strings, functions and symbols are left
 * out. Non-finite numbers, bigints, Maps and Sets are refused rather than silently changed.
 */
export function canonicalJson(value: unknown): string {
  const out = encode(value);
  if (out === undefined) throw new TypeError("canonicalJson: the value has no JSON form");
  return out;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

function encode(value: unknown): string | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${String(value)} has no JSON form`);
    return JSON.stringify(value);
  }
  if (typeof value === "bigint") throw new TypeError("canonicalJson: bigint has no JSON form");
  if (typeof value === "object") return encodeObject(value);
  return undefined; // undefined, functions and symbols are left out, as JSON.stringify does
}

function encodeObject(value: object): string | undefined {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) {
    const items: unknown[] = value;
    return `[${items.map((item) => encode(item) ?? "null").join(",")}]`;
  }
  if (value instanceof Map || value instanceof Set) {
    throw new TypeError("canonicalJson: convert Map and Set to plain objects or arrays first");
  }
  const entries: [string, unknown][] = Object.entries(value);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: string[] = [];
  for (const [key, item] of entries) {
    const encoded = encode(item);
    if (encoded !== undefined) parts.push(`${JSON.stringify(key)}:${encoded}`);
  }
  return `{${parts.join(",")}}`;
}
