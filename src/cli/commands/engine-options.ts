import type { EngineOptions } from "../../engine/prepare-plan.ts";
import type { CliIo } from "../io.ts";

export function engineOptions(
  io: CliIo,
  dir: string | undefined,
  only: readonly string[],
  journal: string | undefined,
): EngineOptions {
  const quiet = io.env["GATEHOUSE_QUIET"] === "1";
  return {
    cwd: io.cwd,
    dir: dir ?? "access",
    now: io.now(),
    clock: () => io.now().getTime(),
    env: io.env,
    only,
    ...(journal === undefined ? {} : { journalPath: journal }),
    ...(io.fetch ? { fetch: io.fetch } : {}),
    log: (line) => {
      if (!quiet) io.stderr(line + "\n");
    },
    warn: (line) => {
      io.stderr(line + "\n");
    },
  };
}
