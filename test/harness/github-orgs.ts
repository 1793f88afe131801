/** One fake GitHub (behind Prism) per test file, a fresh organization per test, and change builders. */
import type { Change } from "../../src/plan/types.ts";
import type { CheckedGithub } from "./github-checked.ts";
import { seedOrg } from "./fake-github/index.ts";
import { createTestGithubProvider, GITHUB_TOKEN } from "./github-provider.ts";
import type { GithubProviderSetup } from "./github-provider.ts";

export interface OrgFactory {
  /** A new organization owned by the token's account (gatehouse-bot), and a provider for it. */
  readonly orgWith: (
    seed: { owners?: string[]; members?: string[]; enterpriseMembers?: string[] },
    settings?: Record<string, unknown>,
    options?: { token?: string },
  ) => Promise<GithubProviderSetup & { org: string }>;
  readonly closeAll: () => Promise<void>;
}

export function createOrgFactory(gh: () => CheckedGithub, prefix: string): OrgFactory {
  const open: GithubProviderSetup[] = [];
  let count = 0;
  return {
    orgWith: async (seed, settings = {}, options = {}) => {
      count += 1;
      const org = `${prefix}-${String(count)}`;
      seedOrg(gh().fake, { org, viewer: "gatehouse-bot", token: GITHUB_TOKEN, ...seed });
      const setup = await createTestGithubProvider(gh().url, { org, ...settings }, options);
      open.push(setup);
      return { ...setup, org };
    },
    closeAll: async () => {
      for (const setup of open) await setup.close();
    },
  };
}

/** A change as the planner would emit it (test data: fields not named get plain defaults). */
export function change(partial: Record<string, unknown>): Change {
  return {
    provider: "github",
    reason: "added-in-config",
    risk: "broadens",
    id: JSON.stringify(partial),
    ...partial,
  } as Change;
}

export const addMember = (group: string, member: string): Change =>
  change({ kind: "membership", action: "add", group, member, memberKind: "user" });
