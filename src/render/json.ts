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

/** Items written with one JSON.stringify at most. */
const MAX_RUN = 1_000;

/**
 * Items of a list two levels down, as JSON.stringify(list, null, 2) nested there writes them, separated
 * by ",\n": the run wrapped in a list of its own, so that JSON.stringify indents it at that depth, without
 * the wrapper's lines. (An item left out of JSON, such as undefined, is null in a list: the same as item
 * by item.)
 */
function indentedItems(items: readonly unknown[]): string {
  // "[\n  [\n    a,\n    b\n  ]\n]": drop the first two lines and the last two.
  return JSON.stringify([items], null, 2).slice(WRAPPER_HEAD.length, -WRAPPER_TAIL.length);
}

const WRAPPER_HEAD = "[\n  [\n";
const WRAPPER_TAIL = "\n  ]\n]";

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
    // Items are written a run at a time, each run one JSON.stringify (indentedItems): two million calls
    // are two thousand. Runs are sized from the items written so far, to end near a piece's end.
    let chars = 0;
    for (let i = 0; i < items.length;) {
      const perItem = i === 0 ? pieceSize : chars / i;
      const count = Math.min(MAX_RUN, Math.max(1, Math.floor(pieceSize / Math.max(perItem, 1))));
      const run = indentedItems(items.slice(i, i + count));
      chars += run.length;
      out += `${i === 0 ? "" : ","}\n${run}`;
      i += count;
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
