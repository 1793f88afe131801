import type { Plan } from "../plan/types.ts";

/** Pieces of about this many characters: each is written out before the next is made. */
const PIECE = 1 << 20;

function isLeftOut(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

/** JSON.stringify(value, null, 2) of a value `depth` levels down: its lines after the first indented. */
function indented(value: unknown, depth: number): string {
  // JSON escapes every line break inside a string, so each "\n" of the text starts a line of it.
  return JSON.stringify(value, null, 2).replaceAll("\n", `\n${"  ".repeat(depth)}`);
}

/**
 * The plan as versioned JSON (`formatVersion`), exactly `JSON.stringify(plan, null, 2)` and a newline,
 * in pieces: the JSON of a plan of millions of changes (an organization's first import) is longer than
 * the longest string JavaScript can hold. Lists are cut between items. Plain data: what `plan --out`
 * saves and `apply` reads.
 */
export function* renderJsonPieces(plan: Plan, pieceSize = PIECE): Generator<string> {
  let out = "{";
  let isFirst = true;
  for (const [key, value] of Object.entries(plan)) {
    if (isLeftOut(value)) continue;
    out += `${isFirst ? "" : ","}\n  ${JSON.stringify(key)}: `;
    isFirst = false;
    if (!Array.isArray(value) || value.length === 0) {
      out += indented(value, 1);
      continue;
    }
    const items: readonly unknown[] = value;
    out += "[";
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      out += `${i === 0 ? "" : ","}\n    ${isLeftOut(item) ? "null" : indented(item, 2)}`;
      if (out.length >= pieceSize) {
        yield out;
        out = "";
      }
    }
    out += "\n  ]";
  }
  yield `${out}${isFirst ? "" : "\n"}}\n`;
}

/** renderJsonPieces as one string, for plans that fit in one. */
export function renderJson(plan: Plan): string {
  return [...renderJsonPieces(plan)].join("");
}
