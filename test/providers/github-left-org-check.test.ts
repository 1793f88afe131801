import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckedGithub } from "../harness/github-checked.ts";
import { startCheckedGithub } from "../harness/github-checked.ts";
import { change, createOrgFactory } from "../harness/github-orgs.ts";

const signal = (): AbortSignal => AbortSignal.timeout(20_000);
let gh: CheckedGithub;
const { orgWith, closeAll } = createOrgFactory(() => gh, "left");

describe("github: the check after removing someone from the organization", () => {
  beforeAll(async () => {
    gh = await startCheckedGithub();
  });
  afterAll(async () => {
    await closeAll();
    await gh.close();
  });

  it("does not retry a removal GitHub answered when only the check after it failed (the retry's DELETE would get 404)", async () => {
    const { provider, org } = await orgWith({ members: ["dora", "erin"] }, { maxRetries: 0 });
    await provider.read(signal());
    // GitHub removes dora, then cannot answer the check (a 502 through every retry of the client).
    gh.fake.injectFault({
      count: 1,
      status: 502,
      match: (method, path) => method === "GET" && path.endsWith(`/orgs/${org}/memberships/dora`),
    });
    const disable = change({ kind: "user", action: "disable", account: "dora", risk: "narrows" });
    const [outcome] = await provider.apply([disable], signal());
    const members = (await provider.read(signal())).users.map((u) => u.account);
    expect(members).not.toContain("dora"); // removed
    // Not retried: a second DELETE gets 404, and the journal would say the removal failed, "Not Found".
    expect(outcome?.status === "failed" && outcome.error.isTransient).toBe(false);
    expect(outcome?.status === "failed" && outcome.error.message).toMatch(
      /GitHub answered the removal of dora, but whether they left .* could not be checked/,
    );
  });
});
