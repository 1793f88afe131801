import { existsSync } from "node:fs";
import { deadline } from "../../io/deadline.ts";
import { writeAllOrNothing } from "../../io/write-all.ts";
import { access, lstat, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { ExitCode, UsageError, readFailureAt } from "../../errors.ts";
import {
  journalPathOf,
  DEFAULT_READ_TIMEOUT_MS,
  loadValidModel,
  providerContextOf,
  selectProviders,
} from "../../engine/prepare-plan.ts";
import { createProvider } from "../../providers/registry.ts";
import {
  groupNameFromLive,
  importPartPaths,
  isImportPart,
  renderImport,
  schemaFor,
} from "../../engine/import-files.ts";
import { COMMON_OPTIONS, flag, parseCommandArgs, stringOpt } from "../args.ts";
import type { CliIo } from "../io.ts";
import { engineOptions } from "./engine-options.ts";
import { nameFold } from "../../plan/align-case.ts";
import { definingFiles, refuseDefiningFiles } from "../../engine/import-guard.ts";
import { computeEffectiveMemberships } from "../../desired/effective.ts";
import { foldJournal } from "../../audit/journal-fold.ts";
import { computeDesiredState } from "../../desired/desired-state.ts";

export const IMPORT_USAGE = `Usage: gatehouse import --provider NAME [--out FILE] [--force] [--dir access]

Reads a connected system and writes its users, groups and memberships as an access file, to adopt an
existing directory. People already in the access files are referenced, not declared again.
Default output: <dir>/imported/<provider>.yaml (refuses to overwrite without --force). A large
directory is written in parts of about 4 MB: <provider>.yaml, <provider>-002.yaml, ...
A file that defines users, groups or roles in the access files (an earlier import, reviewed) is never
written over, --force or not: write a later import to a file of its own with --out.`;

export async function runImport(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { ...COMMON_OPTIONS, provider: { type: "string" }, out: { type: "string" }, force: { type: "boolean" } },
    IMPORT_USAGE,
    "import",
  );
  if (flag(args, "help")) {
    io.stdout(IMPORT_USAGE + "\n");
    return ExitCode.ok;
  }
  const name = stringOpt(args, "provider");
  if (name === undefined) throw new UsageError(`--provider is required\n\n${IMPORT_USAGE}`);
  const options = engineOptions(io, stringOpt(args, "dir"), [name], undefined);
  // The policy may name groups and people before they are imported (separation of duties, protected
  // groups and users, canaries, admins: GH207-GH210): the adopter writes gatehouse.yaml first. Groups an
  // earlier import wrote have no owners until someone adds them (GH217), which must not stop the import of
  // the next system. validate refuses what the import did not bring, and groups still without owners.
  const tree = await loadValidModel(options, new Set(["GH207", "GH208", "GH209", "GH210", "GH217"]));
  const [config] = selectProviders(tree.model, [name]);
  if (!config) throw new UsageError(`unknown provider ${name}`); // selectProviders names the choices
  const out = path.resolve(
    io.cwd,
    stringOpt(args, "out") ?? path.join(options.dir, "imported", `${name}.yaml`),
  );
  const exists = await access(out).then(
    () => true,
    () => false,
  );
  // An earlier import the adopter reviewed is one of the access files: this import leaves out all it
  // defines, so writing over it would take those people and groups out of the files.
  const defining = definingFiles(tree.model, io.cwd);
  refuseDefiningFiles([out], defining, out, io.cwd);
  if (exists && !flag(args, "force"))
    throw new UsageError(`${path.relative(io.cwd, out)} exists; pass --force to overwrite it`);
  // The read's notes are printed below among the warnings: the provider does not log them too.
  const provider = await createProvider(config, { ...providerContextOf(options), showsReadNotes: true });
  try {
    const live = await provider.read(deadline(DEFAULT_READ_TIMEOUT_MS).signal).catch((error: unknown) => {
      throw readFailureAt(error, config.source);
    });
    const caseInsensitiveNames = provider.capabilities.caseInsensitiveNames === true;
    // What the files give this system now, as a plan works it out: what groups they define hold beyond
    // it (put there by hand since an earlier import) is named, since this import writes none of it.
    // The accounts the journal saw gatehouse manage for each person: a person's former account (an
    // e-mail changed where the system cannot rename) is theirs, not someone new to import.
    const journal = await foldJournal(journalPathOf(options)).catch(() => undefined);
    const desired = computeDesiredState(
      tree.model,
      config,
      computeEffectiveMemberships(tree.model, options.now),
      {
        now: options.now,
        caseInsensitiveNames,
        nativeNesting: config.nesting && provider.capabilities.nesting,
        ...(journal === undefined ? {} : { journalAccounts: journal.accounts }),
      },
    );
    const { parts, users, groups, warnings } = renderImport(
      live,
      tree.model,
      config,
      schemaFor(path.resolve(io.cwd, options.dir), out),
      { caseInsensitiveNames, desired },
    );
    if (users === 0 && groups === 0) {
      // A file with neither users nor groups ({}) is one validate refuses (GH100): write none.
      io.stdout(
        `Nothing to import: the access files already hold every account and group ${name} has (${String(provider.stats().reads)} read call(s)); nothing was written.\n`,
      );
      for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
      return ExitCode.ok;
    }
    const files = importPartPaths(out, parts.length);
    // A large directory is written in parts (each well under the loader's per-file limit). Parts left
    // by an earlier, larger import would define the same people twice: they go too, with --force.
    const folder = path.dirname(out);
    const stale = (await readdir(folder).catch(() => []))
      .filter((name) => isImportPart(out, name))
      .map((name) => path.join(folder, name))
      .filter((file) => !files.includes(file));
    const existing = [...files.slice(1), ...stale].filter((file) => existsSync(file));
    refuseDefiningFiles(existing, defining, out, io.cwd);
    if (existing.length > 0 && !flag(args, "force"))
      throw new UsageError(
        `${existing.map((f) => path.relative(io.cwd, f)).join(", ")} exist(s); pass --force to overwrite (nothing was written)`,
      );
    // All parts or none, each whole (a temp file renamed into place): a crash or a failed write never
    // leaves a half-written part, nor a new first part beside an earlier import's second.
    await writeAllOrNothing(
      await Promise.all(
        files.map(async (file, i) => ({
          file: path.relative(io.cwd, file),
          target: file,
          text: parts[i] ?? "",
          mode: await lstat(file).then(
            (entry) => (entry.isFile() ? entry.mode & 0o7777 : 0o644),
            () => 0o644,
          ),
        })),
      ),
      { isCheckingOriginals: false },
    );
    await Promise.all(stale.map((file) => rm(file, { force: true })));
    const more =
      files.length > 1
        ? ` and ${String(files.length - 1)} more part(s) next to it (${path.basename(files[1] ?? "")} … ${path.basename(files.at(-1) ?? "")})`
        : "";
    const removed = stale.length > 0 ? `; removed ${String(stale.length)} part(s) of an earlier import` : "";
    io.stdout(
      `Wrote ${path.relative(io.cwd, out)}${more}: ${String(users)} new user(s), ${String(groups)} group(s) from ${name} (${String(provider.stats().reads)} read call(s))${removed}.\nReview it, then run: gatehouse validate && gatehouse plan\n`,
    );
    for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
    const fold = nameFold(provider.capabilities);
    const imported = live.groups.flatMap((g) => [g.name, groupNameFromLive(g.name).name]);
    const known = new Set([...tree.model.groups.keys(), ...imported].map(fold));
    const { policy } = tree.model.config;
    const named: [string, readonly string[]][] = [
      ["policy.guardrails.protectedGroups", policy.guardrails.protectedGroups],
      ["policy.separationOfDuties", policy.separationOfDuties.flat()],
    ];
    for (const [setting, groups] of named)
      for (const group of new Set(groups))
        if (!known.has(fold(group)))
          io.stderr(
            `warning: ${setting} names "${group}", which neither the access files nor ${name} have: validate refuses it until a file defines it\n`,
          );
    return ExitCode.ok;
  } finally {
    await provider.close();
  }
}
