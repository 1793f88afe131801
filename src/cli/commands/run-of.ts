import { describeActor } from "../../audit/git.ts";
import type { CliIo } from "../io.ts";

/**
 * The run a scheduled job's commit trailer names (review close, prune): the GitHub Actions run (the
 * scheduled workflow), else "by hand" and who ran it.
 */
export async function runOf(io: Pick<CliIo, "cwd" | "env">): Promise<string> {
  const [server, repo, id] = ["GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"].map(
    (k) => io.env[k],
  );
  if (server && repo && id) return `${server}/${repo}/actions/runs/${id}`;
  return `by hand, ${await describeActor(io.cwd, io.env)}`;
}
