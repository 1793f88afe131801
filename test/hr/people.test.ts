import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { defaultMapping, parseLimit, readMapping } from "../../src/hr/mapping.ts";
import { parseHrDate, readExportPeople } from "../../src/hr/people.ts";
import { readCsvExport } from "../../src/hr/read-export.ts";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function peopleOf(csv: string, mappingYaml?: string) {
  const mapping =
    mappingYaml === undefined ? defaultMapping() : readMapping("m.yaml", bytes(mappingYaml)).mapping;
  if (!mapping) throw new Error("bad mapping");
  const { table } = readCsvExport("e.csv", bytes(csv));
  if (!table) throw new Error("bad csv");
  return readExportPeople(table, mapping);
}

describe("parseHrDate", () => {
  it.each([
    ["2026-02-28", "YYYY-MM-DD", "2026-02-28"],
    ["2028-02-29", "YYYY-MM-DD", "2028-02-29"],
    ["2026-02-29", "YYYY-MM-DD", undefined],
    ["2026-13-01", "YYYY-MM-DD", undefined],
    ["2026-1-5", "YYYY-MM-DD", undefined],
    ["5.1.2026", "DD.MM.YYYY", "2026-01-05"],
    ["05/01/2026", "DD/MM/YYYY", "2026-01-05"],
    ["05/01/2026", "MM/DD/YYYY", "2026-05-01"],
    ["02/30/2026", "MM/DD/YYYY", undefined],
    ["2026/01/05", "YYYY/MM/DD", "2026-01-05"],
    ["2026-01-05T00:00:00Z", "YYYY-MM-DD", undefined],
  ] as const)("%s in %s is %s", (text, format, expected) => {
    expect(parseHrDate(text, format)).toBe(expected);
  });
});

describe("readExportPeople", () => {
  it("maps values whatever their case, derives ids from e-mails and leaves fields without a column unsynced", () => {
    const read = peopleOf(
      "employeeNumber,name,email,status,employmentType\n" +
        "E1, Ann Lee ,Ann.Lee@Example.com,ACTIVE,Full-time\n" +
        "E2,Bo,bo@example.com,on leave,contract\n",
    );
    expect(read.diagnostics).toEqual([]);
    expect(read.keyedBy).toBe("employeeNumber");
    expect(read.owned).toEqual(["name", "email", "employmentType", "status"]);
    expect(read.people.map((p) => [p.key, p.id, p.isIdDerived, Object.fromEntries(p.fields)])).toEqual([
      [
        "E1",
        "ann.lee",
        true,
        { name: "Ann Lee", email: "Ann.Lee@Example.com", employmentType: "employee", status: "active" },
      ],
      [
        "E2",
        "bo",
        true,
        { name: "Bo", email: "bo@example.com", employmentType: "contractor", status: "leave" },
      ],
    ]);
  });

  it("is keyed by id when the export has no employee numbers", () => {
    const read = peopleOf("id,name,department\nann,Ann,\n");
    expect(read.keyedBy).toBe("id");
    expect(read.people[0]).toMatchObject({ key: "ann", id: "ann", isIdDerived: false });
    expect(read.people[0]?.fields.get("department")).toBeUndefined();
    expect(read.people[0]?.fields.has("department")).toBe(true);
  });

  it("reports every bad cell at its line and column, and duplicates with the first", () => {
    const read = peopleOf(
      "employeeNumber,id,name,status,startDate,title\n" +
        "E1,Ann!,Ann,active,,\n" +
        ",bo,Bo,active,,\n" +
        "E3,cy,,active,,\n" +
        "E4,di,Di,fired,2026-02-30,\n" +
        'E5,ed,Ed,active,,"tab\there"\n' +
        "E6,ed,Ed Two,active,,\n" +
        "E4,fa,Fa,active,,\n",
    );
    expect(
      read.diagnostics.map((d) => `${String(d.line)}:${String(d.column)} ${d.code} ${d.message}`),
    ).toEqual([
      '2:4 HR003 id "Ann!" is not a user id (lowercase letters, digits, . _ -, at most 64 characters)',
      "3:1 HR003 the employee number is empty",
      "4:7 HR003 name is empty",
      '5:10 HR003 unknown status "fired"; map it under values.status in the mapping (known: active, leave, terminated, on leave)',
      '5:16 HR003 startDate "2026-02-30" is not a date in the form YYYY-MM-DD',
      "6:18 HR003 title holds a control character (a line break, a tab, ...)",
      '7:4 HR004 id "ed" appears twice in the export (first at line 6)',
      '8:1 HR004 employee number "E4" appears twice in the export (first at line 5)',
    ]);
  });

  it('names an empty value the mapping knows as "" among the known ones', () => {
    // The README's mapping maps an empty status cell to active.
    const read = peopleOf(
      "employeeNumber,name,status\nE1,Ann,Activ\n",
      'values: { status: { Active: active, "": active } }\n',
    );
    expect(read.diagnostics.map((d) => d.message)).toEqual([
      'unknown status "Activ"; map it under values.status in the mapping (known: active, leave, terminated, on leave, "")',
    ]);
  });

  it("requires the columns a mapping names, a name column and something to tell people apart", () => {
    const missing = peopleOf(
      "Name,Mail\nAnn,a@x\n",
      "columns: { name: Name, email: Mail, title: Job Title }\n",
    );
    expect(missing.diagnostics.map((d) => d.message)).toEqual([
      'the export has no column "Job Title" (the mapping\'s columns.title)',
    ]);
    expect(peopleOf("name,department\nAnn,OPS\n").diagnostics.map((d) => d.message)).toEqual([
      "the export has no employee number, id or email column to tell people apart",
    ]);
    // A column the mapping switches off is not synced even where the export has it.
    expect(peopleOf("id,name,title\nann,Ann,CEO\n", "columns: { title: null }\n").owned).toEqual(["name"]);
  });
});

