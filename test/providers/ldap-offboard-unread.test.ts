/**
 * The offboarding check looks for a leaver's entry the read does not return: an entry under the base DN
 * holding their account name but of another object class than the people filter's (a NIS-migrated
 * `account` + `posixAccount` entry). gatehouse neither reads nor disables it, so it may still sign in: the
 * check is not clean, where it used to say "account gone". Real slapd.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ChangeResult } from "../../src/apply/apply-plan.ts";
import { describeCheck } from "../../src/apply/describe-check.ts";
import { verifyOffboarding } from "../../src/apply/offboard-verify.ts";
import type { Change } from "../../src/plan/types.ts";
import { slapdWithProvider } from "../harness/slapd.ts";
import { group, person, uid } from "./ldap-ldif.ts";

const signal = (): AbortSignal => AbortSignal.timeout(60_000);

const ldap = slapdWithProvider();
afterEach(ldap.stop);

/** An entry named walter that the people filter (objectClass=inetOrgPerson) does not match. */
const NIS_WALTER =
  `dn: ${uid("walter")}\nobjectClass: account\nobjectClass: posixAccount\nuid: walter\ncn: Walter\n` +
  "uidNumber: 10050\ngidNumber: 100\nhomeDirectory: /home/walter\nuserPassword: walter-Pass1\n";

/** The leaver's removal from ops, as the plan makes it (there is no account of theirs in the read to disable). */
const REMOVE_WALTER: Change = {
  id: "ldap:membership/ops/walter",
  provider: "ldap",
  kind: "membership",
  action: "remove",
  group: "ops",
  member: "walter",
  memberKind: "user",
  userId: "walter",
  reason: "user-terminated",
  risk: "narrows",
};

async function checkAfterRemoval(ldif: string) {
  const { provider } = await ldap.start({ ldif });
  await provider.read(signal());
  const [outcome] = await provider.apply([REMOVE_WALTER], signal());
  expect(outcome).toMatchObject({ status: "applied" });
  const result: ChangeResult = {
    change: REMOVE_WALTER,
    outcome: "applied",
    at: new Date().toISOString(),
    attempts: 1,
  };
  const [check] = await verifyOffboarding([result], new Map([["ldap", provider]]), signal(), { afterMs: 0 });
  return check;
}

describe("ldap offboarding check, an entry the people filter does not match", { tags: ["slow"] }, () => {
  it("is not clean while an entry of another class holds the leaver's name, and says where it is", async () => {
    const check = await checkAfterRemoval(
      [person("ann"), NIS_WALTER, group("ops", [uid("ann"), uid("walter")])].join("\n"),
    );
    expect(check).toMatchObject({
      account: "walter",
      clean: false,
      accountState: "absent",
      groups: [],
      elsewhere: uid("walter"),
    });
    expect(check && describeCheck(check)).toContain(
      `an account of that name is outside the scope gatehouse reads, at ${uid("walter")}`,
    );
  });

  it("is clean when no entry holds the name (a group of that name is no account)", async () => {
    const check = await checkAfterRemoval(
      [person("ann"), group("ops", [uid("ann"), uid("walter")]), group("walter", [uid("ann")])].join("\n"),
    );
    expect(check).toMatchObject({ account: "walter", clean: true, accountState: "absent" });
    expect(check?.elsewhere).toBeUndefined();
  });
});
