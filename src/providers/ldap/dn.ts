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

/** Splits a DN into RDNs with unescaped values. A multi-valued RDN ("a=1+b=2") stays one value. */
export function parseDn(dn: string): Rdn[] {
  const rdns: Rdn[] = [];
  let type: Char[] = [];
  let value: Char[] = [];
  let inValue = false;
  const flush = (): void => {
    const t = trimUnescaped(type);
    const v = trimUnescaped(value);
    if (t !== "" || v !== "") rdns.push({ type: t, value: v });
    type = [];
    value = [];
    inValue = false;
  };
  for (let i = 0; i < dn.length; i++) {
    const c = dn.charAt(i);
    if (c === "\\" && i + 1 < dn.length) {
      const hex = dn.slice(i + 1, i + 3);
      let decoded: string;
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        decoded = String.fromCharCode(parseInt(hex, 16));
        i += 2;
      } else {
        decoded = dn.charAt(i + 1);
        i += 1;
      }
      (inValue ? value : type).push({ c: decoded, escaped: true });
    } else if (c === "," || c === ";") {
      flush();
    } else if (c === "=" && !inValue) {
      inValue = true;
    } else {
      (inValue ? value : type).push({ c, escaped: false });
    }
  }
  flush();
  return rdns;
}

/** Escapes an attribute value for use inside a DN (RFC 4514 section 2.4). */
export function escapeDnValue(value: string): string {
  let out = value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`);
  if (out.startsWith(" ") || out.startsWith("#")) out = `\\${out}`;
  if (out.endsWith(" ")) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** Escapes a value for an LDAP search filter (RFC 4515 section 3). */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** Canonical form for comparing DNs: lower case, no optional spaces, uniform escaping. */
export function normalizeDn(dn: string): string {
  return parseDn(dn)
    .map((r) => `${r.type.toLowerCase()}=${escapeDnValue(r.value.toLowerCase())}`)
    .join(",");
}

export function isDnUnder(dn: string, base: string): boolean {
  const d = normalizeDn(dn);
  const b = normalizeDn(base);
  return d === b || d.endsWith(`,${b}`);
}

export function firstRdnValue(dn: string): string | undefined {
  return parseDn(dn)[0]?.value;
}

export function buildDn(type: string, value: string, parent: string): string {
  return `${type}=${escapeDnValue(value)},${parent}`;
}
