import { describe, expect, it } from "vitest";
import { strictSchemas } from "../helpers/schemas.ts";

function configValidator() {
  const validate = strictSchemas().validator("gatehouse.schema.json");
  return (provider: Record<string, unknown>) =>
    validate({ providers: { saas: provider } })
      ? []
      : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""}`);
}

describe("scim settings schema", () => {
  const check = configValidator();

  it("accepts every setting together with the common provider keys", () => {
    expect(
      check({
        type: "scim",
        mode: "authoritative",
        nesting: false,
        accountName: "email",
        users: "members",
        description: "Ticketing app",
        baseUrl: "https://app.example.com/scim/v2",
        tokenEnv: "GATEHOUSE_SCIM_TOKEN",
        timeoutMs: 10_000,
        concurrency: 2,
        deleteUsers: true,
        readCache: true,
        pageSize: 50,
        maxMembersPerWrite: 25,
        attributeMapping: {
          title: null,
          userId: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
        },
        retry: { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 5_000 },
      }),
    ).toEqual([]);
  });

  it.each([
    [{ type: "scim", tokenEnv: "T" }, /baseUrl/],
    [{ type: "scim", baseUrl: "ftp://x", tokenEnv: "T" }, /pattern/],
    [{ type: "scim", baseUrl: "http://app.example.com/scim/v2", tokenEnv: "T" }, /pattern/],
    [{ type: "scim", baseUrl: "http://127.0.0.1.evil.example/scim", tokenEnv: "T" }, /pattern/],
    [{ type: "scim", baseUrl: "https://x", tokenEnv: "the token itself!" }, /tokenEnv must match pattern/],
    [
      { type: "scim", baseUrl: "https://x", tokenEnv: "T", attributeMapping: { shoeSize: "x" } },
      /additional/,
    ],
    [{ type: "scim", baseUrl: "https://x", tokenEnv: "T", deleteUsers: "yes" }, /boolean/],
    [{ type: "scim", baseUrl: "https://x", tokenEnv: "T", readCache: "yes" }, /boolean/],
  ])("rejects %j", (provider, message) => {
    expect(check(provider).join("\n")).toMatch(message);
  });
});
