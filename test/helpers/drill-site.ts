import { writeAccessTree, type AccessTree } from "./access-tree.ts";

/**
 * ann and a drill canary, in ops and vpn, in two local directories: `app`, and `wiki` with `wikiSettings`
 * added to its provider entry (`, lockTimeoutMs: 200`, say); `maxRemovals: 10`. The caller removes it.
 */
export function canarySite(wikiSettings = ""): Promise<AccessTree> {
  return writeAccessTree({
    "gatehouse.yaml": `providers:
  app: { type: local, path: .gatehouse/app.json, mode: authoritative }
  wiki: { type: local, path: .gatehouse/wiki.json, mode: authoritative${wikiSettings} }
policy:
  guardrails: { maxRemovals: 10 }
  admins: [ann]
  drills:
    canaries: [canary]
`,
    "users/people.yaml":
      "users:\n  - { id: ann, name: Ann }\n  - { id: canary, name: Canary, employmentType: service }\n",
    "groups/teams.yaml": `groups:
  - name: ops
    owners: [ann]
    members: [ann, canary]
  - name: vpn
    owners: [ann]
    members: [canary]
`,
  });
}