describe("readMapping", () => {
  it("reports every mistake at its line and column", () => {
    const read = readMapping(
      "m.yaml",
      bytes(
        "columns:\n  nmae: Name\n  email: 3\nvalues:\n  status: { Gone: fired }\n  title: {}\n" +
          "dateFormat: D/M/Y\nmaxLeavers: lots\nabsent: delete\nextra: 1\nmoverReviewDays: 0\n",
      ),
    );
    expect(read.mapping).toBeUndefined();
    expect(
      read.diagnostics.map((d) => `${String(d.line)}:${String(d.column)} ${d.code} ${d.message}`),
    ).toEqual([
      '10:1 HR010 unknown key "extra"; one of: columns, values, dateFormat, managerKey, joinersFile, records, maxLeavers, maxEmailChanges, maxCleared, maxJoiners, maxMovers, absent, moverReviewDays',
      '2:3 HR010 "nmae" is no field hr sync writes; one of: employeeNumber, id, name, email, department, title, manager, employmentType, status, startDate, endDate',
      "3:10 HR010 the column of email is a column name (text), or null: not synced",
      '5:19 HR010 "Gone" must map to one of: active, leave, terminated',
      '6:3 HR010 values are mapped for employmentType and status only, not "title"',
      "7:13 HR010 dateFormat is one of: YYYY-MM-DD, YYYY/MM/DD, DD.MM.YYYY, DD/MM/YYYY, MM/DD/YYYY",
      '8:13 HR010 maxLeavers is a number of people or a percentage ("5%")',
      "9:9 HR010 absent is one of: report, terminate",
      "11:18 HR010 moverReviewDays is a whole number of days, 1 to 365",
    ]);
  });

  it("reads the README's example with no problem, as it says", async () => {
    const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
    const example = /```yaml\n(# hr\/mapping\.yaml\n[\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const read = readMapping("README.md", bytes(example ?? ""));
    expect(read.diagnostics).toEqual([]);
    expect(read.mapping?.statuses.get("")).toBe("active");
    expect(read.mapping?.employmentTypes.get("freelance")).toBe("contractor");
    expect(read.mapping?.employmentTypes.get("permanent")).toBe("employee");
    expect(read.mapping?.dateFormat).toBe("MM/DD/YYYY");
    expect(read.mapping?.moverReviewDays).toBe(14);
  });

  it("refuses hostile YAML as the access files' loader does", () => {
    expect(readMapping("m.yaml", bytes("columns:\n  __proto__: x\n")).diagnostics[0]).toMatchObject({
      code: "GH014",
      line: 2,
    });
  });

  it("reads limits as counts or percentages", () => {
    expect(parseLimit("5%")).toEqual({ kind: "percent", value: 5 });
    expect(parseLimit("12")).toEqual({ kind: "count", value: 12 });
    expect(parseLimit(3)).toEqual({ kind: "count", value: 3 });
    expect(parseLimit("150%")).toBeUndefined();
    expect(parseLimit("-1")).toBeUndefined();
    expect(parseLimit("1.5")).toBeUndefined();
  });

  it("reads maxJoiners like the other limits, and leaves it to the default (with its floor) when absent", () => {
    expect(readMapping("m.yaml", bytes("maxJoiners: 25\n")).mapping?.maxJoiners).toEqual({
      kind: "count",
      value: 25,
    });
    expect(readMapping("m.yaml", bytes("maxJoiners: 2%\n")).mapping?.maxJoiners).toEqual({
      kind: "percent",
      value: 2,
    });
    expect(readMapping("m.yaml", bytes("absent: report\n")).mapping?.maxJoiners).toBeUndefined();
    expect(readMapping("m.yaml", bytes("maxJoiners: many\n")).diagnostics.map((d) => d.message)).toEqual([
      'maxJoiners is a number of people or a percentage ("5%")',
    ]);
  });
});
