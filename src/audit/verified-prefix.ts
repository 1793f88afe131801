/**
 * The chain check before an apply appends, without walking the whole journal every time. The walk (hash
 * and link of every entry) costs about 3 s per 100 MB of journal; hashing the bytes costs about 0.1 s. So
 * the last walk's end is remembered with the sha256 of every byte before it: if those bytes are the same,
 * only the entries after them are walked; if not, the whole chain is.
 */
import { createHash, type Hash } from "node:crypto";
import path from "node:path";
import { readCacheFile, writeCacheFile } from "../io/cache-file.ts";
import { isRecord } from "../model/json.ts";
import { openJournal } from "./journal-lines.ts";
import {
  verifyJournal,
  type JournalVerification,
  type OpenRun,
  type VerifyResume,
} from "./verify-journal.ts";

const FORMAT = "gatehouse verified journal 2";
const FILE_PATTERN = /^journal-verified-[0-9a-f]{16}\.json$/;
const CHUNK = 4 * 1024 * 1024;

function cacheFileOf(cacheDir: string, journal: string): string {
  const id = createHash("sha256").update(path.resolve(journal)).digest("hex").slice(0, 16);
  return path.join(cacheDir, `journal-verified-${id}.json`);
}

/**
 * Feeds the journal's bytes from `from` to `to` into `hash`; false when the journal is shorter (or gone).
 * One hash serves both checks of a run: the bytes the last check covered, then the ones added since.
 */
async function hashBytes(journalPath: string, hash: Hash, from: number, to: number): Promise<boolean> {
  const opened = await openJournal(journalPath);
  if (opened === undefined) return false;
  try {
    if (opened.size < to) return false;
    const buffer = Buffer.alloc(Math.min(CHUNK, Math.max(to - from, 1)));
    for (let at = from; at < to;) {
      const { bytesRead } = await opened.handle.read(buffer, 0, Math.min(buffer.length, to - at), at);
      if (bytesRead === 0) return false;
      hash.update(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
    return true;
  } finally {
    await opened.handle.close();
  }
}

function isResume(value: unknown): value is VerifyResume {
  if (!isRecord(value)) return false;
  const { offset, lines, entries, starts, previous, open } = value;
  const isCount = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
  if (!isCount(offset) || !isCount(lines) || !isCount(entries)) return false;
  if (!Array.isArray(starts) || !starts.every(isCount)) return false;
  if (!Array.isArray(open) || !open.every((r) => isOpenRun(r, isCount))) return false;
  if (previous === undefined) return true;
  return isRecord(previous) && isCount(previous["seq"]) && typeof previous["hash"] === "string";
}

function isOpenRun(value: unknown, isCount: (n: unknown) => n is number): value is OpenRun {
  if (!isRecord(value)) return false;
  const counts = [
    value["seq"],
    value["line"],
    value["planned"],
    value["applied"],
    value["failed"],
    value["skipped"],
  ];
  const texts = [value["at"], value["actor"], value["lastAt"]];
  const unconfirmed = value["unconfirmed"];
  return (
    counts.every(isCount) &&
    texts.every((t) => typeof t === "string") &&
    Array.isArray(unconfirmed) &&
    unconfirmed.every((id) => typeof id === "string")
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
  const hash = createHash("sha256");
  let hashed = 0; // bytes fed into `hash`: the journal as it is now, from its start
  if (isRecord(value) && value["format"] === FORMAT && isResume(value["resume"])) {
    const resume = value["resume"];
    if (await hashBytes(journalPath, hash, 0, resume.offset)) {
      hashed = resume.offset;
      if (hash.copy().digest("hex") === value["sha256"]) from = resume;
    }
  }
  const result = await verifyJournal(journalPath, from === undefined ? {} : { from });
  await remember(journalPath, file, result, hash, hashed);
  return result;
}

/** Remembers where a successful walk ended, with the sha256 of every byte before it (`hash` has `hashed`). */
async function remember(
  journalPath: string,
  file: string,
  result: JournalVerification,
  hash: Hash,
  hashed: number,
): Promise<void> {
  const end = result.resume.offset;
  if (result.ok && result.entries > 0 && hashed <= end && (await hashBytes(journalPath, hash, hashed, end)))
    await writeCacheFile(
      file,
      JSON.stringify({ format: FORMAT, sha256: hash.digest("hex"), resume: result.resume }),
      FILE_PATTERN,
    ).catch(() => undefined); // only costs a whole walk next time
}

/**
 * After `journal verify` walked the whole chain and found it intact: the next apply on this machine (the
 * workflow's, right after its verify step) then walks only what was added since, not the chain again.
 */
export async function rememberVerified(
  journalPath: string,
  cacheDir: string,
  result: JournalVerification,
): Promise<void> {
  await remember(journalPath, cacheFileOf(cacheDir, journalPath), result, createHash("sha256"), 0);
}

/**
 * Where the last successful walk of the journal's chain on this machine ended (after its last whole
 * line), with the last entry it walked and the cache file that says so; undefined without one.
 */
export async function verifiedEnd(
  journalPath: string,
  cacheDir: string,
): Promise<{ readonly end: number; readonly seq?: number; readonly file: string } | undefined> {
  const file = cacheFileOf(cacheDir, journalPath);
  const read = await readCacheFile(file);
  const value = typeof read === "object" ? read.value : undefined;
  if (!isRecord(value) || value["format"] !== FORMAT || !isResume(value["resume"])) return undefined;
  const { offset, previous } = value["resume"];
  return { end: offset, ...(previous === undefined ? {} : { seq: previous.seq }), file };
}
