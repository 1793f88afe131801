/**
 * Appends every item of `items` to `target`. `target.push(...items)` passes each item as an argument,
 * which overflows the stack past about a hundred thousand items: a hostile file can have that many
 * problems, a large directory that many entries.
 */
export function appendAll<T>(target: T[], items: Iterable<T>): void {
  for (const item of items) target.push(item);
}

/** "1 entry", "1,234 entries": a count with the noun that fits it. */
export function plural(count: number, one: string, many: string): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? one : many}`;
}

/** The first `n` of `items`, comma-separated, and how many more there are: "a, b, c and 4 more". */
export function firstFew(items: readonly string[], n = 5): string {
  const more = items.length > n ? ` and ${String(items.length - n)} more` : "";
  return items.slice(0, n).join(", ") + more;
}

/**
 * Strings in UTF-16 code-unit order: what `<` does, the same on every machine. Not localeCompare, whose
 * order follows the process's locale (LANG), so output sorted by it would differ from one machine to the next.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Entries naming an account and where it is (LiveState.namesTaken, elsewhere), in account order, then by
 * place: a fixed order, whatever order the system answered in (the live state is digested and compared).
 */
export function byAccountThenWhere(
  a: { readonly account: string; readonly where: string },
  b: { readonly account: string; readonly where: string },
): number {
  return compareText(a.account, b.account) || compareText(a.where, b.where);
}

/** `items` grouped by `keyOf`, each group in the order of `items`, the groups in the order first seen. */
export function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = out.get(key);
    if (list) list.push(item);
    else out.set(key, [item]);
  }
  return out;
}
