/**
 * The fake GitHub itself, through Prism: every exchange here is checked against GitHub's OpenAPI description,
 * so these tests pin the fake's honesty (shapes, status codes, headers) for the provider and for later features.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckedGithub } from "../harness/github-checked.ts";
import { startCheckedGithub } from "../harness/github-checked.ts";
import { seedOrg, seedPull, seedTeam, seedUsers } from "../harness/fake-github/index.ts";

let gh: CheckedGithub;
const TOKEN = "ghp_fakeApiTestToken";

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${gh.url}${path}`, {
    method,
    headers: {
      authorization: `token ${TOKEN}`,
      accept: "application/json",
      "content-type": "application/json",
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const json: unknown = text === "" ? undefined : JSON.parse(text);
  return { status: res.status, headers: res.headers, body: json };
}

/** The numeric `id` of a JSON body, checked. */
function idOf(body: unknown): number {
  const id: unknown = typeof body === "object" && body !== null ? Reflect.get(body, "id") : undefined;
  if (typeof id !== "number") throw new Error(`no numeric id in ${JSON.stringify(body)}`);
  return id;
}

describe("fake GitHub behind Prism", { tags: ["slow"] }, () => {
  beforeAll(async () => {
    gh = await startCheckedGithub();
    seedOrg(gh.fake, { org: "acme", viewer: "bot", token: TOKEN, owners: ["olivia"], members: ["alice"] });
    seedUsers(
      gh.fake,
      Array.from({ length: 120 }, (_, i) => `user-${String(i)}`),
      { org: "acme", role: "member" },
    );
    seedTeam(gh.fake, "acme", { name: "Platform", members: ["alice"], maintainers: ["olivia"] });
    seedTeam(gh.fake, "acme", { name: "Platform SRE", parent: "Platform", members: ["user-1"] });
    seedPull(gh.fake, {
      owner: "acme",
      repo: "access",
      number: 7,
      author: "alice",
      files: [{ filename: "access/groups/platform.yaml", patch: "+  - alice" }],
      reviews: [{ user: "olivia", state: "APPROVED" }],
    });
  });
  afterAll(async () => {
    await gh.close();
  });

  describe("fake GitHub: conformance (checked by Prism against GitHub's OpenAPI description)", () => {
    it("paginates with per_page (at most 100), page and a Link header that points back through the proxy", async () => {
      const first = await call("GET", "/orgs/acme/members?per_page=500");
      expect(first.status).toBe(200);
      expect(first.body).toHaveLength(100);
      expect(first.headers.get("link")).toContain(
        `<${gh.url}/orgs/acme/members?per_page=100&page=2>; rel="next"`,
      );
      const last = await call("GET", "/orgs/acme/members?per_page=100&page=2");
      expect(last.body).toHaveLength(23);
      expect(last.headers.get("link")).toContain('rel="prev"');
    });

    it("sends rate-limit headers on every response and charges nothing for a 304", async () => {
      const first = await call("GET", "/users/alice");
      for (const h of ["limit", "remaining", "reset", "used", "resource"])
        expect(first.headers.get(`x-ratelimit-${h}`)).toBeTruthy();
      const used = Number(first.headers.get("x-ratelimit-used"));
      const again = await call("GET", "/users/alice", undefined, {
        "if-none-match": first.headers.get("etag") ?? "",
      });
      expect(again.status).toBe(304);
      expect(Number(again.headers.get("x-ratelimit-used"))).toBe(used);
    });

    it("answers unknown things 404, a bad token 401, and validation errors 422 in GitHub's shape", async () => {
      expect((await call("GET", "/users/nobody-here")).status).toBe(404);
      expect(
        (await call("GET", "/orgs/acme/teams", undefined, { authorization: "token nope" })).body,
      ).toMatchObject({
        message: "Bad credentials",
      });
      const dup = await call("POST", "/orgs/acme/teams", { name: "platform" });
      expect(dup).toMatchObject({
        status: 422,
        body: {
          message: "Validation Failed",
          errors: [{ resource: "Team", field: "name", code: "already_exists" }],
        },
      });
    });

    it("lists team members as plain users, including members of child teams, and filters by ?role", async () => {
      const members = await call("GET", "/orgs/acme/teams/platform/members");
      expect(members.body).toEqual([
        expect.objectContaining({ login: "olivia" }),
        expect.objectContaining({ login: "alice" }),
        expect.objectContaining({ login: "user-1" }),
      ]);
      expect(JSON.stringify(members.body)).not.toMatch(/"role"|"inherited"/);
      const maintainers = await call("GET", "/orgs/acme/teams/platform/members?role=maintainer");
      expect(maintainers.body).toEqual([expect.objectContaining({ login: "olivia" })]);
      gh.fake.state.requireOrg("acme").teamMemberFields = true;
      const withFields = await call("GET", "/orgs/acme/teams/platform/members");
      gh.fake.state.requireOrg("acme").teamMemberFields = false;
      expect(withFields.body).toEqual([
        expect.objectContaining({ login: "olivia", role: "maintainer", inherited: false }),
        expect.objectContaining({ login: "alice", role: "member", inherited: false }),
        expect.objectContaining({ login: "user-1", role: "member", inherited: true }),
      ]);
      const children = await call("GET", "/orgs/acme/teams/platform/teams");
      expect(children.body).toEqual([
        expect.objectContaining({
          slug: "platform-sre",
          parent: expect.objectContaining({ slug: "platform" }) as unknown,
        }),
      ]);
    });

    it("makes a team's creator its maintainer, renames teams by slug, and deletes child teams with a parent", async () => {
      const created = await call("POST", "/orgs/acme/teams", { name: "Ops Team", privacy: "closed" });
      expect(created).toMatchObject({ status: 201, body: { slug: "ops-team", privacy: "closed" } });
      expect((await call("GET", "/orgs/acme/teams/ops-team/memberships/bot")).body).toMatchObject({
        role: "maintainer",
      });
      const renamed = await call("PATCH", "/orgs/acme/teams/ops-team", { name: "Ops Crew" });
      expect(renamed.body).toMatchObject({ slug: "ops-crew" });
      await call("PATCH", "/orgs/acme/teams/ops-crew", {
        parent_team_id: gh.fake.state.requireOrg("acme").teams[0]?.id,
      });
      expect((await call("DELETE", "/orgs/acme/teams/platform")).status).toBe(204);
      expect((await call("GET", "/orgs/acme/teams/ops-crew")).status).toBe(404);
    });

    it("keeps an account's id through a rename and gives a re-registered login a new id", async () => {
      const before = await call("GET", "/users/user-5");
      gh.fake.state.renameLogin("user-5", "user-5-new");
      expect((await call("GET", "/users/user-5-new")).body).toMatchObject({ id: idOf(before.body) });
      gh.fake.state.reRegisterLogin("user-6");
      const old = gh.fake.state.requireUser("user-6-old");
      const fresh = await call("GET", "/users/user-6");
      expect(idOf(fresh.body)).not.toBe(old.id);
      expect((await call("GET", `/user/${String(old.id)}`)).body).toMatchObject({ login: "user-6-old" });
    });

    it("invites by numeric id, refuses a second invitation, and cancels with 204", async () => {
      const dave = gh.fake.state.addUser("dave");
      const invited = await call("POST", "/orgs/acme/invitations", {
        invitee_id: dave.id,
        role: "direct_member",
      });
      expect(invited).toMatchObject({ status: 201, body: { login: "dave", role: "direct_member" } });
      expect((await call("GET", "/orgs/acme/memberships/dave")).body).toMatchObject({ state: "pending" });
      expect((await call("POST", "/orgs/acme/invitations", { invitee_id: dave.id })).status).toBe(422);
      expect((await call("DELETE", `/orgs/acme/invitations/${String(idOf(invited.body))}`)).status).toBe(204);
      expect((await call("GET", "/orgs/acme/invitations")).body).toEqual([]);
    });

    it("serves a pull request, its files and reviews, and takes comments, statuses and check runs", async () => {
      expect((await call("GET", "/repos/acme/access/pulls/7")).body).toMatchObject({
        number: 7,
        user: { login: "alice" },
      });
      expect((await call("GET", "/repos/acme/access/pulls/7/files")).body).toEqual([
        expect.objectContaining({ filename: "access/groups/platform.yaml", patch: "+  - alice" }),
      ]);
      expect((await call("GET", "/repos/acme/access/pulls/7/reviews")).body).toEqual([
        expect.objectContaining({
          state: "APPROVED",
          user: expect.objectContaining({ login: "olivia" }) as unknown,
        }),
      ]);
      const comment = await call("POST", "/repos/acme/access/issues/7/comments", { body: "plan: 1 change" });
      expect(comment.status).toBe(201);
      const id = idOf(comment.body);
      expect(
        (await call("PATCH", `/repos/acme/access/issues/comments/${String(id)}`, { body: "plan: 2 changes" }))
          .body,
      ).toMatchObject({ body: "plan: 2 changes" });
      expect((await call("GET", "/repos/acme/access/issues/7/comments")).body).toEqual([
        expect.objectContaining({ id, body: "plan: 2 changes" }),
      ]);
      const sha = "0123456789abcdef0123456789abcdef01234567";
      expect(
        (
          await call("POST", `/repos/acme/access/statuses/${sha}`, {
            state: "success",
            context: "gatehouse/approval",
          })
        ).status,
      ).toBe(201);
      const run = await call("POST", "/repos/acme/access/check-runs", {
        name: "gatehouse plan",
        head_sha: sha,
        conclusion: "success",
        output: { title: "Plan", summary: "ok" },
      });
      expect(run).toMatchObject({ status: 201, body: { status: "completed", conclusion: "success" } });
    });

    it("raised no schema violation in any exchange above (only undeclared status codes are tolerated)", () => {
      const violations = gh
        .violations()
        .filter((v) => !v.includes("Unable to match the returned status code"));
      expect(violations).toEqual([]);
    });
  });
});
