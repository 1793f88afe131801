/** Distinguished-name helpers (RFC 4514), pure. Comparison is case-insensitive, as for the usual attributes. */

export interface Rdn {
  readonly type: string;
  readonly value: string;
}

interface Char {
  readonly c: string;
  readonly escaped: boolean;
}

/** Joins characters, dropping unescaped spaces at either end (escaped ones are part of the value). */
function trimUnescaped(chars: readonly Char[]): string {
  let start = 0;
  let end = chars.length;
  while (start < end && chars[start]?.c === " " && !chars[start]?.escaped) start++;
  while (end > start && chars[end - 1]?.c === " " && !chars[end - 1]?.escaped) end--;
  return chars
    .slice(start, end)
    .map((ch) => ch.c)
    .join("");
}

/**
 * Splits a DN into RDNs with unescaped values. A multi-valued RDN ("a=1+b=2") stays one value: its first
 * type, and the rest as written unescaped ("1+b=2"); parseAvas gives its pairs.
 */
export function parseDn(dn: string): Rdn[] {
  return parseAvas(dn).map(([first, ...rest]) =>
    rest.length === 0 || first === undefined
      ? (first ?? { type: "", value: "" })
      : { type: first.type, value: [first.value, ...rest.map((a) => `${a.type}=${a.value}`)].join("+") },
  );
}

