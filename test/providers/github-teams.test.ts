import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckedGithub } from "../harness/github-checked.ts";
import { startCheckedGithub } from "../harness/github-checked.ts";
import { seedTeam } from "../harness/fake-github/index.ts";
import { addMember, change, createOrgFactory } from "../harness/github-orgs.ts";

const signal = (): AbortSignal => AbortSignal.timeout(20_000);
let gh: CheckedGithub;
const { orgWith, closeAll } = createOrgFactory(() => gh, "teams");

describe("github provider teams against the fake GitHub behind Prism", { tags: ["slow"] }, () => {
  beforeAll(async () => {
    gh = await startCheckedGithub();
  });
  afterAll(async () => {
    await closeAll();
    await gh.close();
  });

  describe("github provider: teams", () => {
    it("adds a maintainer when the change carries the maintainer role, and reports maintainers", async () => {
      const { provider, org } = await orgWith({ members: ["alice", "bob"] });
      seedTeam(gh.fake, org, { name: "team-web-write" });
      const outcomes = await provider.apply(
        [
          change({
            kind: "membership",
            action: "add",
            group: "team-web-write",
            member: "alice",
            memberKind: "user",
            role: "maintainer",
          }),
          addMember("team-web-write", "bob"),
        ],
        signal(),
      );
      expect(outcomes.map((o) => o.status)).toEqual(["applied", "applied"]);
      const live = await provider.read(signal());
      expect(live.groups.find((g) => g.name === "team-web-write")).toMatchObject({
        members: ["alice", "bob"],
        maintainers: ["alice"],
      });
    });

    it("reads maintainers with ?role=maintainer, since GitHub's member list usually carries no role", async () => {
      const { provider, org } = await orgWith({ members: ["alice", "olivia"] });
      seedTeam(gh.fake, org, { name: "team-ops-write", members: ["alice"], maintainers: ["olivia"] });
      const since = gh.fake.requests.length;
      const live = await provider.read(signal());
      expect(live.groups.find((g) => g.name === "team-ops-write")).toMatchObject({
        members: ["alice", "olivia"],
        maintainers: ["olivia"],
      });
      expect(
        gh.fake.requests
          .slice(since)
          .filter((r) => r.path === `/orgs/${org}/teams/team-ops-write/members`)
          .map((r) => new URLSearchParams(r.query).get("role")),
      ).toEqual([null, "maintainer"]);
    });

    it("takes roles from the member list without a second call when the org has GitHub's team-member role feature", async () => {
      const { provider, org } = await orgWith({ members: ["alice", "olivia"] });
      gh.fake.state.requireOrg(org).teamMemberFields = true;
      seedTeam(gh.fake, org, { name: "team-db-write", members: ["alice"], maintainers: ["olivia"] });
      const since = gh.fake.requests.length;
      const live = await provider.read(signal());
      expect(live.groups.find((g) => g.name === "team-db-write")).toMatchObject({ maintainers: ["olivia"] });
      expect(gh.fake.requests.slice(since).filter((r) => r.query.includes("role=maintainer"))).toEqual([]);
    });

    it("does not report a member who is only in a child team as a member of the parent, without an inherited flag", async () => {
      const { provider, org } = await orgWith({ members: ["alice", "carol"] });
      seedTeam(gh.fake, org, { name: "team-eng-read", members: ["alice"] });
      seedTeam(gh.fake, org, { name: "team-eng-sre-read", parent: "team-eng-read", maintainers: ["carol"] });
      const live = await provider.read(signal());
      // GitHub lists carol under team-eng-read too; she must not look like a direct member to be removed.
      expect(live.groups.find((g) => g.name === "team-eng-read")).toMatchObject({
        members: ["alice"],
        maintainers: [],
        groupMembers: ["team-eng-sre-read"],
      });
      expect(live.groups.find((g) => g.name === "team-eng-sre-read")).toMatchObject({
        members: ["carol"],
        maintainers: ["carol"],
      });
    });

    it("renames a team in place, keeping its id and members", async () => {
      const { provider, org } = await orgWith({ members: ["alice"] });
      const team = seedTeam(gh.fake, org, { name: "team-old-read", members: ["alice"] });
      const [outcome] = await provider.apply(
        [
          change({
            kind: "group",
            action: "update",
            group: "team-old-read",
            fields: [{ field: "name", before: "team-old-read", after: "team-new-read" }],
          }),
        ],
        signal(),
      );
      expect(outcome?.status).toBe("applied");
      expect(gh.fake.state.requireOrg(org).teams.find((t) => t.id === team.id)?.slug).toBe("team-new-read");
      expect((await provider.read(signal())).groups.map((g) => g.name)).toEqual(["team-new-read"]);
    });

    it("refuses to give a team a second parent", async () => {
      const { provider, org } = await orgWith({});
      seedTeam(gh.fake, org, { name: "team-p1-read" });
      seedTeam(gh.fake, org, { name: "team-p2-read" });
      seedTeam(gh.fake, org, { name: "team-kid-read", parent: "team-p1-read" });
      const [outcome] = await provider.apply(
        [
          change({
            kind: "membership",
            action: "add",
            group: "team-p2-read",
            member: "team-kid-read",
            memberKind: "group",
          }),
        ],
        signal(),
      );
      expect(outcome?.status === "failed" && outcome.error.message).toMatch(
        /already has parent team-p1-read; a GitHub team has one parent/,
      );
    });
  });
});
