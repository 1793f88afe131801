/**
 * A leaver whose SCIM account someone renamed by hand in the application (userName and e-mail both), so
 * that neither the name nor the e-mail finds it, against a real SCIM 2.0 server (Better Auth's SCIM
 * plugin). The account gatehouse made for them is gone from its read, but one account carries their
 * record (externalId): it is theirs to offboard, in additive mode too, where a renamed account is
 * otherwise left alone. Without this the leaver kept every group of theirs, unseen.
 */
import { describe, expect, it } from "vitest";
import { isRecord } from "../../../src/audit/change-shape.ts";
import { startScimServer, type ScimServer } from "../../harness/scim-server.ts";
import { list, scim, usersNamed } from "./scim-calls.ts";
import { createConnectorRepo, removedAfterEach, terminate } from "./workspace.ts";

const TOKEN_ENV = "GATEHOUSE_SCIM_TOKEN";
const BEN = "ben.okafor@example.com";
const RENAMED = "b.okafor@elsewhere.example";

const keep = removedAfterEach<ScimServer>((server) => server.close());

async function userNamed(server: ScimServer, userName: string): Promise<Record<string, unknown>> {
  const [found] = await usersNamed(server, userName);
  if (found === undefined) throw new Error(`no user ${userName}`);
  return found;
}

/** The displayNames of the groups that hold the user of SCIM id `id`. */
async function groupsOf(server: ScimServer, id: string): Promise<string[]> {
  return (await list(server, "/Groups?count=100"))
    .filter((g) => Array.isArray(g["members"]) && g["members"].some((m) => isRecord(m) && m["value"] === id))
    .map((g) => String(g["displayName"]))
    .sort();
}

describe("a leaver's SCIM account renamed by hand (real SCIM server)", { tags: ["slow"] }, () => {
  it("is found by the leaver's record and offboarded, in additive mode", async () => {
    const server = await startScimServer();
    const repo = await createConnectorRepo({
      provider: {
        name: "saas",
        yaml: `    type: scim\n    mode: additive\n    baseUrl: ${server.baseUrl}\n    tokenEnv: ${TOKEN_ENV}\n    accountName: email\n`,
      },
      env: { [TOKEN_ENV]: server.token },
    });
    keep({ server, repo });
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    const ben = await userNamed(server, BEN);
    const id = String(ben["id"]);
    expect(ben["externalId"]).toBe("ben");
    const held = await groupsOf(server, id);
    expect(held.length).toBeGreaterThan(0);

    // Renamed in the application: another userName and another e-mail; the externalId stays.
    await scim(server, "PATCH", `/Users/${id}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [
        { op: "replace", path: "userName", value: RENAMED },
        { op: "replace", path: "emails", value: [{ value: RENAMED, primary: true }] },
      ],
    });
    await terminate(repo, "ben");

    const plan = await repo.run(["plan"]);
    expect(plan.stdout).toContain(`- disable user ${RENAMED}  (user terminated`);
    expect(plan.stdout).toContain(
      `account ${RENAMED} in saas carries the record (externalId) of ben, whose account ${BEN}, made by gatehouse, is not there: renamed by hand, it is treated as ben's`,
    );
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`clean saas: ${RENAMED} (ben): account disabled, in no group`);
    expect((await userNamed(server, RENAMED))["active"]).toBe(false);
    expect(await groupsOf(server, id)).toEqual([]);
  });
});
