import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckedGithub } from "../harness/github-checked.ts";
import { startCheckedGithub } from "../harness/github-checked.ts";
import { seedTeam } from "../harness/fake-github/index.ts";
import { addMember, createOrgFactory } from "../harness/github-orgs.ts";

const signal = (): AbortSignal => AbortSignal.timeout(20_000);
let gh: CheckedGithub;
const { orgWith, closeAll } = createOrgFactory(() => gh, "pacing");

/** An organization with a team and three members to add to it; the provider has read it. */
async function threeAdds(settings: Record<string, unknown>) {
  const setup = await orgWith({ members: ["ana", "bo", "cy"] }, settings);
  seedTeam(gh.fake, setup.org, { name: "ops" });
  await setup.provider.read(signal());
  const apply = async (): Promise<number> => {
    const started = performance.now();
    const outcomes = await setup.provider.apply(
      ["ana", "bo", "cy"].map((login) => addMember("ops", login)),
      signal(),
    );
    expect(outcomes.map((o) => o.status)).toEqual(["applied", "applied", "applied"]);
    return performance.now() - started;
  };
  return { ...setup, apply };
}

describe("github: pacing of writes (writeInterval)", () => {
  beforeAll(async () => {
    gh = await startCheckedGithub();
  });
  afterAll(async () => {
    await closeAll();
    await gh.close();
  });

  it("paces writes one second apart by default, and not at all with writeInterval: 0", async () => {
    // undefined: the setting left out of gatehouse.yaml (the test harness otherwise sets 0).
    const paced = await threeAdds({ writeInterval: undefined });
    const before = gh.fake.requests.length;
    expect(await paced.apply()).toBeGreaterThanOrEqual(1_900);
    expect(gh.fake.writes(before).map((w) => w.method)).toEqual(["PUT", "PUT", "PUT"]);

    const unpaced = await threeAdds({ writeInterval: 0 });
    expect(await unpaced.apply()).toBeLessThan(900);
  });

  it("keeps each provider's pacing to itself: an unpaced provider does not queue behind a paced one", async () => {
    const paced = await threeAdds({ writeInterval: "2s" });
    const unpaced = await threeAdds({ writeInterval: 0 });
    // Both at once: with one write queue for the process, the unpaced writes would wait their turn.
    const [slow, fast] = await Promise.all([paced.apply(), unpaced.apply()]);
    expect(slow).toBeGreaterThanOrEqual(3_900);
    expect(fast).toBeLessThan(900);
  });
});
