import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LineCounter, parseDocument } from "yaml";
import { buildAccessModel, type ClassifiedDocument } from "../../src/load/build-model.ts";
import { readPlainYaml } from "../../src/load/fast-yaml.ts";
import { fastLocator } from "../../src/load/fast-locator.ts";
import { yamlLocator } from "../../src/load/locate.ts";
import type { AccessDocument } from "../../src/load/parse.ts";
import type { Group, MemberEntry } from "../../src/model/access.ts";

/** A document as the fast reader (and the parse cache) hands it over. */
function fastDoc(file: string, text: string): AccessDocument {
  const fast = readPlainYaml(text);
  if (!fast) throw new Error(`the fast reader declined ${file}`);
  return { file, locator: fastLocator(fast), data: fast.data, digest: "" };
}

/** The same document as the yaml package reads it. */
function yamlDoc(file: string, text: string): AccessDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, strict: true, merge: false });
  return { file, locator: yamlLocator(doc, lineCounter), data: doc.toJS(), digest: "" };
}

function access(document: AccessDocument, invalidPaths: readonly string[] = []): ClassifiedDocument {
  return { document, kind: "access", invalidPaths };
}

const USERS = `users:
  - id: ada
    name: Ada Lovelace
    email: ada@example.com
    department: ENG
    title: Engineer
    manager: grace
    employmentType: contractor
    status: leave
    startDate: 2024-02-01
    endDate: 2026-12-31
    accounts: { github: ada-gh, ldap: alovelace }
  - id: grace
    name: Grace Hopper
    employmentType: astronaut
    status: retired
  - name: No Id
  - id: noname
`;

const GROUPS = `groups:
  - name: team-a
    description: Team A
    sensitivity: privileged
    owners: [grace, ada]
    providers: [directory]
    formerNames: [team-old]
    members:
      - ada
      - user: grace
        until: 2026-12-24T18:00:00Z
        reason: ACC-1 project work
      - user: ada
        reason: no end
      - group: team-b
      - reason: names nobody
  - name: team-b
    owners: []
  - description: no name
`;

const ROLES = `roles:
  - name: eng
    description: Engineers
    when: { department: ENG, title: [Engineer, Lead], employmentType: [employee, pilot] }
    groups: [team-a, team-b]
  - name: everyone
    when: {}
    groups: []
  - name: no-when
    groups: [team-a]
`;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const abs = path.join(dir, name);
    if (statSync(abs).isDirectory()) return yamlFiles(abs);
    return /\.ya?ml$/.test(name) && name !== "gatehouse.yaml" ? [abs] : [];
  });
}

/** A group with member entries as plain objects (plain user entries keep their location as numbers). */
function materialized(group: Group): Group {
  if (group.members === undefined) return group;
  const plain = (m: MemberEntry): MemberEntry =>
    m.kind === "user" ? { ...m, kind: "user", source: m.source } : { ...m, kind: "group", source: m.source };
  return { ...group, members: group.members.map(plain) };
}

