import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckedGithub } from "../harness/github-checked.ts";
import { startCheckedGithub } from "../harness/github-checked.ts";
import { change, createOrgFactory } from "../harness/github-orgs.ts";

const signal = (): AbortSignal => AbortSignal.timeout(20_000);
let gh: CheckedGithub;
const { orgWith, closeAll } = createOrgFactory(() => gh, "lost");

describe("github: a create (POST) whose answer was lost", () => {
  beforeAll(async () => {
    gh = await startCheckedGithub();
  });
  afterAll(async () => {
    await closeAll();
    await gh.close();
  });

  it("is final when GitHub did not carry it out: not transient, so apply does not send the POST again", async () => {
    const { provider, org } = await orgWith({ members: [] }, { maxRetries: 0 });
    gh.fake.state.addUser("nina");
    await provider.read(signal());
    gh.fake.injectFault({
      count: 1,
      status: 502,
      match: (method, path) => method === "POST" && path === `/orgs/${org}/invitations`,
    });
    const invite = change({ kind: "user", action: "create", account: "nina", after: {} });
    const [outcome] = await provider.apply([invite], signal());
    expect(outcome?.status).toBe("failed");
    if (outcome?.status !== "failed") return;
    expect(outcome.error.isTransient).toBe(false);
    expect(outcome.error.message).toMatch(
      /GitHub answered 502.*not sent again \(GitHub may have carried it out\)/,
    );
  });

  it("counts a 422 'already invited' as done when GitHub lists the invitation", async () => {
    const { provider, org } = await orgWith({ members: [] });
    gh.fake.state.addUser("omar");
    await provider.read(signal());
    const invite = change({ kind: "user", action: "create", account: "omar", after: {} });
    expect((await provider.apply([invite], signal()))[0]?.status).toBe("applied");
    // Sent again (a plan saved before the first apply): GitHub answers 422, the invitation is there.
    const [again] = await provider.apply([invite], signal());
    expect(again).toEqual({
      status: "applied",
      confirmation: "invited (GitHub answered 422, but the invitation is there; pending until accepted)",
    });
    expect(gh.fake.state.requireOrg(org).invitations.filter((i) => i.failedAt === null)).toHaveLength(1);
  });
});
