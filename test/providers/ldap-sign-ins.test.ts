/**
 * Last sign-ins from LDAP: the two kinds of time LDAP servers write, the settings, and a real OpenLDAP
 * 2.5 slapd with olcLastBind on, where a real bind sets pwdLastSuccess and `gatehouse accounts` reads it.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import type { ProviderConfig } from "../../src/model/access.ts";
import type { AccountsReport } from "../../src/lifecycle/account-review.ts";
import { parseLdapSettings } from "../../src/providers/ldap/settings.ts";
import { parseFileTime, parseGeneralizedTime, parseLdapTime } from "../../src/providers/ldap/sign-ins.ts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import {
  ldapConfig,
  ldapContext,
  PASSWORD_ENV,
  rawValues,
  startSlapd,
  type Slapd,
} from "../harness/slapd.ts";
import { captureIo } from "../helpers/cli-io.ts";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";

describe("LDAP times", () => {
  it.each([
    ["20260301090000Z", "2026-03-01T09:00:00.000Z"],
    ["20260301090000.5Z", "2026-03-01T09:00:00.500Z"],
    ["20260301090000,25Z", "2026-03-01T09:00:00.250Z"],
    ["20260301090000.0Z", "2026-03-01T09:00:00.000Z"], // Active Directory's whenCreated
    ["202603010900Z", "2026-03-01T09:00:00.000Z"],
    ["2026030109Z", "2026-03-01T09:00:00.000Z"],
    ["2026030109.5Z", "2026-03-01T09:30:00.000Z"], // a fraction of the hour
    ["20260301090000+0130", "2026-03-01T07:30:00.000Z"],
    ["20260301000000-05", "2026-03-01T05:00:00.000Z"],
  ])("reads the generalized time %s", (value, iso) => {
    expect(parseGeneralizedTime(value)).toBe(iso);
    expect(parseLdapTime(value)).toBe(iso);
  });

  it.each(["20260301090000", "20261301090000Z", "20260431090000Z", "20260301250000Z", "2026-03-01", ""])(
    "reads no time from %j",
    (value) => {
      expect(parseGeneralizedTime(value)).toBeUndefined();
    },
  );

  it("reads Active Directory's FILETIME, and none from its values for never", () => {
    // 2026-03-01T09:00:00Z: (ms since 1970 + 11644473600000) * 10000.
    const ticks = (BigInt(Date.parse("2026-03-01T09:00:00Z")) + 11_644_473_600_000n) * 10_000n;
    expect(parseFileTime(ticks.toString())).toBe("2026-03-01T09:00:00.000Z");
    expect(parseLdapTime((ticks + 9_999n).toString())).toBe("2026-03-01T09:00:00.000Z");
    expect(parseFileTime("0")).toBeUndefined();
    expect(parseFileTime("9223372036854775807")).toBeUndefined();
    expect(parseFileTime("-5")).toBeUndefined();
    expect(parseFileTime("12x")).toBeUndefined();
  });
});

describe("ldap lastLoginAttribute", () => {
  const config = (settings: Record<string, unknown>): ProviderConfig =>
    ldapConfig({ url: "ldap://127.0.0.1:389", baseDn: "dc=x", bindDn: "cn=gh,dc=x" }, settings);

  it("reads pwdLastSuccess on OpenLDAP and lastLogonTimestamp on Active Directory, unless told otherwise", () => {
    expect(parseLdapSettings(config({}), "/repo").lastLoginAttribute).toBe("pwdLastSuccess");
    expect(parseLdapSettings(config({ flavour: "activeDirectory" }), "/repo").lastLoginAttribute).toBe(
      "lastLogonTimestamp",
    );
    expect(
      parseLdapSettings(config({ lastLoginAttribute: "authTimestamp" }), "/repo").lastLoginAttribute,
    ).toBe("authTimestamp");
    expect(
      parseLdapSettings(config({ lastLoginAttribute: null }), "/repo").lastLoginAttribute,
    ).toBeUndefined();
    expect(() => parseLdapSettings(config({ lastLoginAttribute: "last login" }), "/repo")).toThrow(
      /setting "lastLoginAttribute" must be an LDAP attribute name, got "last login"/,
    );
  });

  it("gives a provider without signIns when it is null", () => {
    const off = createLdapProvider(config({ lastLoginAttribute: null }), ldapContext("pw"));
    const on = createLdapProvider(config({}), ldapContext("pw"));
    expect(typeof off.signIns).toBe("undefined");
    expect(typeof on.signIns).toBe("function");
  });
});

const PEOPLE = "ou=people,dc=example,dc=com";
const person = (uid: string): string =>
  `dn: uid=${uid},${PEOPLE}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${uid}\nsn: ${uid}\nuserPassword: ${uid}-pw-1\n`;

/** A simple bind as a person, as they would sign in to an application that checks against LDAP. */
async function signIn(server: Slapd, uid: string): Promise<void> {
  const client = new Client({ url: server.url, timeout: 10_000 });
  try {
    await client.bind(`uid=${uid},${PEOPLE}`, `${uid}-pw-1`);
  } finally {
    await client.unbind();
  }
}

