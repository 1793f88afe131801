import path from "node:path";

/**
 * A path as messages show it: relative to the working directory when it lies inside it, else absolute
 * (`/tmp/x`, not `../../../../tmp/x`, which says nothing until counted against the working directory).
 */
export function shownPath(cwd: string, file: string): string {
  const abs = path.resolve(cwd, file);
  const relative = path.relative(cwd, abs);
  const isOutside = relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
  return relative === "" || isOutside ? abs : relative;
}
