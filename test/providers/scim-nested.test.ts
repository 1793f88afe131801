/**
 * A SCIM group may hold groups (RFC 7643 section 4.2). The connector does not nest, so that access is not
 * gatehouse's to count or remove; it must still be seen (LiveState.unmanaged: plan notes, see plan-edges).
 * Better Auth keeps no group members, so the fault proxy adds one to what the server answers.
 */
import { afterEach, describe, expect, it } from "vitest";
import { scimContext, scimProviderConfig, startScimServer, type ScimServer } from "../harness/scim-server.ts";
import { startFaultProxy, type FaultProxy, type ForwardedAnswer } from "../harness/fault-proxy.ts";
import { createScimProviderWith, type ScimProvider } from "../../src/providers/scim/provider.ts";
import { groupCreate, memberChange as member, userCreate } from "./scim-changes.ts";

const signal = (): AbortSignal => AbortSignal.timeout(25_000);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

describe("scim group members that are groups", { tags: ["slow"] }, () => {
  let server: ScimServer;
  let proxy: FaultProxy;
  let provider: ScimProvider;
  afterEach(async () => {
    await provider.close();
    await proxy.close();
    await server.close();
  });

  it("are noted as access gatehouse does not manage, with or without a member type", async () => {
    server = await startScimServer();
    const ids = new Map<string, string>();
    /** "admins" answers with "agents" as a member: typed Group, or with no type at all. */
    let typed = true;
    const respond = (a: ForwardedAnswer) => {
      const body = a.body;
      if (!isRecord(body) || a.status >= 300 || !a.path.includes("/Groups")) return undefined;
      const nest = (g: unknown): unknown => {
        if (!isRecord(g) || typeof g["id"] !== "string" || typeof g["displayName"] !== "string") return g;
        ids.set(g["displayName"], g["id"]);
        const agents = ids.get("agents");
        if (g["displayName"] !== "admins" || agents === undefined) return g;
        const members: unknown[] = Array.isArray(g["members"]) ? (g["members"] as unknown[]) : [];
        return { ...g, members: [...members, { value: agents, ...(typed ? { type: "Group" } : {}) }] };
      };
      if (Array.isArray(body["Resources"])) {
        // Twice: the ids of both groups are known before "admins" is rewritten.
        body["Resources"].forEach(nest);
        return { body: { ...body, Resources: body["Resources"].map(nest) } };
      }
      return { body: nest(body) };
    };
    proxy = await startFaultProxy(server.baseUrl, { respond });
    provider = createScimProviderWith(scimProviderConfig(proxy.baseUrl), scimContext(server.token));
    await provider.read(signal());
    for (const batch of [
      [userCreate("ann")],
      [groupCreate("admins")],
      [groupCreate("agents")],
      [member("admins", "ann", "add")],
    ])
      for (const outcome of await provider.apply(batch, signal())) expect(outcome.status).toBe("applied");

    for (const isTyped of [true, false]) {
      typed = isTyped;
      const live = await provider.read(signal());
      expect(live.groups.find((g) => g.name === "admins")?.members).toEqual(["ann@example.com"]);
      expect(live.unmanaged).toEqual([
        expect.stringMatching(
          /^group "admins" holds the group "agents" as a member: .* gatehouse neither counts nor removes/,
        ),
      ]);
    }
  });
});
