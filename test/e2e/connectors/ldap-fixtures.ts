import { BASE_DN } from "../../harness/slapd.ts";

/** Where the connector repo's LDAP provider keeps people, and leavers moved out (disable: move). */
export const PEOPLE = `ou=people,${BASE_DN}`;
export const DISABLED = `ou=disabled,${BASE_DN}`;

/** A person's DN, under the people OU unless said otherwise. */
export const uid = (account: string, ou = PEOPLE): string => `uid=${account},${ou}`;

/**
 * The two managers of the connector repo's files, in the directory already as the files give them
 * (gatehouse adopts them), as LDIF for startSlapd.
 */
export const MANAGERS_LDIF = [
  { uid: "ada", cn: "Ada Lovelace", sn: "Lovelace", title: "Engineering Manager", department: "ENG" },
  { uid: "eli", cn: "Eli Moss", sn: "Moss", title: "Controller", department: "FIN" },
]
  .map(
    (m) =>
      `dn: ${uid(m.uid)}\nobjectClass: inetOrgPerson\nuid: ${m.uid}\ncn: ${m.cn}\nsn: ${m.sn}\n` +
      `mail: ${m.cn.toLowerCase().replace(" ", ".")}@example.com\ntitle: ${m.title}\n` +
      `departmentNumber: ${m.department}\nemployeeType: employee\n`,
  )
  .join("\n");
