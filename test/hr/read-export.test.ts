import { describe, expect, it } from "vitest";
import { csvCellPositions } from "../../src/hr/csv-positions.ts";
import { readCsvExport, readJsonExport, type ExportTable } from "../../src/hr/read-export.ts";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const cells = (table: ExportTable | undefined): string[][] =>
  (table?.rows ?? []).map((r) =>
    [...r.cells].map(([k, c]) => `${k}=${c.value}@${String(c.at.line)}:${String(c.at.column)}`),
  );

describe("csvCellPositions", () => {
  it("finds where each cell starts through quotes, doubled quotes, line breaks in quotes and empty lines", () => {
    const text = '\uFEFFa,b,c\r\n"x, ""y""",,"multi\nline"\r\n\r\nZoë,é,\n';
    expect(csvCellPositions(text)).toEqual([
      [
        { line: 1, column: 1 },
        { line: 1, column: 3 },
        { line: 1, column: 5 },
      ],
      [
        { line: 2, column: 1 },
        { line: 2, column: 12 },
        { line: 2, column: 13 },
      ],
      [
        { line: 5, column: 1 },
        { line: 5, column: 5 },
        { line: 5, column: 7 },
      ],
    ]);
  });

  it("counts a character outside the Basic Multilingual Plane as one column", () => {
    expect(csvCellPositions("😀,x\n")).toEqual([
      [
        { line: 1, column: 1 },
        { line: 1, column: 3 },
      ],
    ]);
  });
});

describe("readCsvExport", () => {
  it("reads values with csv-parse and positions with the scanner", () => {
    const read = readCsvExport("e.csv", bytes('\uFEFFname ,id\n"Doe, ""J""",j\n\nZoë,\n'));
    expect(read.diagnostics).toEqual([]);
    expect([...(read.table?.columns ?? [])]).toEqual(["name", "id"]);
    expect(cells(read.table)).toEqual([
      ['name=Doe, "J"@2:1', "id=j@2:14"],
      ["name=Zoë@4:1", "id=@4:5"],
    ]);
  });

  it("reads a semicolon- or tab-separated export (decimal-comma locales), by its header line", () => {
    const semi = readCsvExport("e.csv", bytes('\uFEFFname;id\r\n"Doe; J";j\r\nLee, Ann;a\r\n'));
    expect(semi.diagnostics).toEqual([]);
    expect(cells(semi.table)).toEqual([
      ["name=Doe; J@2:1", "id=j@2:10"],
      ["name=Lee, Ann@3:1", "id=a@3:10"],
    ]);
    const tabs = readCsvExport("e.csv", bytes("name\tid\nAnn\ta\n"));
    expect(cells(tabs.table)).toEqual([["name=Ann@2:1", "id=a@2:5"]]);
  });

  it("reports what cannot be read at its line, never throwing", () => {
    const open = readCsvExport("e.csv", bytes('a,b\n1,"open\n')).diagnostics;
    expect(open.map((d) => `${String(d.line)} ${d.code}`)).toEqual(["2 HR001"]);
    expect(open[0]?.message).toMatch(/^the CSV cannot be read: Quote Not Closed/);
    expect(readCsvExport("e.csv", bytes("a,b\n1,2\n3\n")).diagnostics).toEqual([
      expect.objectContaining({ code: "HR001", line: 3 }),
    ]);
    expect(readCsvExport("e.csv", bytes("")).diagnostics[0]?.message).toBe(
      "the export is empty: no header row",
    );
    expect(readCsvExport("e.csv", new Uint8Array([0x61, 0x0a, 0xff])).diagnostics[0]).toMatchObject({
      code: "HR001",
      line: 2,
      column: 1,
      message:
        'the export is not valid UTF-8 (this is the first bad byte); export it as UTF-8 (a spreadsheet\'s plain "CSV" is often Windows-1252: in Excel, save as "CSV UTF-8")',
    });
    expect(readCsvExport("e.csv", new Uint8Array([0x61, 0, 0x62])).diagnostics[0]?.message).toMatch(/binary/);
    expect(readCsvExport("e.csv", bytes("a,a\n1,2\n")).diagnostics).toEqual([
      expect.objectContaining({
        code: "HR002",
        line: 1,
        column: 3,
        message: 'column "a" appears twice in the header',
      }),
    ]);
    // A quote left open swallows the rest of the file: the record size limit stops it.
    const long = 'a\n"' + "x".repeat(70_000) + "\n";
    expect(readCsvExport("e.csv", bytes(long)).diagnostics[0]?.code).toBe("HR001");
  });
});

