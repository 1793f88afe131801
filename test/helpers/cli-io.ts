import type { CliIo } from "../../src/cli/io.ts";
import { main } from "../../src/cli/main.ts";
import { NOW } from "./access-tree.ts";

/** A CLI io for tests: no terminal, no prompts, the clock at NOW; what the command prints is kept. */
export function captureIo(
  cwd: string,
  env: Readonly<Record<string, string | undefined>> = {},
): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    cwd,
    env,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    isTTY: false,
    isInteractive: false,
    prompt: () => Promise.resolve(""),
    now: () => NOW,
  };
  return { io, out, err };
}

/**
 * Runs the CLI quietly in `cwd` (the clock at NOW, or `now`; `env` added to its environment): its exit
 * code, what it printed to stdout and to stderr, and both together (`out`).
 */
export async function runCliIn(
  cwd: string,
  argv: readonly string[],
  now?: Date,
  env: Readonly<Record<string, string>> = {},
): Promise<{ code: number; out: string; stdout: string; stderr: string }> {
  const { io, out, err } = captureIo(cwd, { GATEHOUSE_QUIET: "1", ...env });
  const code = await main(argv, now === undefined ? io : { ...io, now: () => now });
  const [stdout, stderr] = [out.join(""), err.join("")];
  return { code, out: stdout + stderr, stdout, stderr };
}
