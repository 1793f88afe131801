import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LineCounter, parseDocument } from "yaml";
import { readPlainYaml } from "../../src/load/fast-yaml.ts";
import { fastLocator } from "../../src/load/fast-locator.ts";
import { locate, yamlLocator, type Locator, type PathSegment } from "../../src/load/locate.ts";

interface Child {
  readonly container: object;
  readonly path: PathSegment[];
  readonly key: PathSegment;
}

/**
 * Every (container, child key) pair of `data` in document order — items, then what is under them, so
 * consecutive questions alternate between containers — plus children that do not exist.
 */
function children(data: unknown, prefix: PathSegment[] = []): Child[] {
  if (typeof data !== "object" || data === null) return [];
  const out: Child[] = [];
  if (Array.isArray(data)) {
    const items: unknown[] = data;
    items.forEach((item, i) => {
      out.push({ container: items, path: prefix, key: i });
      out.push(...children(item, [...prefix, i]));
    });
    for (const key of [items.length, -1, 0.5, "0", "x"]) out.push({ container: items, path: prefix, key });
  } else {
    const record = data as Record<string, unknown>;
    for (const [k, v] of Object.entries(record)) {
      out.push({ container: record, path: prefix, key: k });
      out.push(...children(v, [...prefix, k]));
    }
    for (const key of ["missing", 0]) out.push({ container: record, path: prefix, key });
  }
  return out;
}

/** Odd keys no caller asks for: the readers' walks differ there, and locateChild follows its own. */
const odd = (key: PathSegment): boolean => typeof key === "number" && !(Number.isInteger(key) && key >= 0);

/** locateChild answers as locate does on the longer path, for the fast reader and for yaml. */
function expectChildrenAgree(text: string): void {
  const fast = readPlainYaml(text);
  if (!fast) throw new Error("the fast reader declined the sample");
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, strict: true, merge: false });
  const slow = yamlLocator(doc, lineCounter);
  const quick: Locator = fastLocator(fast);
  for (const { container, path: p, key } of children(fast.data)) {
    const label = JSON.stringify([...p, key]);
    const answer = quick.locateChild("f.yaml", container, p, key);
    expect(answer, label).toEqual(locate("f.yaml", quick, [...p, key]));
    if (!odd(key)) expect(answer, label).toEqual(locate("f.yaml", slow, [...p, key]));
  }
  // The yaml locator answers from its own tree, whichever data object it is given.
  const data: unknown = doc.toJS();
  for (const { container, path: p, key } of children(data))
    expect(slow.locateChild("f.yaml", container, p, key)).toEqual(locate("f.yaml", slow, [...p, key]));
}

const SAMPLE = [
  "users:",
  "  - id: ada.lovelace1",
  "    name: Ada Lovelace",
  "    manager: grace.hopper2",
  "    startDate: 2024-02-01",
  "    accounts: { github: ada-l }",
  "  - id: grace.hopper2",
  "    name: Grace Hopper",
  "groups:",
  "  - name: team-t000002-write",
  "    owners: [ada.lovelace1, grace.hopper2]",
  "    members:",
  "      - group: team-t000001-write",
  "      - ada.lovelace1",
  "      - user: grace.hopper2",
  "        until: 2026-12-24T18:00:00Z",
  "        reason: ACC-1234 project work",
  "  - name: team-t000001-write",
  "    members: []",
  "roles:",
  "- name: r",
  "  when: { department: DEPT-0001, employmentType: [employee, contractor] }",
  "  groups: [dept-d0001-read]",
].join("\n");

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const abs = path.join(dir, name);
    if (statSync(abs).isDirectory()) return yamlFiles(abs);
    return /\.ya?ml$/.test(name) && name !== "gatehouse.yaml" ? [abs] : [];
  });
}

describe("Locator.locateChild", () => {
  it("finds every child, and falls back for missing ones, exactly as locate does", () => {
    expectChildrenAgree(SAMPLE);
  });

  it("agrees with locate on every example access file", () => {
    for (const file of yamlFiles(path.resolve("access"))) expectChildrenAgree(readFileSync(file, "utf8"));
  });

  it("answers for containers asked about in any order", () => {
    const fast = readPlainYaml(SAMPLE);
    if (!fast) throw new Error("the fast reader declined the sample");
    const quick = fastLocator(fast);
    const all = children(fast.data).reverse();
    for (const { container, path: p, key } of all)
      expect(quick.locateChild("f.yaml", container, p, key)).toEqual(locate("f.yaml", quick, [...p, key]));
  });
});
