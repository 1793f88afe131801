import type { Position } from "../load/locate.ts";

/**
 * Where each cell of each record of a CSV text starts (1-based line and column, columns counting code
 * points as the YAML loader's do), for messages at `EXPORT:line:col`. csv-parse reads the values; it
 * tells the line a record ends on, not where a cell starts. The reading is RFC 4180's: `,` (or the
 * `delimiter` given) between
 * cells, `"` around a cell, `""` for a quote inside one, records ending at CRLF, LF or CR, a leading
 * byte order mark ignored, empty lines skipped (as csv-parse's skip_empty_lines). The caller checks that
 * the shape matches csv-parse's records and trusts neither alone.
 */
export function csvCellPositions(text: string, delimiter = ","): Position[][] {
  const separator = delimiter.charCodeAt(0);
  const records: Position[][] = [];
  let record: Position[] = [];
  let line = 1;
  let column = 1;
  let isCellStart = true;
  let isQuoted = false;
  let isEmptyRecord = true;
  let i = text.startsWith("\uFEFF") ? 1 : 0;
  const endRecord = (): void => {
    if (!isEmptyRecord) records.push(record);
    record = [];
    isCellStart = true;
    isEmptyRecord = true;
  };
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isCellStart && !isQuoted) {
      isCellStart = false;
      if (c !== 0x0a && c !== 0x0d) {
        record.push({ line, column });
        isEmptyRecord = false;
      }
      if (c === 0x22) {
        isQuoted = true;
        i++;
        column++;
        continue;
      }
    }
    if (isQuoted) {
      if (c === 0x22) {
        if (text.charCodeAt(i + 1) === 0x22) {
          i += 2;
          column += 2;
          continue;
        }
        isQuoted = false;
      }
    } else if (c === separator) {
      isCellStart = true;
      i++;
      column++;
      // The last cell of a record that ends with a comma is empty: it starts at the line's end.
      if (i === text.length || text.charCodeAt(i) === 0x0a || text.charCodeAt(i) === 0x0d)
        record.push({ line, column });
      continue;
    } else if (c === 0x0a || c === 0x0d) {
      i += c === 0x0d && text.charCodeAt(i + 1) === 0x0a ? 2 : 1;
      line++;
      column = 1;
      endRecord();
      continue;
    }
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      column = 1;
    } else if (c !== 0x0d && (c < 0xdc00 || c > 0xdfff)) column++;
    i++;
  }
  endRecord();
  return records;
}
