/**
 * Runs a TypeScript file in a separate Node process (Node 20 cannot strip types itself), so tests can
 * crash, kill and race real processes. The loader transpiles `.ts` files with the project's TypeScript.
 */
import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const LOADER = (typescriptUrl: string): string => `
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import ts from ${JSON.stringify(typescriptUrl)};
export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return nextLoad(url, context);
  const fileName = fileURLToPath(url);
  const { outputText } = ts.transpileModule(await readFile(fileName, "utf8"), {
    fileName,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  });
  return { format: "module", source: outputText, shortCircuit: true };
}
`;

let registerPath: Promise<string> | undefined;

async function writeLoader(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-ts-loader-"));
  const typescriptUrl = pathToFileURL(createRequire(import.meta.url).resolve("typescript")).href;
  await writeFile(join(dir, "loader.mjs"), LOADER(typescriptUrl));
  await writeFile(
    join(dir, "register.mjs"),
    `import { register } from "node:module";\nregister("./loader.mjs", import.meta.url);\n`,
  );
  return join(dir, "register.mjs");
}

/** Starts `node <script> ...args` with the TypeScript loader. */
export async function spawnTs(
  script: string,
  args: readonly string[],
): Promise<ChildProcessWithoutNullStreams> {
  registerPath ??= writeLoader();
  return spawn(process.execPath, ["--import", pathToFileURL(await registerPath).href, script, ...args], {
    stdio: "pipe",
  });
}

/** Resolves with the exit code (or signal) once the child has ended. */
export function waitForExit(child: ChildProcessWithoutNullStreams): Promise<number | NodeJS.Signals> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((done) => {
    child.once("exit", (code, signal) => {
      done(code ?? signal ?? 0);
    });
  });
}

/** Collects stdout and stderr; `lines()` is the stdout so far. */
export function collectOutput(child: ChildProcessWithoutNullStreams): {
  lines(): string[];
  stderr(): string;
} {
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
  return { lines: () => out.split("\n").filter((l) => l !== ""), stderr: () => err };
}

/** Runs a child to completion and fails loudly with its stderr when it does not exit 0. */
export async function runTs(script: string, args: readonly string[]): Promise<string[]> {
  const child = await spawnTs(script, args);
  const output = collectOutput(child);
  const code = await waitForExit(child);
  if (code !== 0) throw new Error(`${script} exited with ${String(code)}:\n${output.stderr()}`);
  return output.lines();
}

/** The pid of a process that has already exited: a lock or temp file of it is stale. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  const pid = child.pid;
  await new Promise((done) => child.once("exit", done));
  if (pid === undefined) throw new Error("could not start a process");
  return pid;
}
