import { describe, expect, it } from "vitest";
import type { ProviderConfig } from "../../src/model/access.ts";
import { parseGithubSettings, readGithubToken } from "../../src/providers/github/settings.ts";
import { parseAccessFile } from "../../src/load/parse.ts";
import { validateDocumentSchema } from "../../src/validate/schema.ts";

const config = (settings: Record<string, unknown>): ProviderConfig => ({
  name: "github",
  type: "github",
  mode: "authoritative",
  nesting: true,
  settings,
  source: { file: "access/gatehouse.yaml", line: 4, column: 3 },
});

describe("github settings", () => {
  it("fills defaults and resolves the ids file against the working directory", () => {
    expect(parseGithubSettings(config({ org: "acme" }), "/repo")).toEqual({
      org: "acme",
      tokenEnv: "GITHUB_TOKEN",
      baseUrl: "https://api.github.com",
      maintainers: "none",
      minAdmins: 1,
      requiredAdmins: [],
      idsFile: "/repo/.gatehouse/github-ids.json",
      teamPrivacy: "closed",
      retryFailedInvitations: false,
      maxRetries: 3,
      readCache: false,
      writeIntervalMs: 1000,
      removeUnlistedOwners: false,
    });
  });

  it.each([
    [0, 0],
    ["0", 0],
    ["250ms", 250],
    ["2s", 2000],
  ])("reads writeInterval %j as %d ms", (value, ms) => {
    expect(parseGithubSettings(config({ org: "acme", writeInterval: value }), "/repo").writeIntervalMs).toBe(
      ms,
    );
  });

  it.each([
    [{}, /org is required/],
    [{ org: "acme", minAdmins: 0 }, /minAdmins must be a whole number from 1 to 1000/],
    [
      { org: "acme", requiredAdmins: ["ok", "not a login"] },
      /requiredAdmins has "not a login", not a GitHub login/,
    ],
    [{ org: "acme", maintainers: "everyone" }, /maintainers must be one of: owners, none/],
    [{ org: "acme", token: "ghp_x" }, /token is not a github setting/],
    [{ org: "acme", baseUrl: "ftp://x" }, /baseUrl must be an http\(s\) URL/],
    [
      { org: "acme", writeInterval: "1m" },
      /writeInterval must be 0 or a duration such as 1s or 250ms, at most 60s; got "1m"/,
    ],
    [{ org: "acme", writeInterval: "61s" }, /writeInterval must be 0 or a duration/],
    [{ org: "acme", writeInterval: 1 }, /writeInterval must be 0 or a duration/],
    [
      { org: "acme", baseUrl: "http://ghe.example.com/api/v3" },
      /baseUrl must use https: the token would cross/,
    ],
  ])("rejects %j with a message naming the key and the line", (settings, message) => {
    expect(() => parseGithubSettings(config(settings), "/repo")).toThrow(message);
    expect(() => parseGithubSettings(config(settings), "/repo")).toThrow(
      /access\/gatehouse\.yaml:4:3 provider "github"/,
    );
  });

  it("names the missing environment variable, never a value", () => {
    const settings = parseGithubSettings(config({ org: "acme", tokenEnv: "GH_ADMIN_TOKEN" }), "/repo");
    expect(() => readGithubToken(config({}), settings, {})).toThrow(
      /environment variable GH_ADMIN_TOKEN is not set/,
    );
    expect(readGithubToken(config({}), settings, { GH_ADMIN_TOKEN: " ghp_abc \n" })).toBe("ghp_abc");
  });
});

describe("github settings schema", () => {
  const check = (yaml: string) => {
    const { document } = parseAccessFile("access/gatehouse.yaml", new TextEncoder().encode(yaml));
    if (!document) throw new Error("did not parse");
    return validateDocumentSchema(document, "config").map((d) => d.message);
  };

  it("accepts every github setting next to the common provider keys", () => {
    expect(
      check(
        [
          "providers:",
          "  github:",
          "    type: github",
          "    mode: authoritative",
          "    nesting: true",
          "    description: the acme org",
          "    org: acme",
          "    tokenEnv: GATEHOUSE_GITHUB_TOKEN",
          "    baseUrl: https://github.example.com/api/v3",
          "    maintainers: owners",
          "    minAdmins: 2",
          "    requiredAdmins: [octo-admin]",
          "    idsFile: .gatehouse/github-ids.json",
          "    teamPrivacy: secret",
          "    retryFailedInvitations: true",
          "    maxRetries: 2",
          "    writeInterval: 250ms",
          "    removeUnlistedOwners: true",
          "",
        ].join("\n"),
      ),
    ).toEqual([]);
  });

  it.each(["fast", "1m", "-1s", 1])("rejects writeInterval: %j at its line and column", (value) => {
    const { document } = parseAccessFile(
      "access/gatehouse.yaml",
      new TextEncoder().encode(
        `providers:\n  github:\n    type: github\n    org: acme\n    writeInterval: ${String(value)}\n`,
      ),
    );
    if (!document) throw new Error("did not parse");
    const found = validateDocumentSchema(document, "config").filter(
      (d) => d.path?.includes("writeInterval") === true,
    );
    expect(found.length).toBeGreaterThan(0);
    expect(found.map((d) => [d.file, d.line, d.column])).toContainEqual(["access/gatehouse.yaml", 5, 20]);
  });

  it("rejects an unknown key and a missing org", () => {
    const messages = check("providers:\n  github:\n    type: github\n    orgs: acme\n").join("\n");
    expect(messages).toMatch(/org/);
    expect(messages).toMatch(/orgs/);
  });
});
