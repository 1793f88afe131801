import { createHash } from "node:crypto";
import type { LiveState } from "../model/state.ts";
import type { Provider } from "../providers/types.ts";
import { canonicalJson, sha256Hex } from "../audit/canonical-json.ts";

type Write = (text: string) => void;

function isPlainObject(value: object): value is Readonly<Record<string, unknown>> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isSkipped(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Writes the canonical JSON of plain JSON data (see canonicalJson) piece by piece. encode returns
 * false, having possibly written part of it, for anything else (dates, maps, class instances, bigints,
 * non-finite numbers): the caller then uses canonicalJson itself.
 */
class PlainEncoder {
  private readonly write: Write;
  private lastKeys: readonly string[] = [];
  private lastSorted: string[] = [];

  constructor(write: Write) {
    this.write = write;
  }

  encode(value: unknown): boolean {
    if (value === null || typeof value === "string" || typeof value === "boolean") {
      this.write(JSON.stringify(value));
      return true;
    }
    if (typeof value === "number") {
      if (!Number.isFinite(value)) return false;
      this.write(JSON.stringify(value));
      return true;
    }
    if (typeof value !== "object") return false;
    if (Array.isArray(value)) return this.encodeArray(value);
    return isPlainObject(value) && this.encodeObject(value);
  }

  private encodeArray(items: readonly unknown[]): boolean {
    // Lists of strings (member lists) are the bulk of a live state: one native call each.
    if (items.every((item) => typeof item === "string")) {
      this.write(JSON.stringify(items));
      return true;
    }
    this.write("[");
    for (let i = 0; i < items.length; i++) {
      if (i > 0) this.write(",");
      const item = items[i];
      if (isSkipped(item)) this.write("null");
      else if (!this.encode(item)) return false;
    }
    this.write("]");
    return true;
  }

  private encodeObject(value: Readonly<Record<string, unknown>>): boolean {
    const keys = this.sortedKeys(value);
    if (isFlat(value, keys)) {
      // With the sorted keys as its property list, JSON.stringify writes them in that order: for an
      // object of primitives (a user, most often) that is exactly the canonical JSON, in one native call.
      this.write(JSON.stringify(value, keys));
      return true;
    }
    this.write("{");
    let isFirst = true;
    for (const key of keys) {
      const item = value[key];
      if (isSkipped(item)) continue;
      this.write(`${isFirst ? "" : ","}${JSON.stringify(key)}:`);
      isFirst = false;
      if (!this.encode(item)) return false;
    }
    this.write("}");
    return true;
  }

  /** The object's own keys, sorted; the sort is skipped when they are those of the object before. */
  private sortedKeys(value: object): string[] {
    const keys = Object.keys(value);
    if (!isSameList(keys, this.lastKeys)) {
      this.lastKeys = keys;
      this.lastSorted = [...keys].sort(compareKeys);
    }
    return this.lastSorted;
  }
}

function isSameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Every value is a string, boolean, null, finite number or left out (undefined, function, symbol), and
 * no key is toJSON (which JSON.stringify would call): JSON.stringify then writes what encode would.
 */
function isFlat(value: Readonly<Record<string, unknown>>, keys: readonly string[]): boolean {
  for (const key of keys) {
    if (key === "toJSON") return false;
    const item = value[key];
    if (typeof item === "object" && item !== null) return false;
    if (typeof item === "number" && !Number.isFinite(item)) return false;
    if (typeof item === "bigint") return false;
  }
  return true;
}

/**
 * The digest a plan records of a provider's live state, to refuse a saved plan once that state has
 * changed: the provider's own (Provider.liveDigest, e.g. a hash of the file it read) when it has one
 * for `live`, else the generic canonicalLiveDigest.
 */
export function liveDigestOf(live: LiveState, provider?: Pick<Provider, "liveDigest">): string {
  return provider?.liveDigest?.(live) ?? canonicalLiveDigest(live);
}

/**
 * sha256 of canonicalJson(live), streamed into the hash instead of built as one string: the same
 * digest, about 30% faster for a large directory.
 */
export function canonicalLiveDigest(live: LiveState): string {
  const hash = createHash("sha256");
  let pending = "";
  const write: Write = (text) => {
    pending += text;
    if (pending.length >= 65_536) {
      hash.update(pending, "utf8");
      pending = "";
    }
  };
  if (!new PlainEncoder(write).encode(live)) return sha256Hex(canonicalJson(live));
  hash.update(pending, "utf8");
  return hash.digest("hex");
}
