/** LDIF builders for the OpenLDAP test tree (dc=example,dc=com): people, groupOfNames, add records. */
import { BASE_DN, EMPTY_MEMBER_DN } from "../harness/slapd.ts";

export const PEOPLE = `ou=people,${BASE_DN}`;
export const GROUPS = `ou=groups,${BASE_DN}`;
export const DISABLED = `ou=disabled,${BASE_DN}`;

/** DN of a person under `ou` (the people OU by default). */
export const uid = (account: string, ou = PEOPLE): string => `uid=${account},${ou}`;
/** DN of a group in the groups OU. */
export const cn = (group: string): string => `cn=${group},${GROUPS}`;

/** An inetOrgPerson entry with a name and mail, plus `extra` attributes. */
export function person(account: string, extra: Readonly<Record<string, string>> = {}, ou = PEOPLE): string {
  const lines = [`dn: ${uid(account, ou)}`, "objectClass: inetOrgPerson", `uid: ${account}`];
  lines.push(`cn: ${account} Person`, `sn: Person`, `mail: ${account}@example.com`);
  for (const [k, v] of Object.entries(extra)) lines.push(`${k}: ${v}`);
  return lines.join("\n") + "\n";
}

/** A groupOfNames entry; with no members it holds the placeholder, as gatehouse keeps it. */
export function group(name: string, members: readonly string[]): string {
  const values = members.length > 0 ? members : [EMPTY_MEMBER_DN];
  return [`dn: ${cn(name)}`, "objectClass: groupOfNames", `cn: ${name}`, ...values.map((m) => `member: ${m}`)]
    .join("\n")
    .concat("\n");
}

/** An entry's LDIF as an ldapmodify "changetype: add" record. */
export const asAdd = (ldif: string): string => ldif.replace(/^(dn: .*)\n/, "$1\nchangetype: add\n");