describe("buildAccessModel", () => {
  it("builds every field of users, groups, members and roles, leaving absent fields out", () => {
    const { model, definitions, diagnostics } = buildAccessModel([
      access(fastDoc("u.yaml", USERS)),
      access(fastDoc("g.yaml", GROUPS)),
      access(fastDoc("r.yaml", ROLES)),
    ]);
    const at = (file: string, line: number, column: number) => ({ file, line, column });
    expect(diagnostics).toEqual([]);
    expect([...model.users.values()]).toStrictEqual([
      {
        id: "ada",
        name: "Ada Lovelace",
        email: "ada@example.com",
        department: "ENG",
        title: "Engineer",
        manager: "grace",
        employmentType: "contractor",
        status: "leave",
        startDate: "2024-02-01",
        endDate: "2026-12-31",
        accounts: { github: "ada-gh", ldap: "alovelace" },
        source: at("u.yaml", 2, 5),
        managerSource: at("u.yaml", 7, 14),
        startDateSource: at("u.yaml", 10, 16),
      },
      {
        id: "grace",
        name: "Grace Hopper",
        employmentType: "employee",
        status: "active",
        accounts: {},
        source: at("u.yaml", 13, 5),
      },
    ]);
    expect([...model.groups.values()].map(materialized)).toStrictEqual([
      {
        name: "team-a",
        description: "Team A",
        owners: ["grace", "ada"],
        sensitivity: "privileged",
        providers: ["directory"],
        formerNames: ["team-old"],
        members: [
          { kind: "user", user: "ada", source: at("g.yaml", 9, 9) },
          {
            kind: "user",
            user: "grace",
            until: "2026-12-24T18:00:00Z",
            reason: "ACC-1 project work",
            source: at("g.yaml", 10, 9),
            untilSource: at("g.yaml", 11, 16),
          },
          { kind: "user", user: "ada", reason: "no end", source: at("g.yaml", 13, 9) },
          { kind: "group", group: "team-b", source: at("g.yaml", 15, 9) },
        ],
        // Every entry but the plain first one says more than a name.
        detailedMembers: [1, 2, 3],
        source: at("g.yaml", 2, 5),
        ownerSources: [at("g.yaml", 5, 14), at("g.yaml", 5, 21)],
        providerSources: [at("g.yaml", 6, 17)],
      },
      { name: "team-b", owners: [], sensitivity: "normal", source: at("g.yaml", 17, 5), ownerSources: [] },
    ]);
    expect([...model.roles.values()]).toStrictEqual([
      {
        name: "eng",
        description: "Engineers",
        when: { department: ["ENG"], title: ["Engineer", "Lead"], employmentType: ["employee"] },
        groups: ["team-a", "team-b"],
        source: at("r.yaml", 2, 5),
        groupSources: [at("r.yaml", 5, 14), at("r.yaml", 5, 22)],
      },
      { name: "everyone", when: {}, groups: [], source: at("r.yaml", 6, 5), groupSources: [] },
    ]);
    expect(definitions.users).toStrictEqual([...model.users.values()]);
  });

  it("builds the same model whichever reader read the files", () => {
    const texts: [string, string][] = [
      ["u.yaml", USERS],
      ["g.yaml", GROUPS],
      ["r.yaml", ROLES],
      ...yamlFiles(path.resolve("access")).map((f): [string, string] => [f, readFileSync(f, "utf8")]),
    ];
    const fast = buildAccessModel(texts.map(([file, text]) => access(fastDoc(file, text))));
    const slow = buildAccessModel(texts.map(([file, text]) => access(yamlDoc(file, text))));
    expect(fast.model.users.size).toBeGreaterThan(10);
    expect(fast).toStrictEqual(slow);
  });

  it("leaves out every item at or under a schema error, and only those", () => {
    const documents = (invalid: readonly string[]) => [
      access(fastDoc("u.yaml", USERS), invalid),
      access(fastDoc("g.yaml", GROUPS), invalid),
    ];
    const names = (invalid: readonly string[]) => {
      const { model } = buildAccessModel(documents(invalid));
      return [...model.users.keys(), ...model.groups.keys()];
    };
    expect(names([])).toEqual(["ada", "grace", "team-a", "team-b"]);
    expect(names(["/users/1"])).toEqual(["ada", "team-a", "team-b"]);
    expect(names(["/users/0/email"])).toEqual(["grace", "team-a", "team-b"]);
    // A group whose errors are all in member entries is kept, without those entries.
    expect(names(["/groups/0/members/2/until"])).toEqual(["ada", "grace", "team-a", "team-b"]);
    const members = (invalid: readonly string[]) =>
      buildAccessModel(documents(invalid))
        .model.groups.get("team-a")
        ?.members?.map((m) =>
          m.kind === "user"
            ? `${m.user}${m.until === undefined ? "" : ` until ${m.until}`}`
            : `group ${m.group}`,
        );
    expect(members([])).toEqual(["ada", "grace until 2026-12-24T18:00:00Z", "ada", "group team-b"]);
    expect(members(["/groups/0/members/1/until", "/groups/0/members/3"])).toEqual(["ada", "ada"]);
    // An error elsewhere in the group (or at the list itself) still leaves the whole group out.
    expect(names(["/groups/0/members/2/until", "/groups/0/owners"])).toEqual(["ada", "grace", "team-b"]);
    expect(names(["/groups/0/members"])).toEqual(["ada", "grace", "team-b"]);
    expect(names(["/groups"])).toEqual(["ada", "grace"]);
    expect(names(["/users/10", "/groups/1"])).toEqual(["ada", "grace", "team-a"]);
    expect(names([""])).toEqual([]);
  });

  it("reports a name defined twice, across files, at the second definition with the first related", () => {
    const { model, definitions, diagnostics } = buildAccessModel([
      access(
        fastDoc(
          "a.yaml",
          "users:\n  - id: ada\n    name: Ada\ngroups:\n  - name: g\nroles:\n  - name: r\n    when: {}\n",
        ),
      ),
      access(
        fastDoc(
          "b.yaml",
          "roles:\n  - name: r\n    when: {}\nusers:\n  - id: ada\n    name: Ada 2\ngroups:\n  - name: g\n",
        ),
      ),
    ]);
    expect(JSON.stringify(diagnostics)).toBe(
      JSON.stringify([
        {
          severity: "error",
          code: "GH103",
          message: 'user "ada" is defined twice; first at a.yaml:2:5. Keep one definition.',
          file: "b.yaml",
          line: 5,
          column: 5,
          related: [{ file: "a.yaml", line: 2, column: 5 }],
        },
        {
          severity: "error",
          code: "GH104",
          message: 'group "g" is defined twice; first at a.yaml:5:5. Keep one definition.',
          file: "b.yaml",
          line: 8,
          column: 5,
          related: [{ file: "a.yaml", line: 5, column: 5 }],
        },
        {
          severity: "error",
          code: "GH105",
          message: 'role "r" is defined twice; first at a.yaml:7:5. Keep one definition.',
          file: "b.yaml",
          line: 2,
          column: 5,
          related: [{ file: "a.yaml", line: 7, column: 5 }],
        },
      ]),
    );
    expect(model.users.get("ada")?.name).toBe("Ada");
    expect(definitions.users.map((u) => u.name)).toEqual(["Ada", "Ada 2"]);
    expect(definitions.groups.map((g) => g.source.file)).toEqual(["a.yaml", "b.yaml"]);
  });

  it("reports a name defined twice where a definition has schema errors, at the first definition of all", () => {
    const text =
      "users:\n  - { id: ada, name: A }\n  - { id: ada, name: A }\n  - { id: ada, name: A }\n  - { id: bea, name: B }\n  - { id: bea, name: B }\n";
    const { model, diagnostics } = buildAccessModel([
      access(fastDoc("u.yaml", text), ["/users/0", "/users/3", "/users/4"]),
    ]);
    expect(diagnostics.map((d) => `${String(d.line)} ${d.message}`)).toEqual([
      '3 user "ada" is defined twice; first at u.yaml:2:5. Keep one definition.',
      '4 user "ada" is defined twice; first at u.yaml:2:5. Keep one definition.',
      '6 user "bea" is defined twice; first at u.yaml:5:5. Keep one definition.',
    ]);
    // Items with schema errors stay out of the model; the first valid one is in it.
    expect([...model.users.values()].map((u) => u.source.line)).toEqual([3]);
  });

  it("allows one gatehouse.yaml and reports any other at its start", () => {
    const config = (file: string): ClassifiedDocument => ({
      document: fastDoc(file, "providers:\n  directory:\n    type: local\n"),
      kind: "config",
      invalidPaths: [],
    });
    const { model, diagnostics } = buildAccessModel([config("one.yaml"), config("two.yaml")]);
    expect(model.config.providers.map((p) => p.source.file)).toEqual(["one.yaml"]);
    expect(JSON.stringify(diagnostics)).toBe(
      JSON.stringify([
        {
          severity: "error",
          code: "GH102",
          message: "only one gatehouse.yaml is allowed",
          file: "two.yaml",
          line: 1,
          column: 1,
        },
      ]),
    );
  });
});