describe("OpenLDAP 2.5 with olcLastBind", { tags: ["slow"] }, () => {
  let server: Slapd;
  let tree: AccessTree;
  let before: number;
  let after: number;

  beforeAll(async () => {
    server = await startSlapd({
      lastBind: true,
      ldif: [person("ann"), person("ben"), person("carl")].join("\n"),
    });
    before = Math.floor(Date.now() / 1000) * 1000;
    await signIn(server, "ann");
    after = Date.now();
    tree = await writeAccessTree({
      "gatehouse.yaml": gatehouseYaml(server, ""),
      "users/people.yaml": "users:\n  - { id: ann, name: ann }\n  - { id: ben, name: ben }\n",
    });
  });
  afterAll(async () => {
    await tree.remove();
    await server.stop();
  });

  it("records a real bind in pwdLastSuccess, which the provider reads with each account's creation time", async () => {
    // Operational and written by the server only: not even the rootdn may set it.
    expect(await rawValues(server, `uid=ann,${PEOPLE}`, "pwdLastSuccess")).toHaveLength(1);
    await expect(
      server.ldapmodify(
        `dn: uid=ann,${PEOPLE}\nchangetype: modify\nreplace: pwdLastSuccess\npwdLastSuccess: 20200101000000Z\n`,
      ),
    ).rejects.toThrow(/no user modification allowed/);
    const provider = createLdapProvider(ldapConfig(server), ldapContext(server.password));
    try {
      const signIns = await provider.signIns?.(AbortSignal.timeout(30_000));
      expect(signIns?.source).toBe("pwdLastSuccess");
      const ann = signIns?.accounts.get("ann");
      const at = Date.parse(ann?.lastLogin ?? "");
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(after);
      expect(signIns?.accounts.get("ben")?.lastLogin).toBeUndefined();
      expect(Date.parse(signIns?.accounts.get("ben")?.createdAt ?? "")).toBeLessThanOrEqual(after);
      expect([...(signIns?.accounts.keys() ?? [])].sort()).toEqual(["ann", "ben", "carl"]);
    } finally {
      await provider.close();
    }
  });

  it("reports, through the CLI, who has not signed in for the threshold, and the account in no access file", async () => {
    const later = new Date(after + 100 * 86_400_000);
    const report = await accounts(tree, server, later, ["--format", "json"]);
    const [ldap] = report.json?.systems ?? [];
    expect(ldap?.signIns).toBe("pwdLastSuccess");
    expect(ldap?.stale.map((s) => [s.account, s.lastLogin === undefined])).toEqual([
      ["ann", false], // signed in 100 days before `later`
      ["ben", true], // never signed in; his entry is as old
    ]);
    expect(ldap?.orphaned.map((o) => [o.account, o.kind, o.plan])).toEqual([["carl", "no-person", []]]);
    expect(report.out).not.toContain(server.password);

    const soon = await accounts(tree, server, new Date(after + 86_400_000), ["--format", "json"]);
    expect(soon.json?.systems[0]?.stale).toEqual([]);
  });

  it("says so when lastLoginAttribute is null, or when no entry has the attribute (olcLastBind off)", async () => {
    await writeFile(
      path.join(tree.dir, "gatehouse.yaml"),
      gatehouseYaml(server, ", lastLoginAttribute: null"),
    );
    const off = await accounts(tree, server, new Date(after), []);
    expect(off.out).toContain("  ldap: no sign-in times; stale accounts not checked\n");
    await writeFile(
      path.join(tree.dir, "gatehouse.yaml"),
      gatehouseYaml(server, ", lastLoginAttribute: authTimestamp"),
    );
    const none = await accounts(tree, server, new Date(after), []);
    expect(none.out).toContain(
      "  ldap: no enabled account has a sign-in recorded (authTimestamp): the system may not record them; stale accounts not checked\n",
    );
    await writeFile(path.join(tree.dir, "gatehouse.yaml"), gatehouseYaml(server, ""));
  });
});

