/** Builds a `github` provider pointed at a (Prism-checked) fake GitHub, as gatehouse.yaml would configure it. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProviderConfig } from "../../src/model/access.ts";
import type { GithubProvider } from "../../src/providers/github/provider.ts";
import { createGithubProviderWith } from "../../src/providers/github/provider.ts";

export const GITHUB_TOKEN = "ghp_fakeTokenForTests0123456789";

/** Prism answers Octokit's default `accept: application/vnd.github.v3+json` with 406; GitHub accepts both. */
export const jsonAcceptFetch: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set("accept", "application/json");
  return fetch(input, { ...init, headers });
};

export interface GithubProviderSetup {
  readonly provider: GithubProvider;
  readonly cwd: string;
  readonly logs: string[];
  close(): Promise<void>;
}

export async function createTestGithubProvider(
  baseUrl: string,
  settings: Record<string, unknown> = {},
  options: { nesting?: boolean; token?: string; cwd?: string } = {},
): Promise<GithubProviderSetup> {
  const cwd = options.cwd ?? (await mkdtemp(join(tmpdir(), "gatehouse-github-")));
  const logs: string[] = [];
  const config: ProviderConfig = {
    name: "github",
    type: "github",
    mode: "authoritative",
    nesting: options.nesting ?? true,
    // writeInterval 0: the fake needs no pacing (github-write-pacing.test.ts covers the 1 s default).
    settings: { org: "acme", baseUrl, tokenEnv: "GH_TOKEN", maxRetries: 2, writeInterval: 0, ...settings },
    source: { file: "access/gatehouse.yaml", line: 3, column: 3 },
  };
  const provider = createGithubProviderWith(config, {
    env: { GH_TOKEN: options.token ?? GITHUB_TOKEN },
    cwd,
    now: () => new Date("2026-01-01T00:00:00Z"),
    fetch: jsonAcceptFetch,
    log: (line) => logs.push(line),
  });
  return {
    provider,
    cwd,
    logs,
    close: async () => {
      await provider.close();
      if (options.cwd === undefined) await rm(cwd, { recursive: true, force: true });
    },
  };
}
