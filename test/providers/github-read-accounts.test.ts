/**
 * The offboarding check's read of a few leavers (Provider.readAccounts): a membership GET each instead of
 * the whole organization, giving what the full read shows of them (liveOfAccounts), or nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveOfAccounts } from "../../src/apply/offboard-verify.ts";
import type { CheckedGithub } from "../harness/github-checked.ts";
import { startCheckedGithub } from "../harness/github-checked.ts";
import { seedInvitations, seedTeam, seedUsers } from "../harness/fake-github/index.ts";
import { createOrgFactory } from "../harness/github-orgs.ts";

const signal = (): AbortSignal => AbortSignal.timeout(20_000);
let gh: CheckedGithub;
const { orgWith, closeAll } = createOrgFactory(() => gh, "few");

/** An organization of 6 members in 5 teams: its full read takes well over a dozen calls. */
async function mediumOrg(settings: Record<string, unknown> = {}) {
  const members = ["ann", "bo", "cy", "di", "ed", "flo"];
  const setup = await orgWith({ members }, settings);
  for (const name of ["web", "api", "ops", "data", "sec"])
    seedTeam(gh.fake, setup.org, { name, members: members.slice(0, 3) });
  seedUsers(gh.fake, ["gone-1", "gone-2", "expired"]);
  seedInvitations(gh.fake, setup.org, ["invited", "expired"]);
  gh.fake.state.expireInvitation(setup.org, "expired");
  return setup;
}

describe("github: the offboarding check reads a few leavers, not the organization", () => {
  beforeAll(async () => {
    gh = await startCheckedGithub();
  });
  afterAll(async () => {
    await closeAll();
    await gh.close();
  });

  it("reads leavers who left with one membership GET each (and the failed invitations once), as the full read shows them", async () => {
    const { provider } = await mediumOrg();
    const full = await provider.read(signal());
    const fullCalls = provider.stats().reads;
    expect(fullCalls).toBeGreaterThan(10);
    const leavers = ["gone-1", "gone-2", "expired"];
    const before = provider.stats().reads;
    const few = await provider.readAccounts?.(leavers, signal());
    // Three membership GETs (404) and the failed invitations, instead of the whole organization again.
    expect(provider.stats().reads - before).toBe(4);
    expect(few).toEqual(liveOfAccounts(full, leavers, provider.capabilities));
    expect(few?.users).toEqual([
      { account: "expired", enabled: false, pending: true, invitationFailed: true },
    ]);
  });

  it("does not read the failed invitations where a full read does not list them (retryFailedInvitations: true)", async () => {
    const { provider } = await mediumOrg({ retryFailedInvitations: true });
    const full = await provider.read(signal());
    const before = provider.stats().reads;
    const few = await provider.readAccounts?.(["gone-1", "expired"], signal());
    expect(provider.stats().reads - before).toBe(2);
    expect(few).toEqual(liveOfAccounts(full, ["gone-1", "expired"], provider.capabilities));
  });

  it("leaves a leaver still in the organization, or invited, to the full read, which says which teams hold them", async () => {
    const { provider } = await mediumOrg();
    await provider.read(signal());
    for (const still of ["ann", "invited"]) {
      const before = provider.stats().reads;
      expect(await provider.readAccounts?.(["gone-1", still], signal())).toBeUndefined();
      expect(provider.stats().reads - before).toBe(2); // stops at the first one still there
    }
  });

  it("reads the organization whole when that takes fewer calls than one per leaver, or before any full read", async () => {
    const { provider } = await mediumOrg();
    expect(await provider.readAccounts?.(["gone-1"], signal())).toBeUndefined(); // nothing to compare with
    await provider.read(signal());
    const fullCalls = provider.stats().reads;
    const many = Array.from({ length: fullCalls }, (_, i) => `leaver-${String(i)}`);
    const before = provider.stats().reads;
    expect(await provider.readAccounts?.(many, signal())).toBeUndefined();
    expect(provider.stats().reads).toBe(before);
  });
});