describe("exports as spreadsheets and HR systems write them", () => {
  const personio = "Personalnummer;Name;Eintrittsdatum\r\n1001;Jürgen Groß;01.01.2019\r\n";

  it("names UTF-16 (Excel's Unicode Text) for what it is, with either byte order", () => {
    const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(personio, "utf16le")]);
    const utf16be = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(personio, "utf16le").swap16()]);
    for (const exported of [utf16le, utf16be])
      expect(readCsvExport("e.csv", exported).diagnostics).toEqual([
        expect.objectContaining({
          code: "HR001",
          line: 1,
          column: 1,
          message:
            'the export is UTF-16 (it starts with a UTF-16 byte order mark); export it as UTF-8 (in Excel: "CSV UTF-8")',
        }),
      ]);
  });

  it("says that a Windows-1252 export (Excel's plain CSV) is not UTF-8, at its first non-ASCII byte", () => {
    // ü and ß are the same bytes in Windows-1252 and ISO-8859-1.
    const [problem, ...more] = readCsvExport("e.csv", Buffer.from(personio, "latin1")).diagnostics;
    expect(more).toEqual([]);
    expect(problem).toMatchObject({ code: "HR001", line: 2, column: 7 });
    expect(problem?.message).toMatch(/Windows-1252: in Excel, save as "CSV UTF-8"/);
  });

  it("refuses Excel's sep= first line as no header, at 1:1, with a BOM or without", () => {
    for (const text of [`sep=;\r\n${personio}`, `\uFEFFsep=;\n${personio}`])
      expect(readCsvExport("e.csv", bytes(text)).diagnostics).toEqual([
        expect.objectContaining({
          code: "HR001",
          line: 1,
          column: 1,
          message:
            'the first line ("sep=;") is a spreadsheet\'s separator hint, not the header: remove it (the separator is read from the header line)',
        }),
      ]);
    // A header whose first column is named so is a header.
    expect(cells(readCsvExport("e.csv", bytes("sep=x;name\n1;Ann\n")).table)).toEqual([
      ["sep=x=1@2:1", "name=Ann@2:3"],
    ]);
  });

  it("reports a JSON export cut short once, as JSON, at where it stops", () => {
    const cut = '{"Report_Entry": [\n {"Employee_ID": 1001, "Legal_Name": "Lena Sch';
    const [problem, ...more] = readJsonExport("e.json", bytes(cut), "Report_Entry").diagnostics;
    expect(more).toEqual([]);
    expect(problem).toMatchObject({ code: "HR001", line: 2 });
    expect(problem?.message).toMatch(/^the JSON cannot be read \(cut short\?\): Missing closing "quote/);
  });
});

describe("readJsonExport", () => {
  it("reads a list of objects with positions; numbers become text and null is empty", () => {
    const read = readJsonExport("e.json", bytes('[\n  {"id": 7, "name": "Ann", "end": null}\n]\n'));
    expect(read.diagnostics).toEqual([]);
    expect(cells(read.table)).toEqual([["id=7@2:10", "name=Ann@2:21", "end=@2:35"]]);
  });

  it("reads the list under the mapping's records key", () => {
    const read = readJsonExport("e.json", bytes('{"meta": {}, "people": [{"id": "a"}]}'), "people");
    expect(cells(read.table)).toEqual([["id=a@1:32"]]);
    expect(readJsonExport("e.json", bytes('{"people": 3}'), "people").diagnostics[0]?.message).toBe(
      'the export has no list under "people"',
    );
  });

  it("refuses hostile or malformed input with a position", () => {
    const proto = readJsonExport("e.json", bytes('[\n  {"__proto__": {"x": 1}}\n]'));
    expect(proto.table).toBeUndefined();
    expect(proto.diagnostics[0]).toMatchObject({ code: "HR001", line: 2, column: 4 });
    expect(readJsonExport("e.json", bytes('[{"a": 1, "a": 2}]')).diagnostics[0]?.message).toMatch(
      /duplicate key/,
    );
    expect(readJsonExport("e.json", bytes('[{"a": [1]}, 3]')).diagnostics).toEqual([
      expect.objectContaining({
        code: "HR003",
        message: '"a" is a list or an object: a value is text or a number',
      }),
      expect.objectContaining({ code: "HR001", message: "each record of the export is an object" }),
    ]);
    expect(readJsonExport("e.json", bytes('{"a": 1}')).diagnostics[0]?.message).toMatch(
      /^a JSON export is a list of objects/,
    );
    expect(readJsonExport("e.json", bytes("[".repeat(300) + "]".repeat(300))).diagnostics[0]?.code).toBe(
      "HR001",
    );
  });
});
