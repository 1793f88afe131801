import type { AddressLookup, DigestLookup, ProviderPlanInput } from "./context.ts";

/**
 * What the journal says of a system whose names ignore case, looked up ignoring case. The journal keeps
 * an address as gatehouse wrote it (`ldap:membership/team-x/Bea.Old`, when the files spelt her account
 * so), while the plan asks in the spelling of today's files or of the live system (`bea.old`): compared
 * exactly, a membership gatehouse added is not recognised as its own, so drift reads `added-in-config`,
 * a removal `not-in-config`, and additive mode keeps it as not gatehouse's. For such a system the
 * journal's managed addresses, written digests and disables answer under any case of the same address.
 * The exact address is tried first; only a miss folds, and the journal's addresses with capitals are
 * indexed once, on the first miss.
 */
export function journalIgnoringCase(
  input: ProviderPlanInput,
): Pick<ProviderPlanInput, "managed" | "written" | "disabledByGatehouse" | "grantEnds" | "expiries"> {
  const { managed, written, disabledByGatehouse, grantEnds, expiries } = input;
  const prefix = `${input.name}:`;
  return {
    ...(managed === undefined ? {} : { managed: foldedSet(managed, prefix) }),
    ...(written === undefined ? {} : { written: foldedMap(written, prefix) }),
    ...(disabledByGatehouse === undefined
      ? {}
      : { disabledByGatehouse: foldedSet(disabledByGatehouse, prefix) }),
    ...(grantEnds === undefined ? {} : { grantEnds: foldedMap(grantEnds, prefix) }),
    ...(expiries === undefined ? {} : { expiries: foldedMap(expiries, prefix) }),
  };
}

/** The lower-cased form of each of `keys` under `prefix` that has capitals → that key. */
function capitalised(keys: Iterable<string>, prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const lower = key.toLowerCase();
    if (lower !== key && !out.has(lower)) out.set(lower, key);
  }
  return out;
}

/** The key of `keys` that `key` names ignoring case: itself, its lower-case form, or one with capitals. */
function finder(
  has: (key: string) => boolean,
  keys: () => Iterable<string>,
  prefix: string,
): (key: string) => string | undefined {
  let index: Map<string, string> | undefined;
  return (key) => {
    if (has(key)) return key;
    const lower = key.toLowerCase();
    if (lower !== key && has(lower)) return lower;
    index ??= capitalised(keys(), prefix);
    return index.get(lower);
  };
}

function foldedSet(set: AddressLookup, prefix: string): AddressLookup {
  const find = finder(
    (k) => set.has(k),
    () => set,
    prefix,
  );
  return { has: (key) => find(key) !== undefined, [Symbol.iterator]: () => set[Symbol.iterator]() };
}

function foldedMap(map: DigestLookup, prefix: string): DigestLookup {
  const find = finder(
    (k) => map.has(k),
    () => map.keys(),
    prefix,
  );
  return {
    get: (key) => {
      const found = find(key);
      return found === undefined ? undefined : map.get(found);
    },
    has: (key) => find(key) !== undefined,
    keys: () => map.keys(),
  };
}
