import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { validateAccessTree } from "../../src/validate/validate-tree.ts";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

it("reports one misspelt key inside a provider's settings once, not every sibling key as unknown", async () => {
  const cwd = await mkdtemp(join(tmpdir(), "gh-provider-settings-"));
  dirs.push(cwd);
  await mkdir(join(cwd, "access"));
  await writeFile(
    join(cwd, "access", "gatehouse.yaml"),
    [
      "providers:",
      "  ldap:",
      "    type: ldap",
      "    url: ldap://127.0.0.1:389",
      "    bindDn: cn=admin,dc=example,dc=com",
      "    passwordEnv: GATEHOUSE_LDAP_PASSWORD",
      "    baseDn: dc=example,dc=com",
      "    groups: { ou: ou=groups, objectClazz: groupOfNames }",
      "",
    ].join("\n"),
  );
  const tree = await validateAccessTree("access", { cwd, now: new Date("2026-11-25T00:00:00Z") });
  const schemaErrors = tree.diagnostics.filter((d) => d.code === "GH100");
  expect(schemaErrors.map((d) => `${d.file}:${String(d.line)}:${String(d.column)} ${d.message}`)).toEqual([
    `access/gatehouse.yaml:8:30 /providers/ldap/groups: unknown key "objectClazz"; allowed keys: ou, objectClass, emptyMember, gidNumberStart`,
  ]);
});
