/** Open offboarding verdicts recorded under a person's former id (formerIds) are that person's. */
import { describe, expect, it } from "vitest";
import type { OpenVerdict } from "../../src/audit/journal-fold.ts";
import { openVerdictsOf, unconfiguredVerdicts } from "../../src/engine/open-verdicts.ts";
import { providerConfig, user } from "../builders.ts";

const NOW = new Date("2026-11-27T17:00:00Z");
const LDAP = providerConfig({ name: "ldap", type: "ldap" });

const verdict = (seq: number, account: string, provider = "ldap"): OpenVerdict => ({
  type: "offboard-verified",
  seq,
  at: "2026-11-27T16:36:12.345Z",
  runSeq: seq - 1,
  triggeredAt: "2026-11-27T16:36:00.000Z",
  provider,
  account,
  userId: account,
  clean: false,
  accountState: "disabled",
  groups: [],
  groupsOutside: ["cn=vpn,ou=legacy,dc=example,dc=com"],
});
const verdicts = (...list: OpenVerdict[]): Map<string, OpenVerdict> =>
  new Map(list.map((v) => [`${v.provider}\n${v.account}`, v]));
const people = (...list: ReturnType<typeof user>[]) => new Map(list.map((u) => [u.id, u]));

describe("an open verdict under a former id", () => {
  it("closes when the person who lists the id is back, and stays open while they are a leaver", () => {
    const open = openVerdictsOf(
      verdicts(verdict(8, "dmitri"), verdict(9, "eve")),
      people(
        user("dmitri.volkov", { formerIds: ["dmitri"] }),
        user("eve.park", { formerIds: ["eve"], status: "terminated" }),
      ),
      LDAP,
      {},
      NOW,
    );
    expect(open.map((v) => v.account)).toEqual(["eve"]);
  });

  it("of a system gatehouse.yaml no longer has, closes the same way", () => {
    const open = unconfiguredVerdicts(
      verdicts(verdict(8, "dmitri", "old-ldap"), verdict(9, "gus", "old-ldap")),
      people(user("dmitri.volkov", { formerIds: ["dmitri"] })),
      new Set(["ldap"]),
      NOW,
    );
    expect(open.map((v) => v.account)).toEqual(["gus"]);
  });
});
