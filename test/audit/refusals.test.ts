import { describe, expect, it } from "vitest";
import { readRefusal, refusalConcerns, refusalNames } from "../../src/audit/refusals.ts";
import type { Guardrails } from "../../src/model/access.ts";
import { checkGuardrails } from "../../src/plan/safety.ts";
import { entry, group, live, liveGroup, liveUser, model, planFor, policy, user } from "../builders.ts";

const guard = (guardrails: Partial<Guardrails>) =>
  policy({ guardrails: { protectedUsers: [], protectedGroups: [], ...guardrails } });

/** The refusals safety.ts gives, in its own words: what a refused run records in its apply-start. */
function refusalsOf(): string[] {
  // svc.deploy leaves (protected user); ann's line leaves prod-admin (protected); bob leaves team-a, which
  // all-eng (protected) nests; legacy is deleted; and the removals go over the limit.
  const plan = planFor(
    model({
      users: [user("svc.deploy", { status: "terminated" }), user("ann"), user("bob")],
      groups: [group("prod-admin", []), group("team-a", []), group("all-eng", [entry.group("team-a", 1)])],
    }),
    {
      mode: "authoritative",
      nativeNesting: true,
      live: live(
        [liveUser("svc.deploy", { tokens: 2 }), liveUser("ann"), liveUser("bob")],
        [
          liveGroup("prod-admin", ["ann", "svc.deploy"]),
          liveGroup("team-a", ["bob"]),
          liveGroup("all-eng", [], { groupMembers: ["team-a"] }),
          liveGroup("legacy", ["ann"]),
        ],
      ),
    },
  );
  return checkGuardrails(
    plan,
    guard({
      protectedUsers: ["svc.deploy"],
      protectedGroups: ["prod-admin", "all-eng", "legacy"],
      maxRemovals: { kind: "count", value: 1 },
    }),
  );
}

describe("readRefusal", () => {
  it("reads what each refusal safety.ts gives is about", () => {
    const read = refusalsOf()
      .map(readRefusal)
      .sort((a, b) => (a.changeId ?? "").localeCompare(b.changeId ?? ""));
    // The removal limit: about a system, no change.
    expect(read[0]?.message).toMatch(/^the plan removes \d+ memberships or accounts in directory/);
    expect(read[0]).toEqual({ message: read[0]?.message, provider: "directory" });
    expect(read.slice(1)).toEqual([
      expect.objectContaining({
        changeId: "directory:group/legacy",
        provider: "directory",
        group: "legacy",
      }),
      expect.objectContaining({
        changeId: "directory:membership/prod-admin/ann",
        group: "prod-admin",
        account: "ann",
      }),
      expect.objectContaining({
        changeId: "directory:membership/prod-admin/svc.deploy",
        group: "prod-admin",
        account: "svc.deploy",
        protectedUser: "svc.deploy",
      }),
      expect.objectContaining({
        changeId: "directory:membership/team-a/bob",
        group: "team-a",
        nestingGroup: "all-eng",
        account: "bob",
      }),
      expect.objectContaining({
        changeId: "directory:user/svc.deploy",
        account: "svc.deploy",
        protectedUser: "svc.deploy",
      }),
      expect.objectContaining({
        changeId: "directory:user/svc.deploy#sessions",
        account: "svc.deploy",
        protectedUser: "svc.deploy",
      }),
    ]);
    // Every refusal safety.ts gives is read as about a system.
    expect(read.every((r) => r.provider === "directory")).toBe(true);
  });

  it("names a group through the group it nests, and a person by account or id", () => {
    const nested = readRefusal(
      "app:membership/team-a/bob: membership remove narrows protected group all-eng, which nests team-a; re-run with --force if intended",
    );
    expect(refusalNames(nested, { group: "all-eng" })).toBe(true);
    expect(refusalNames(nested, { group: "team-a" })).toBe(true);
    expect(refusalNames(nested, { group: "team-b" })).toBe(false);
    expect(refusalNames(nested, { user: "bob", provider: "app" })).toBe(true);
    expect(refusalNames(nested, { user: "bob", provider: "ldap" })).toBe(false);
    const person = readRefusal(
      "ldap:user/b.smith: user disable touches protected user bob; re-run with --force if intended",
    );
    expect(refusalNames(person, { user: "bob" })).toBe(true);
    expect(refusalNames(person, { user: "b.smith" })).toBe(true);
    expect(refusalNames(person, { group: "team-a" })).toBe(false);
  });

  it("takes a removal limit, and words it does not know, as possibly about anyone", () => {
    const limit = readRefusal(
      "the plan removes 4 memberships or accounts in app, more than allowed (policy.guardrails.maxRemovals is 2); if that is intended, re-run with --allow-removals 4",
    );
    expect(refusalNames(limit, { user: "bob" })).toBe(false);
    expect(refusalConcerns(limit, { user: "bob" })).toBe(true);
    expect(refusalConcerns(limit, { group: "team", provider: "app" })).toBe(true);
    expect(refusalConcerns(limit, { group: "team", provider: "ldap" })).toBe(false);
    const unknown = readRefusal("some refusal a later gatehouse words otherwise");
    expect(unknown).toEqual({ message: "some refusal a later gatehouse words otherwise" });
    expect(refusalConcerns(unknown, { user: "bob", provider: "ldap" })).toBe(true);
  });
});
