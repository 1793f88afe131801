import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { validateAccessTree, type ValidatedTree } from "../../src/validate/validate-tree.ts";
import type { Diagnostic } from "../../src/model/diagnostic.ts";

/** A temporary working directory holding `access/` written from a map of relative path → file text. */
export interface AccessTree {
  /** The working directory: diagnostics show paths relative to it ("access/groups/a.yaml"). */
  readonly cwd: string;
  /** Absolute path of the access directory. */
  readonly dir: string;
  validate(now?: Date): Promise<ValidatedTree>;
  remove(): Promise<void>;
}

export const NOW = new Date("2026-06-01T12:00:00Z");

/** A minimal gatehouse.yaml with one local provider named `directory`, plus `policy` lines if given. */
export function configYaml(policy = ""): string {
  return "providers:\n  directory: { type: local, path: .gatehouse/directory.json }\n" + policy;
}

/**
 * An access tree whose one provider, `app` (local, authoritative), holds one live group named `group` that
 * no access file gives (a plan deletes it): for what output makes of a name from a live system.
 */
export async function writeTreeWithLiveGroup(
  group: string,
  files: Readonly<Record<string, string>> = {},
): Promise<AccessTree> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n",
    ...files,
  });
  await mkdir(path.join(tree.cwd, ".gatehouse"), { recursive: true });
  await writeFile(
    path.join(tree.cwd, ".gatehouse/app.json"),
    JSON.stringify({ formatVersion: 1, users: [], groups: [{ name: group, members: [], groupMembers: [] }] }),
  );
  return tree;
}

/** Writes `files` (path relative to access/ → content; strings are UTF-8, Uint8Array raw) into a temp dir. */
export async function writeAccessTree(
  files: Readonly<Record<string, string | Uint8Array>>,
): Promise<AccessTree> {
  const cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-access-"));
  const dir = path.join(cwd, "access");
  await mkdir(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, content);
  }
  return {
    cwd,
    dir,
    validate: (now = NOW) => validateAccessTree("access", { cwd, now }),
    remove: () => rm(cwd, { recursive: true, force: true }),
  };
}

/** Writes the tree, validates it at `now`, removes it. */
export async function validateFiles(
  files: Readonly<Record<string, string | Uint8Array>>,
  now: Date = NOW,
): Promise<ValidatedTree> {
  const tree = await writeAccessTree(files);
  try {
    return await tree.validate(now);
  } finally {
    await tree.remove();
  }
}

/** The parts of a diagnostic a test pins down: "file:line:col severity code". */
export function brief(d: Diagnostic): string {
  return `${d.file}:${String(d.line)}:${String(d.column)} ${d.severity} ${d.code}`;
}

/** Diagnostics with one of `codes` (all rule codes if omitted), as brief strings. */
export function briefs(diagnostics: readonly Diagnostic[], codes?: readonly string[]): string[] {
  return diagnostics.filter((d) => !codes || codes.includes(d.code)).map(brief);
}

/** The tree's journal (`.gatehouse/journal.jsonl`, the default place), its path. */
export const journalFile = (tree: AccessTree): string => path.join(tree.cwd, ".gatehouse/journal.jsonl");

/**
 * Forgets what this machine read of the tree's journal (the `journal-*` files of .gatehouse/cache): a
 * journal rewritten by a test, or cut where a killed run left it, is then read as a first time.
 */
export async function forgetJournalReads(tree: AccessTree): Promise<void> {
  const cache = path.join(tree.cwd, ".gatehouse/cache");
  for (const name of await readdir(cache)) if (name.startsWith("journal-")) await rm(path.join(cache, name));
}

/**
 * The journal as a run killed right after announcing its membership writes to `group` (its `intent`)
 * leaves it: cut after that entry, and never recorded as read.
 */
export async function killAfterIntent(tree: AccessTree, group: string): Promise<void> {
  const lines = (await readFile(journalFile(tree), "utf8")).trimEnd().split("\n");
  const cut = lines.findIndex((l) => l.includes('"type":"intent"') && l.includes(`:membership/${group}/`));
  if (cut < 1) throw new Error(`no intent of writes to ${group} in the journal`);
  await writeFile(journalFile(tree), lines.slice(0, cut + 1).join("\n") + "\n");
  await forgetJournalReads(tree);
}

/** Every entry of the tree's journal, parsed, in order. */
export async function journalEntries(tree: AccessTree): Promise<Record<string, unknown>[]> {
  return (await readFile(journalFile(tree), "utf8"))
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The last journal entry of `type`; throws when there is none. */
export async function lastEntry(tree: AccessTree, type: string): Promise<Record<string, unknown>> {
  const entry = (await journalEntries(tree)).findLast((e) => e["type"] === type);
  if (entry === undefined) throw new Error(`no ${type} entry`);
  return entry;
}
