/**
 * `pr check`: loads the access tree on the base branch and at the pull request's head, works out which groups
 * change, and judges the reviews. Reads YAML as data only; runs nothing from the pull request.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { hasCode } from "../io/file-lock.ts";
import { hasErrors } from "../model/diagnostic.ts";
import type { AccessModel } from "../model/access.ts";
import { validateAccessTree } from "../validate/validate-tree.ts";
import { DEFAULT_CACHE_DIR } from "../load/load-tree.ts";
import { computeAffected, defaultAdminPaths, type Affected } from "./affected.ts";
import { evaluateApprovals, type GateResult, type Review } from "./approvals.ts";
import { materializeTree, readFileAt } from "./git-tree.ts";
import type { PrClient, RepoRef } from "./github.ts";
import { DEFAULT_IDS_FILE } from "../providers/github/settings.ts";
import { githubLoginOf, normalizeLogin, parsePins, resolveAdmin } from "./identities.ts";

export interface CheckOptions {
  readonly cwd: string;
  readonly dir: string;
  readonly now: Date;
  readonly client: PrClient;
  readonly repo: RepoRef;
  readonly pull: number;
  /** Git revision of the base tree; default the pull request's base commit. */
  readonly base?: string;
  /** Git revision of the head tree; default the working tree at `cwd` (the pull request checkout). */
  readonly head?: string;
  /** Refuse to judge when the pull request's head is no longer this commit. */
  readonly expectHeadSha?: string;
  /** Pin file (login → account id), read at the base revision. */
  readonly pinsFile: string;
  /** The paths that changed between base and head; default the pull request's file list. */
  readonly changedPaths?: readonly string[];
  /** The pull request's reviews, where the caller has them already; default asked of GitHub. */
  readonly reviews?: readonly Review[];
  readonly log?: (line: string) => void;
}

export type CheckOutcome =
  | {
      readonly kind: "judged";
      readonly gate: GateResult;
      readonly affected: Affected;
      /** Logins whose account id was looked up now because the pin file does not have them. */
      readonly unpinned: readonly string[];
      /** Where the pin file was read (readPins); undefined when there is none. */
      readonly pinsFrom: PinsSource | undefined;
      /** Why the pull request fails regardless of approvals (the head does not validate). */
      readonly problems: readonly string[];
      readonly isOk: boolean;
    }
  | { readonly kind: "moved"; readonly headSha: string };

/**
 * The access tree validated on the base revision and at the head (`head` undefined: the working tree at
 * `cwd`). Files the head shares with the base are read from git once.
 */
async function loadModels(cwd: string, dir: string, base: string, head: string | undefined, now: Date) {
  // One parse cache (content-addressed) for both sides: the base and the head share most files.
  const cacheDir = path.resolve(cwd, DEFAULT_CACHE_DIR);
  const baseTree = await materializeTree(cwd, base, dir);
  try {
    const headTree = head === undefined ? undefined : await materializeTree(cwd, head, dir, baseTree);
    try {
      const baseResult = await validateAccessTree(dir, { cwd: baseTree.cwd, now, cacheDir });
      const headResult = await validateAccessTree(dir, { cwd: headTree?.cwd ?? cwd, now, cacheDir });
      return { base: baseResult, head: headResult };
    } finally {
      await headTree?.remove();
    }
  } finally {
    await baseTree.remove();
  }
}

function loginsToIdentify(model: AccessModel, affected: Affected): string[] {
  const logins = new Set<string>();
  for (const g of affected.groups) {
    for (const owner of model.groups.get(g.name)?.owners ?? []) {
      const user = model.users.get(owner);
      const login = user ? githubLoginOf(model, user) : undefined;
      if (login !== undefined) logins.add(normalizeLogin(login));
    }
  }
  for (const entry of model.config.policy.admins) {
    const { login } = resolveAdmin(model, entry);
    if (login !== undefined) logins.add(normalizeLogin(login));
  }
  return [...logins].sort();
}

/** A path as the pull request's file list spells it (repository-relative, `/`), or undefined outside it. */
function repoPath(file: string): string | undefined {
  const normal = path.posix.normalize(file.replace(/\\/g, "/")).replace(/^(\.\/)+/, "");
  return normal.startsWith("../") || normal.startsWith("/") || normal === ".." ? undefined : normal;
}

