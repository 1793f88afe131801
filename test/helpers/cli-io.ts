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

/** Runs the CLI quietly in `cwd`: its exit code, and what it printed to stdout and stderr together. */
export async function runCliIn(cwd: string, argv: readonly string[]): Promise<{ code: number; out: string }> {
  const { io, out, err } = captureIo(cwd, { GATEHOUSE_QUIET: "1" });
  const code = await main(argv, io);
  return { code, out: out.join("") + err.join("") };
}