/** Escapes an attribute value for use inside a DN (RFC 4514 section 2.4). */
export function escapeDnValue(value: string): string {
  let out = value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`);
  if (out.startsWith(" ") || out.startsWith("#")) out = `\\${out}`;
  // A trailing space needs its own escape, unless it is the leading one just escaped (value " ").
  if (out.endsWith(" ") && out !== "\\ ") out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** Escapes a value for an LDAP search filter (RFC 4515 section 3). */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/**
 * A DN's RDNs, each as its attribute-value pairs with unescaped values: a multi-valued RDN ("cn=a+uid=b")
 * gives one pair per unescaped "+", while an escaped "+" or "=" stays in its value ("cn=a\+uid\=b" is
 * one pair). Empty pairs and RDNs are dropped, as parseDn drops empty RDNs.
 */
export function parseAvas(dn: string): Rdn[][] {
  const rdns: Rdn[][] = [];
  let avas: Rdn[] = [];
  let type: Char[] = [];
  let value: Char[] = [];
  let inValue = false;
  const endAva = (): void => {
    const t = trimUnescaped(type);
    const v = trimUnescaped(value);
    if (t !== "" || v !== "") avas.push({ type: t, value: v });
    type = [];
    value = [];
    inValue = false;
  };
  const endRdn = (): void => {
    endAva();
    if (avas.length > 0) rdns.push(avas);
    avas = [];
  };
  const isHexPair = (at: number): boolean =>
    dn.charAt(at) === "\\" && /^[0-9a-fA-F]{2}$/.test(dn.slice(at + 1, at + 3));
  for (let i = 0; i < dn.length; i++) {
    const c = dn.charAt(i);
    if (isHexPair(i)) {
      const bytes: number[] = [];
      while (isHexPair(i)) {
        bytes.push(parseInt(dn.slice(i + 1, i + 3), 16));
        i += 3;
      }
      i -= 1;
      for (const ch of Buffer.from(bytes).toString("utf8"))
        (inValue ? value : type).push({ c: ch, escaped: true });
    } else if (c === "\\" && i + 1 < dn.length) {
      (inValue ? value : type).push({ c: dn.charAt(i + 1), escaped: true });
      i += 1;
    } else if (c === "," || c === ";") {
      endRdn();
    } else if (c === "+" && inValue) {
      endAva();
    } else if (c === "=" && !inValue) {
      inValue = true;
    } else {
      (inValue ? value : type).push({ c, escaped: false });
    }
  }
  endRdn();
  return rdns;
}

/**
 * `dn` written again from its pairs (parseAvas): types lower-cased, values escaped uniformly (in lower case
 * when `lower`), the pairs of a multi-valued RDN sorted (an RDN's pairs have no order).
 */
function rewriteDn(dn: string, lower: boolean): string {
  return parseAvas(dn)
    .map((avas) =>
      avas
        .map((a) => `${a.type.toLowerCase()}=${escapeDnValue(lower ? a.value.toLowerCase() : a.value)}`)
        .sort()
        .join("+"),
    )
    .join(",");
}

/**
 * normalizeDn by parsing: every attribute-value pair lower-cased and escaped again, the pairs of a
 * multi-valued RDN in sorted order. A multi-valued RDN and a single value holding the same characters
 * ("cn=x+uid=y" and "cn=x\+uid\=y", two entries) stay apart.
 */
export function normalizeDnByParsing(dn: string): string {
  return rewriteDn(dn, true);
}

/**
 * A DN as normalizeDn gives it, but with the letter case of its values kept: two DNs normalizeDn makes
 * one that differ here may name two entries (a naming attribute matched case-exactly, such as
 * homeDirectory) or one (the usual case-insensitive ones); nothing here tells which.
 */
export function exactDn(dn: string): string {
  return rewriteDn(dn, false);
}

/** Canonical form for comparing DNs: lower case, no optional spaces, uniform escaping. */
export function normalizeDn(dn: string): string {
  const known = normalized.get(dn);
  if (known !== undefined) return known;
  const out = normalizePlainDn(dn) ?? normalizeDnByParsing(dn);
  if (normalized.size >= NORMALIZED_MAX) normalized.clear();
  normalized.set(dn, out);
  return out;
}

/**
 * DNs normalized so far. A read of a large directory normalizes millions of member values, which name
 * the same hundred thousand entries again and again, and each value twice (the read cache's check of
 * references, then the live state): looking a value up costs a hash of it, normalizing it a parse and
 * new strings. Emptied when it reaches NORMALIZED_MAX, so it never holds more than that.
 */
const normalized = new Map<string, string>();
const NORMALIZED_MAX = 1_000_000;

/** A DN with nothing that parseDn unescapes or escapeDnValue escapes (no RDN holds "=", checked below). */
const PLAIN_DN = /^[^\\"+;<>#]*$/;

/** The index after the spaces from `start`, or before the spaces ending at `end`. */
function skipSpaces(text: string, start: number, end: number, step: 1 | -1): number {
  let i = start;
  while (step === 1 ? i < end && text.charCodeAt(i) === 0x20 : i > end && text.charCodeAt(i - 1) === 0x20)
    i += step;
  return i;
}

/**
 * normalizeDn of a DN without escapes or characters to escape, without parsing it character by character:
 * group members are hundreds of thousands of such DNs on every read. Undefined for anything else.
 */
function normalizePlainDn(dn: string): string | undefined {
  if (!PLAIN_DN.test(dn)) return undefined;
  const lower = dn.toLowerCase();
  let out = "";
  let start = 0;
  while (start <= lower.length) {
    let end = lower.indexOf(",", start);
    if (end < 0) end = lower.length;
    const eq = lower.indexOf("=", start);
    if (eq < 0 || eq > end) {
      // No "=": only an empty part (", ,") is dropped as parseDn drops it; anything else is parsed.
      if (skipSpaces(lower, start, end, 1) !== end) return undefined;
    } else {
      const valueStart = skipSpaces(lower, eq + 1, end, 1);
      const valueEnd = skipSpaces(lower, end, valueStart, -1);
      const another = lower.indexOf("=", eq + 1);
      if (another >= 0 && another < end) return undefined; // "=" in a value: escaped by normalizeDn
      const typeStart = skipSpaces(lower, start, eq, 1);
      const typeEnd = skipSpaces(lower, eq, typeStart, -1);
      if (typeEnd > typeStart || valueEnd > valueStart) {
        out += `${out === "" ? "" : ","}${lower.slice(typeStart, typeEnd)}=${lower.slice(valueStart, valueEnd)}`;
      }
    }
    start = end + 1;
  }
  return out;
}

export function isDnUnder(dn: string, base: string): boolean {
  const d = normalizeDn(dn);
  const b = normalizeDn(base);
  return d === b || d.endsWith(`,${b}`);
}

/** Whether `dn`'s parent is `parent` (one level below it, not deeper). */
export function isChildOf(dn: string, parent: string): boolean {
  return rawRdns(dn).length === rawRdns(parent).length + 1 && isDnUnder(dn, parent);
}

export function firstRdnValue(dn: string): string | undefined {
  // A first RDN without escapes, quotes or a multi-valued "+" (almost all) is read without parsing the DN.
  const comma = dn.indexOf(",");
  const first = comma < 0 ? dn : dn.slice(0, comma);
  const equals = first.indexOf("=");
  if (equals > 0 && !/[\\"+#;\t]/.test(first)) return first.slice(equals + 1).replace(/^ +| +$/g, "");
  return parseDn(dn)[0]?.value;
}

export function buildDn(type: string, value: string, parent: string): string {
  return `${type}=${escapeDnValue(value)},${parent}`;
}

/**
 * The RDNs of a DN as written (escapes and multi-valued "a=1+b=2" RDNs kept verbatim), without the optional
 * spaces around the separators.
 */
export function rawRdns(dn: string): string[] {
  const out: string[] = [];
  let start = 0;
  const push = (end: number): void => {
    let text = dn.slice(start, end).replace(/^\s+/, "");
    // Drop trailing spaces unless the last one is escaped (an odd run of backslashes before it).
    while (text.endsWith(" ")) {
      const backslashes = /\\*$/.exec(text.slice(0, -1))?.[0].length ?? 0;
      if (backslashes % 2 === 1) break;
      text = text.slice(0, -1);
    }
    if (text !== "") out.push(text);
  };
  for (let i = 0; i < dn.length; i++) {
    const c = dn.charAt(i);
    if (c === "\\") i++;
    else if (c === "," || c === ";") {
      push(i);
      start = i + 1;
    }
  }
  push(dn.length);
  return out;
}

/** The entry's DN under a new parent, its RDN (even a multi-valued one) kept as written. */
export function movedDn(dn: string, parent: string): string {
  const rdn = rawRdns(dn)[0] ?? "";
  return `${rdn},${parent}`;
}

/** The entry's DN with a new `type=value` RDN under the same parent, the parent kept as written. */
export function renamedDn(dn: string, type: string, value: string): string {
  return buildDn(type, value, rawRdns(dn).slice(1).join(","));
}
