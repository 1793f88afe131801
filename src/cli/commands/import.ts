import { access, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError, ExitCode, UsageError } from "../../errors.ts";
import { loadValidModel, providerContextOf, selectProviders } from "../../engine/prepare-plan.ts";
import { createProvider } from "../../providers/registry.ts";
import { renderImport } from "../../engine/import-files.ts";
import { COMMON_OPTIONS, flag, parseCommandArgs, stringOpt } from "../args.ts";
import type { CliIo } from "../io.ts";
import { engineOptions } from "./engine-options.ts";

export const IMPORT_USAGE = `Usage: gatehouse import --provider NAME [--out FILE] [--force] [--dir access]

Reads a connected system and writes its users, groups and memberships as an access file, to adopt an
existing directory. People already in the access files are referenced, not declared again.
Default output: <dir>/imported/<provider>.yaml (refuses to overwrite without --force).`;

export async function runImport(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { ...COMMON_OPTIONS, provider: { type: "string" }, out: { type: "string" }, force: { type: "boolean" } },
    IMPORT_USAGE,
  );
  if (flag(args, "help")) {
    io.stdout(IMPORT_USAGE + "\n");
    return ExitCode.ok;
  }
  const name = stringOpt(args, "provider");
  if (name === undefined) throw new UsageError(`--provider is required\n\n${IMPORT_USAGE}`);
  const options = engineOptions(io, stringOpt(args, "dir"), [name], undefined);
  const tree = await loadValidModel(options);
  const [config] = selectProviders(tree.model, [name]);
  if (!config) throw new ConfigError(`unknown provider ${name}`);
  const out = path.resolve(
    io.cwd,
    stringOpt(args, "out") ?? path.join(options.dir, "imported", `${name}.yaml`),
  );
  const exists = await access(out).then(
    () => true,
    () => false,
  );
  if (exists && !flag(args, "force"))
    throw new UsageError(`${path.relative(io.cwd, out)} exists; pass --force to overwrite it`);
  const provider = await createProvider(config, providerContextOf(options));
  try {
    const live = await provider.read(AbortSignal.timeout(600_000));
    const { text, users, groups } = renderImport(
      live,
      tree.model,
      config,
      path.relative(path.dirname(out), path.resolve(io.cwd, "schemas/access.schema.json")),
    );
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, text);
    io.stdout(
      `Wrote ${path.relative(io.cwd, out)}: ${String(users)} new user(s), ${String(groups)} group(s) from ${name} (${String(provider.stats().reads)} read call(s)).\nReview it, then run: gatehouse validate && gatehouse plan\n`,
    );
    return ExitCode.ok;
  } finally {
    await provider.close();
  }
}
