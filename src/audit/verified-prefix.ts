/**
 * The chain check before an apply appends, without walking the whole journal every time. The walk (hash
 * and link of every entry) costs about 3 s per 100 MB of journal; hashing the bytes costs about 0.1 s. So
 * the last walk's end is remembered with the sha256 of every byte before it: if those bytes are the same,
 * only the entries after them are walked; if not, the whole chain is.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { readCacheFile, writeCacheFile } from "../io/cache-file.ts";
import { isRecord } from "../model/json.ts";
import { openJournal } from "./journal-lines.ts";
import { verifyJournal, type JournalVerification, type VerifyResume } from "./verify-journal.ts";

const FORMAT = "gatehouse verified journal 1";
const FILE_PATTERN = /^journal-verified-[0-9a-f]{16}\.json$/;
const CHUNK = 4 * 1024 * 1024;

function cacheFileOf(cacheDir: string, journal: string): string {
  const id = createHash("sha256").update(path.resolve(journal)).digest("hex").slice(0, 16);
  return path.join(cacheDir, `journal-verified-${id}.json`);
}

/** sha256 of the journal's first `end` bytes, or undefined when it is shorter (or gone). */
async function prefixHash(journalPath: string, end: number): Promise<string | undefined> {
  const opened = await openJournal(journalPath);
  if (opened === undefined) return undefined;
  try {
    if (opened.size < end) return undefined;
    const hash = createHash("sha256");
    const buffer = Buffer.alloc(Math.min(CHUNK, Math.max(end, 1)));
    for (let at = 0; at < end;) {
      const { bytesRead } = await opened.handle.read(buffer, 0, Math.min(buffer.length, end - at), at);
      if (bytesRead === 0) return undefined;
      hash.update(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
    return hash.digest("hex");
  } finally {
    await opened.handle.close();
  }
}

function isResume(value: unknown): value is VerifyResume {
  if (!isRecord(value)) return false;
  const { offset, lines, entries, starts, previous } = value;
  const isCount = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
  if (!isCount(offset) || !isCount(lines) || !isCount(entries)) return false;
  if (!Array.isArray(starts) || !starts.every(isCount)) return false;
  if (previous === undefined) return true;
  return (
    isRecord(previous) &&
    isCount(previous["seq"]) &&
    typeof previous["hash"] === "string" &&
    typeof previous["prevHash"] === "string"
  );
}

/**
 * Verifies the journal's chain as `verifyJournal` does, walking only what was added since the last
 * successful check on this machine when everything before it is byte for byte the same. Without a cache
 * folder, the whole chain is walked.
 */
export async function verifyBeforeAppend(
  journalPath: string,
  cacheDir: string | undefined,
): Promise<JournalVerification> {
  if (cacheDir === undefined) return verifyJournal(journalPath);
  const file = cacheFileOf(cacheDir, journalPath);
  const read = await readCacheFile(file);
  const value = typeof read === "object" ? read.value : undefined;
  let from: VerifyResume | undefined;
  if (isRecord(value) && value["format"] === FORMAT && isResume(value["resume"])) {
    const resume = value["resume"];
    const sha = await prefixHash(journalPath, resume.offset);
    if (sha !== undefined && sha === value["sha256"]) from = resume;
  }
  const result = await verifyJournal(journalPath, from === undefined ? {} : { from });
  if (result.ok && result.entries > 0) {
    const sha = await prefixHash(journalPath, result.resume.offset);
    if (sha !== undefined)
      await writeCacheFile(
        file,
        JSON.stringify({ format: FORMAT, sha256: sha, resume: result.resume }),
        FILE_PATTERN,
      ).catch(() => undefined); // only costs a whole walk next time
  }
  return result;
}
