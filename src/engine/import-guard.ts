import { existsSync } from "node:fs";
import path from "node:path";
import type { AccessModel } from "../model/access.ts";
import { UsageError } from "../errors.ts";

/** What one access file defines, by kind. */
interface Defined {
  users: number;
  groups: number;
  roles: number;
}

/**
 * The access files that define something (users, groups or roles), by absolute path, with how much. An
 * import leaves out of what it writes everything the access files hold already, so it must never write
 * over, or remove, one of these files: what it defines would be gone from the files (and a plan of mode
 * authoritative would then disable those accounts and delete those groups).
 */
export function definingFiles(model: AccessModel, cwd: string): ReadonlyMap<string, Readonly<Defined>> {
  const out = new Map<string, Defined>();
  const count = (file: string, kind: keyof Defined): void => {
    const key = path.resolve(cwd, file);
    const entry = out.get(key) ?? { users: 0, groups: 0, roles: 0 };
    entry[kind] += 1;
    out.set(key, entry);
  };
  for (const user of model.users.values()) count(user.source.file, "users");
  for (const group of model.groups.values()) count(group.source.file, "groups");
  for (const role of model.roles.values()) count(role.source.file, "roles");
  return out;
}

/** `<name>-2.yaml`, `<name>-3.yaml`, ... next to `out`: the first that does not exist. */
export function freeImportPath(out: string): string {
  const ext = path.extname(out) || ".yaml";
  const stem = out.slice(0, out.length - path.extname(out).length);
  let n = 2;
  while (existsSync(`${stem}-${String(n)}${ext}`)) n++;
  return `${stem}-${String(n)}${ext}`;
}

/**
 * Refuses (whatever --force says) to write over or remove `files` where one of them defines something in
 * the access files, naming a file of its own for what is new. `out` is the file the import was asked to
 * write (its first part).
 */
export function refuseDefiningFiles(
  files: readonly string[],
  defining: ReadonlyMap<string, Readonly<Defined>>,
  out: string,
  cwd: string,
): void {
  for (const file of files) {
    const defined = defining.get(path.resolve(cwd, file));
    if (defined === undefined) continue;
    const what = (["users", "groups", "roles"] as const)
      .filter((kind) => defined[kind] > 0)
      .map((kind) => `${String(defined[kind])} ${kind.slice(0, -1)}(s)`)
      .join(" and ");
    const free = path.relative(cwd, freeImportPath(out));
    throw new UsageError(
      `${path.relative(cwd, file)} is one of the access files (it defines ${what}): import writes only what the files do not hold yet, ` +
        `so replacing it would drop what it defines, --force or not. Write what is new to a file of its own: --out ${free} (nothing was written)`,
    );
  }
}