describe("OpenLDAP 2.5 without olcLastBind", { tags: ["slow"] }, () => {
  it("records no bind, and the report checks no stale account there rather than calling all stale", async () => {
    const server = await startSlapd({ ldif: person("ann") });
    const tree = await writeAccessTree({
      "gatehouse.yaml": gatehouseYaml(server, ""),
      "users/people.yaml": "users:\n  - { id: ann, name: ann }\n",
    });
    try {
      await signIn(server, "ann");
      expect(await rawValues(server, `uid=ann,${PEOPLE}`, "pwdLastSuccess")).toEqual([]);
      const report = await accounts(tree, server, new Date(Date.now() + 400 * 86_400_000), []);
      expect(report.out).toContain(
        "  ldap: no enabled account has a sign-in recorded (pwdLastSuccess): the system may not record them; stale accounts not checked\n",
      );
    } finally {
      await tree.remove();
      await server.stop();
    }
  });
});

function gatehouseYaml(server: Slapd, more: string): string {
  return (
    "providers:\n" +
    `  ldap: { type: ldap, url: "${server.url}", baseDn: "${server.baseDn}", bindDn: "${server.bindDn}", passwordEnv: ${PASSWORD_ENV}${more} }\n`
  );
}

async function accounts(
  tree: AccessTree,
  server: Slapd,
  now: Date,
  argv: string[],
): Promise<{ out: string; json?: AccountsReport }> {
  await mkdir(path.join(tree.cwd, ".gatehouse"), { recursive: true });
  const { io, out, err } = captureIo(tree.cwd, { [PASSWORD_ENV]: server.password, GATEHOUSE_QUIET: "1" });
  const code = await main(["accounts", ...argv], { ...io, now: () => now });
  const text = out.join("");
  expect(code, err.join("")).toBe(0);
  return {
    out: text + err.join(""),
    ...(argv.includes("json") ? { json: JSON.parse(text) as AccountsReport } : {}),
  };
}

describe("OpenLDAP 2.5 with olcLastBind, leavers moved to ou=disabled", { tags: ["slow"] }, () => {
  it("reports a leaver's disabled account that signed in after leaving: the move did not stop the bind", async () => {
    const disabled = "ou=disabled,dc=example,dc=com";
    const server = await startSlapd({
      lastBind: true,
      ldif: [person("ann"), person("fay").replace(PEOPLE, disabled)].join("\n"),
    });
    const tree = await writeAccessTree({
      "gatehouse.yaml": gatehouseYaml(server, ", disable: { method: move, ou: ou=disabled }"),
      "users/people.yaml":
        "users:\n  - { id: ann, name: ann }\n  - { id: fay, name: fay, status: terminated, endDate: 2026-01-10 }\n",
    });
    try {
      const client = new Client({ url: server.url, timeout: 10_000 });
      try {
        await client.bind(`uid=fay,${disabled}`, "fay-pw-1");
      } finally {
        await client.unbind();
      }
      const report = await accounts(tree, server, new Date(Date.now() + 60_000), ["--format", "json"]);
      const [ldap] = report.json?.systems ?? [];
      expect(ldap?.orphaned).toEqual([]);
      expect(ldap?.disabledSignedIn).toMatchObject([
        { account: "fay", userId: "fay", endDate: "2026-01-10" },
      ]);
      expect(Date.parse(ldap?.disabledSignedIn[0]?.lastLogin ?? "")).toBeGreaterThan(
        Date.parse("2026-01-11"),
      );
      expect(report.json?.summary.disabledSignedIn).toBe(1);
      const text = await accounts(tree, server, new Date(Date.now() + 60_000), []);
      expect(text.out).toContain("  disabled, yet SIGNED IN AFTER LEAVING (1):");
      expect(text.out).toMatch(/\n {4}fay {2}fay left: .*endDate 2026-01-10\n {6}last sign-in 20/);
    } finally {
      await tree.remove();
      await server.stop();
    }
  });
});
