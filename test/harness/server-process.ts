import { spawn, type ChildProcess } from "node:child_process";
import { rm } from "node:fs/promises";

export interface ServerProcess {
  readonly child: ChildProcess;
  /** The last 8,000 characters the server printed, for error messages. */
  readonly output: () => string;
  /** Stops the server (SIGTERM, then SIGKILL after `killAfterMs`) and removes its folder. */
  readonly stop: () => Promise<void>;
}

/** Starts a test server in the foreground as a child process, owning the temp folder it runs from. */
export function spawnServer(
  bin: string,
  args: readonly string[],
  dir: string,
  killAfterMs: number,
): ServerProcess {
  const child = spawn(bin, [...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      resolve();
    }),
  );
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
