import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Change } from "../../src/plan/types.ts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import type { Provider } from "../../src/providers/types.ts";
import { ldapConfig, ldapContext, startSlapd, type Slapd } from "../harness/slapd.ts";

const signal = (): AbortSignal => AbortSignal.timeout(20_000);
const base = { provider: "ldap", reason: "added-in-config", risk: "neutral" } as const;

async function applyAll(provider: Provider, changes: Change[]): Promise<void> {
  for (const outcome of await provider.apply(changes, signal()))
    if (outcome.status === "failed") throw outcome.error;
}

describe("ldap provider renames a group in place", { tags: ["slow"] }, () => {
  let server: Slapd;
  let provider: Provider;

  beforeAll(async () => {
    server = await startSlapd();
    provider = createLdapProvider(
      ldapConfig(server, {}, { nesting: true }),
      ldapContext(server.password, []),
    );
    for (const account of ["ann", "ben"]) {
      await applyAll(provider, [
        { ...base, id: `u-${account}`, kind: "user", action: "create", account, after: { name: account } },
      ]);
    }
    await applyAll(provider, [
      { ...base, id: "g1", kind: "group", action: "create", group: "team-old-write", description: "Old" },
      { ...base, id: "g2", kind: "group", action: "create", group: "team-outer-read" },
    ]);
    await applyAll(provider, [
      {
        ...base,
        id: "m1",
        kind: "membership",
        action: "add",
        group: "team-old-write",
        member: "ann",
        memberKind: "user",
      },
      {
        ...base,
        id: "m2",
        kind: "membership",
        action: "add",
        group: "team-old-write",
        member: "ben",
        memberKind: "user",
      },
    ]);
    await applyAll(provider, [
      {
        ...base,
        id: "m3",
        kind: "membership",
        action: "add",
        group: "team-outer-read",
        member: "team-old-write",
        memberKind: "group",
      },
    ]);
  });
  afterAll(async () => {
    await provider.close();
    await server.stop();
  });

  it("keeps the members, updates the description, and the nesting group follows the new name", async () => {
    await applyAll(provider, [
      {
        ...base,
        id: "rename",
        kind: "group",
        action: "update",
        group: "team-old-write",
        fields: [
          { field: "name", before: "team-old-write", after: "team-new-write" },
          { field: "description", before: "Old", after: "New" },
        ],
        description: "New",
      },
    ]);
    // refint rewrites the nested group's member value in the background: poll briefly.
    let live = await provider.read(signal());
    for (
      let i = 0;
      i < 50 &&
      !live.groups.find((g) => g.name === "team-outer-read")?.groupMembers?.includes("team-new-write");
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
      live = await provider.read(signal());
    }
    expect(live.groups.find((g) => g.name === "team-old-write")).toBeUndefined();
    const renamed = live.groups.find((g) => g.name === "team-new-write");
    expect([...(renamed?.members ?? [])].sort()).toEqual(["ann", "ben"]);
    expect(renamed?.description).toBe("New");
    expect(live.groups.find((g) => g.name === "team-outer-read")?.groupMembers).toEqual(["team-new-write"]);
  });
});
