/** Narrowing helpers for plain data that a schema has already checked. No casts on external data. */
export type Obj = Readonly<Record<string, unknown>>;

export function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
export function str(o: Obj, key: string): string | undefined {
  const v = o[key];
  return typeof v === "string" ? v : undefined;
}
export function num(o: Obj, key: string): number | undefined {
  const v = o[key];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}
export function bool(o: Obj, key: string): boolean | undefined {
  const v = o[key];
  return typeof v === "boolean" ? v : undefined;
}
export function list(o: Obj, key: string): readonly unknown[] | undefined {
  const v = o[key];
  return Array.isArray(v) ? v : undefined;
}
export function strList(o: Obj, key: string): string[] | undefined {
  const v = list(o, key);
  return v?.filter((x): x is string => typeof x === "string");
}
/** A string or a list of strings, as role conditions allow. */
export function oneOrMany(o: Obj, key: string): string[] | undefined {
  const v = o[key];
  if (typeof v === "string") return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : undefined;
}
export function obj(o: Obj, key: string): Obj | undefined {
  const v = o[key];
  return isObj(v) ? v : undefined;
}
/** Copies only defined values, so optional fields stay absent under exactOptionalPropertyTypes. */
export function defined<T extends Record<string, unknown>>(
  o: T,
): { [K in keyof T]: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v !== undefined) out[k] = v;
  }
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}
