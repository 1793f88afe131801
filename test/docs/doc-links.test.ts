/**
 * Every link to a heading in the documentation resolves: a command's heading holds its options, so its
 * GitHub anchor changes whenever an option is added, and a link to it would silently stop working.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../../", import.meta.url);

/** GitHub's anchor for a heading: lower case, punctuation dropped, each space a hyphen; repeats get -1, -2. */
function anchorsOf(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) inFence = !inFence;
    const heading = inFence ? null : /^#{1,6} +(.*?) *#*$/.exec(line);
    if (heading === null) continue;
    const base = (heading[1] ?? "")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M} _-]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count === 0 ? base : `${base}-${String(count)}`);
  }
  return out;
}

/** The `#anchor` of every link in `markdown` to `target` ("" for the same file). */
function linksTo(markdown: string, target: string): string[] {
  const out: string[] = [];
  for (const m of markdown.matchAll(/\]\(([^)\s]*)#([^)\s]+)\)/g))
    if ((m[1] ?? "") === target) out.push(decodeURIComponent(m[2] ?? ""));
  return out;
}

const files = [
  "README.md",
  ...(await readdir(new URL("docs/", ROOT))).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`),
];
const texts = new Map(
  await Promise.all(files.map(async (f) => [f, await readFile(new URL(f, ROOT), "utf8")] as const)),
);

describe("links to headings in README.md and docs/", () => {
  it("finds the anchors GitHub makes", () => {
    const anchors = anchorsOf("# A `b` c\n## Options: --x [y]\n## A b c\n```\n# not a heading\n```\n");
    expect([...anchors]).toEqual(["a-b-c", "options---x-y", "a-b-c-1"]);
  });

  it.each(files)("every #anchor link in %s names a heading that exists", (file) => {
    const text = texts.get(file) ?? "";
    const broken: string[] = [];
    for (const [other, otherText] of texts) {
      const relative = path.posix.relative(path.posix.dirname(file), other);
      const target = other === file ? "" : relative;
      const anchors = anchorsOf(otherText);
      for (const anchor of linksTo(text, target))
        if (!anchors.has(anchor)) broken.push(`${target || file}#${anchor}`);
    }
    expect(broken).toEqual([]);
  });
});