/**
 * Pin files say which GitHub account a login is (reviewers here, members in the github connector): the
 * gate's `--ids-file` and every github provider's `idsFile` on either side. Changing one re-points
 * identities, so it needs the admins like gatehouse.yaml does.
 */
function pinPaths(pinsFile: string, models: readonly AccessModel[]): string[] {
  const files = new Set<string>([pinsFile]);
  for (const model of models)
    for (const provider of model.config.providers) {
      if (provider.type !== "github") continue;
      const idsFile = provider.settings["idsFile"];
      files.add(typeof idsFile === "string" ? idsFile : DEFAULT_IDS_FILE);
    }
  return [...files].flatMap((f) => repoPath(f) ?? []);
}

/**
 * Where the pin file was read: the base commit, or the file on disk that no commit here tracks (the
 * workflows keep `.gatehouse/github-ids.json` with the journal and restore it before a run:
 * scripts/journal-branch.sh), or a file outside the repository, named by its path.
 */
export type PinsSource = "base" | "kept";

/**
 * The pin file `file` (relative to `cwd`): the base commit's, where the base tracks it (a change to it
 * then needs the admins, pinPaths). Else the file on disk, but only where the commit checked out at `cwd`
 * does not track that path either: a checkout of the pull request's head cannot slip pins in (a file it
 * added, even under the ignored `.gatehouse/`, is tracked there), while the default branch's checkout,
 * which the trusted workflow judges from, holds the pins its runs kept. A path outside the repository is
 * read from disk as given (a file the workflow restored from a trusted place).
 */
async function readPins(
  cwd: string,
  base: string,
  file: string,
): Promise<{ readonly text: Buffer; readonly from: PinsSource } | undefined> {
  const inRepo = repoPath(path.relative(cwd, path.resolve(cwd, file)));
  if (inRepo !== undefined) {
    const onBase = await readFileAt(cwd, base, inRepo);
    if (onBase !== undefined) return { text: onBase, from: "base" };
    if ((await readFileAt(cwd, "HEAD", inRepo)) !== undefined) return undefined;
  }
  try {
    return { text: await readFile(path.resolve(cwd, file)), from: "kept" };
  } catch (error) {
    if (hasCode(error, "ENOENT")) return undefined;
    throw error;
  }
}

export async function checkApprovals(options: CheckOptions): Promise<CheckOutcome> {
  const { client, repo } = options;
  const pull = await client.getPull(repo, options.pull);
  if (options.expectHeadSha !== undefined && options.expectHeadSha !== pull.headSha)
    return { kind: "moved", headSha: pull.headSha };
  const { base, head } = await loadModels(
    options.cwd,
    options.dir,
    options.base ?? pull.baseSha,
    options.head,
    options.now,
  );
  const problems: string[] = [];
  if (hasErrors(head.diagnostics))
    problems.push(`the access files at head do not validate (run gatehouse validate)`);
  if (hasErrors(base.diagnostics)) options.log?.(`warning: the access files on the base branch have errors`);
  const affected = computeAffected({
    base: base.model,
    head: head.model,
    now: options.now,
    changedPaths: options.changedPaths ?? (await client.listFiles(repo, options.pull)),
    adminPaths: [...defaultAdminPaths(options.dir), ...pinPaths(options.pinsFile, [base.model, head.model])],
  });

  const pins = await readPins(options.cwd, options.base ?? pull.baseSha, options.pinsFile);
  const idsByLogin = pins
    ? parsePins(pins.text.toString("utf8"), options.pinsFile)
    : new Map<string, number>();
  const unpinned: string[] = [];
  for (const login of loginsToIdentify(base.model, affected)) {
    if (idsByLogin.has(login)) continue;
    // Not pinned yet: trust the account that holds the login today, and say so in the report.
    const id = await client.accountId(login);
    if (id !== undefined) {
      idsByLogin.set(login, id);
      unpinned.push(login);
    }
  }
  const gate = evaluateApprovals({
    now: options.now,
    affected,
    baseModel: base.model,
    reviews: options.reviews ?? (await client.listReviews(repo, options.pull)),
    author: pull.author,
    headSha: pull.headSha,
    policy: base.model.config.policy,
    idsByLogin,
  });
  return {
    kind: "judged",
    gate,
    affected,
    unpinned,
    pinsFrom: pins?.from,
    problems,
    isOk: gate.isOk && problems.length === 0,
  };
}
