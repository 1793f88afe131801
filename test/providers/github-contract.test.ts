import { describe } from "vitest";
import { describeProviderContract } from "./contract.ts";
import { startCheckedGithub } from "../harness/github-checked.ts";
import { seedOrg, seedUsers } from "../harness/fake-github/index.ts";
import { createTestGithubProvider, GITHUB_TOKEN } from "../harness/github-provider.ts";

describe("github", { tags: ["slow"] }, () => {
  describeProviderContract(
    "github (fake GitHub behind Prism, checked against GitHub's OpenAPI description)",
    async () => {
      const gh = await startCheckedGithub();
      seedOrg(gh.fake, { org: "acme", viewer: "gatehouse-bot", token: GITHUB_TOKEN, owners: ["olivia"] });
      const setup = await createTestGithubProvider(gh.url);
      return {
        provider: setup.provider,
        seedUsers: (accounts) => {
          // People sign up on GitHub themselves and accept the invitation; here they are simply members.
          seedUsers(gh.fake, accounts, { org: "acme", role: "member" });
          return Promise.resolve();
        },
        close: async () => {
          await setup.close();
          const violations = gh
            .violations()
            .filter((v) => !v.includes("Unable to match the returned status code"));
          await gh.close();
          if (violations.length > 0)
            throw new Error(`GitHub API description violated:\n${violations.join("\n")}`);
        },
      };
    },
  );
});
