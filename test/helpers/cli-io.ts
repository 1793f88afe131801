import type { CliIo } from "../../src/cli/io.ts";
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
