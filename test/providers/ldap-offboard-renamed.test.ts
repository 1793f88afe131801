/**
 * The offboarding check follows a leaver's account by its entryUUID: renamed after the run disabled it,
 * it is checked under its new name, not called gone. Real slapd.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ChangeResult } from "../../src/apply/apply-plan.ts";
import { verifyOffboarding } from "../../src/apply/offboard-verify.ts";
import type { Change } from "../../src/plan/types.ts";
import type { Provider } from "../../src/providers/types.ts";
import { rawValues, type Slapd, slapdWithProvider } from "../harness/slapd.ts";
import { DISABLED, PEOPLE, person, uid } from "./ldap-ldif.ts";

const signal = (): AbortSignal => AbortSignal.timeout(60_000);

const ldap = slapdWithProvider();
afterEach(ldap.stop);

const DISABLE_BEN: Change = {
  id: "ldap:user/ben",
  provider: "ldap",
  kind: "user",
  action: "disable",
  account: "ben",
  userId: "ben",
  reason: "user-terminated",
  risk: "narrows",
};

/** ben disabled (moved into the disabled OU) by a provider that read the directory first. */
async function disabledBen(): Promise<{ s: Slapd; p: Provider; result: ChangeResult }> {
  const { server: s, provider: p } = await ldap.start(
    { ldif: [person("ada"), person("ben")].join("\n") },
    { disable: { method: "move", ou: "ou=disabled" } },
  );
  await p.read(signal());
  const [outcome] = await p.apply([DISABLE_BEN], signal());
  const [id] = await rawValues(s, uid("ben", DISABLED), "entryUUID");
  expect(outcome).toEqual({ status: "applied", accountId: id });
  const result: ChangeResult = {
    change: DISABLE_BEN,
    outcome: "applied",
    at: new Date().toISOString(),
    attempts: 1,
    ...(id === undefined ? {} : { accountId: id }),
  };
  return { s, p, result };
}

describe("ldap offboarding check by entryUUID", { tags: ["slow"] }, () => {
  it("checks an account renamed and enabled again after the run disabled it under its new name: access left", async () => {
    const { s, p, result } = await disabledBen();
    // Someone renames ben to ben2 and moves the entry back among the active people.
    await s.ldapmodify(
      `dn: ${uid("ben", DISABLED)}\nchangetype: modrdn\nnewrdn: uid=ben2\ndeleteoldrdn: 1\nnewsuperior: ${PEOPLE}\n`,
    );
    const [check] = await verifyOffboarding([result], new Map([["ldap", p]]), signal(), { afterMs: 0 });
    expect(check).toMatchObject({ account: "ben", renamedTo: "ben2", accountState: "enabled", clean: false });
  });

  it("calls an account renamed while it stays disabled clean, and says it was renamed", async () => {
    const { s, p, result } = await disabledBen();
    await s.ldapmodify(
      `dn: ${uid("ben", DISABLED)}\nchangetype: modrdn\nnewrdn: uid=ben-old\ndeleteoldrdn: 1\n`,
    );
    const [check] = await verifyOffboarding([result], new Map([["ldap", p]]), signal(), { afterMs: 0 });
    expect(check).toMatchObject({
      account: "ben",
      renamedTo: "ben-old",
      accountState: "disabled",
      clean: true,
    });
  });
});

describe("ldap offboarding check of a leaver renamed after the run", { tags: ["slow"] }, () => {
  it("still looks for the DN the run moved the entry from, in groups outside the scope", async () => {
    const LEGACY = `ou=legacy,dc=example,dc=com`;
    const { server: s, provider: p } = await ldap.start(
      {
        refint: false,
        ldif: [
          person("ben"),
          `dn: ${LEGACY}\nobjectClass: organizationalUnit\nou: legacy\n`,
          `dn: cn=vpn-users,${LEGACY}\nobjectClass: groupOfNames\ncn: vpn-users\nmember: ${uid("ben")}\n`,
        ].join("\n"),
      },
      { disable: { method: "move", ou: "ou=disabled" } },
    );
    await p.read(signal());
    const [outcome] = await p.apply([DISABLE_BEN], signal());
    const id = outcome?.status === "applied" ? outcome.accountId : undefined;
    // Renamed by hand after the run; without refint, vpn-users still names uid=ben,ou=people.
    await s.ldapmodify(
      `dn: ${uid("ben", DISABLED)}\nchangetype: modrdn\nnewrdn: uid=ben-old\ndeleteoldrdn: 1\n`,
    );
    const result: ChangeResult = {
      change: DISABLE_BEN,
      outcome: "applied",
      at: new Date().toISOString(),
      attempts: 1,
      ...(id === undefined ? {} : { accountId: id }),
    };
    const [check] = await verifyOffboarding([result], new Map([["ldap", p]]), signal(), { afterMs: 0 });
    expect(check).toMatchObject({
      account: "ben",
      renamedTo: "ben-old",
      groupsOutside: [`cn=vpn-users,${LEGACY}`],
      clean: false,
    });
  });
});
