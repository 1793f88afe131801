/**
 * Directory.applyMembers against a scripted client: a member modify that loses a race with refint (the
 * value it deletes was rewritten a moment before) reads the group again and writes what is still needed.
 */
import { describe, expect, it } from "vitest";
import { ProviderError } from "../../src/errors.ts";
import type { ProviderConfig } from "../../src/model/access.ts";
import type { MembershipChange } from "../../src/plan/types.ts";
import type { SearchRequest } from "../../src/providers/ldap/client.ts";
import { LdapClient } from "../../src/providers/ldap/client.ts";
import { Directory } from "../../src/providers/ldap/directory.ts";
import type { LdapEntry, LdapModification } from "../../src/providers/ldap/map.ts";
import { parseLdapSettings } from "../../src/providers/ldap/settings.ts";

const BASE = "dc=example,dc=com";
const CAROL = `uid=carol,ou=people,${BASE}`;
const CAROL_DISABLED = `uid=carol,ou=disabled,${BASE}`;
const ALICE = `uid=alice,ou=people,${BASE}`;
const GROUP = `cn=team,ou=groups,${BASE}`;

const config: ProviderConfig = {
  name: "ldap",
  type: "ldap",
  mode: "authoritative",
  nesting: false,
  settings: { url: "ldap://127.0.0.1:1", baseDn: BASE, bindDn: `cn=gh,${BASE}`, passwordEnv: "PW" },
  source: { file: "access/gatehouse.yaml", line: 4, column: 5 },
};
const settings = parseLdapSettings(config, "/repo");

function entry(dn: string, attributes: Record<string, string[]>): LdapEntry {
  return { dn, attributes: new Map(Object.entries(attributes)) };
}

/** Answers searches from a script and fails the first modify with the given LDAP result code. */
class ScriptedClient extends LdapClient {
  readonly modifies: LdapModification[][] = [];
  private readonly groupReads: string[][];
  private readonly firstModifyCode: number;

  constructor(groupReads: string[][], firstModifyCode: number) {
    super({
      provider: "ldap",
      url: "ldap://127.0.0.1:1",
      startTls: false,
      bindDn: `cn=gh,${BASE}`,
      password: "unused",
      passwordEnv: "PW",
      timeoutMs: 1_000,
      pageSize: 10,
      rangeSize: 10,
    });
    this.groupReads = groupReads;
    this.firstModifyCode = firstModifyCode;
  }

  override search(request: SearchRequest): Promise<LdapEntry[]> {
    if (String(request.filter).includes("groupOfNames")) {
      const member = this.groupReads.shift() ?? [];
      return Promise.resolve([entry(GROUP, { cn: ["team"], member })]);
    }
    return Promise.resolve([entry(CAROL, { uid: ["carol"] })]);
  }

  override modify(_dn: string, mods: readonly LdapModification[]): Promise<void> {
    this.modifies.push([...mods]);
    if (this.modifies.length > 1) return Promise.resolve();
    const message = `no such value (LDAP ${this.firstModifyCode})`;
    return Promise.reject(new ProviderError("ldap", "modify", message, { status: this.firstModifyCode }));
  }
}

const removeCarol: MembershipChange = {
  id: "ldap:membership/team/carol",
  provider: "ldap",
  kind: "membership",
  action: "remove",
  group: "team",
  member: "carol",
  memberKind: "user",
  reason: "removed-from-config",
  risk: "narrows",
};

describe("ldap member writes racing refint", () => {
  it("reads the group again after 'no such value' and deletes the value refint wrote meanwhile", async () => {
    // First read: refint has not yet rewritten carol's value back from the disabled OU; then it has.
    const client = new ScriptedClient(
      [
        [CAROL_DISABLED, ALICE],
        [CAROL, ALICE],
      ],
      16,
    );
    const directory = new Directory("ldap", settings, client, () => Date.now());
    expect(await directory.applyMembers("team", [removeCarol], AbortSignal.timeout(5_000))).toEqual([
      undefined,
    ]);
    expect(client.modifies).toEqual([
      [{ operation: "delete", attribute: "member", values: [CAROL_DISABLED] }],
      [{ operation: "delete", attribute: "member", values: [CAROL] }],
    ]);
  });

  it("does not retry other failures", async () => {
    const client = new ScriptedClient([[CAROL, ALICE]], 65);
    const directory = new Directory("ldap", settings, client, () => Date.now());
    await expect(directory.applyMembers("team", [removeCarol], AbortSignal.timeout(5_000))).rejects.toThrow(
      "LDAP 65",
    );
    expect(client.modifies).toHaveLength(1);
  });
});
