/**
 * An account renamed in place whose attribute write after the modifyDN fails: the outcome says the
 * account was made under its new name (accountMade), so the member moves that wait for it still run.
 * Real slapd.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Change } from "../../src/plan/types.ts";
import { slapdWithProvider } from "../harness/slapd.ts";
import { person } from "./ldap-ldif.ts";

const signal = (): AbortSignal => AbortSignal.timeout(60_000);

const ldap = slapdWithProvider();
afterEach(ldap.stop);

describe("ldap rename in place, halfway", { tags: ["slow"] }, () => {
  it("reports the rename as made when the write after the modifyDN is refused", async () => {
    const { provider } = await ldap.start({ ldif: person("ada") });
    await provider.read(signal());
    // mail is an IA5String: the directory refuses a non-ASCII address, after the modifyDN was made.
    const rename: Change = {
      id: "ldap:user/ada",
      provider: "ldap",
      kind: "user",
      action: "update",
      account: "ada",
      userId: "ada",
      fields: [
        { field: "account", before: "ada", after: "ada.new" },
        { field: "email", before: "ada@example.com", after: "adé@example.com" },
      ],
      after: { email: "adé@example.com" },
      reason: "added-in-config",
      risk: "neutral",
    };
    const [outcome] = await provider.apply([rename], signal());
    expect(outcome?.status).toBe("failed");
    expect(outcome?.status === "failed" ? outcome.error.message : "").toContain(
      'the account "ada" was renamed to "ada.new", but writing its other attributes failed',
    );
    expect(outcome).toMatchObject({ accountMade: true });
    const live = await provider.read(signal());
    expect(live.users.map((u) => u.account)).toEqual(["ada.new"]);
  });
});
