/**
 * Keeps the conditional-request cache (per GET URL: the ETag and the answer it names) between runs, with
 * the setting `readCache`: the next run sends If-None-Match for every list it read before, and GitHub
 * answers 304 Not Modified, free of rate limit, for each list that did not change. A 304 is GitHub's own
 * word that the answer is unchanged, so the kept answers are never trusted without it. One JSON file per
 * base URL, organization and token variable name under `.gatehouse/cache/`, written atomically with mode
 * 0600; it holds the answers as read (logins, ids, team lists) and never the token.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { readCacheFile, writeCacheFile } from "../../io/cache-file.ts";
import type { CachedResponse } from "./client.ts";
import type { GithubSettings } from "./settings.ts";
import { isRecord } from "../../model/json.ts";
import { messageOf } from "../../errors.ts";

/** Bump when the file layout changes: older files are then ignored. */
const FORMAT = "gatehouse-github-etags-1";
const FILE_PATTERN = /^github-[0-9a-f]{32}\.json$/;

interface StoredAnswer {
  readonly url: string;
  readonly etag: string;
  readonly status: number;
  readonly link?: string;
  readonly data: unknown;
}

/** `<cwd>/.gatehouse/cache/github-<sha256 of format, base URL, org and token variable name>.json`. */
export function etagCacheFile(cwd: string, settings: GithubSettings): string {
  const relevant = { baseUrl: settings.baseUrl, org: settings.org, tokenEnv: settings.tokenEnv };
  const key = createHash("sha256").update(FORMAT).update(JSON.stringify(relevant)).digest("hex");
  return path.join(cwd, ".gatehouse", "cache", `github-${key.slice(0, 32)}.json`);
}

function toEntry(value: unknown): [string, CachedResponse] | undefined {
  if (!isRecord(value)) return undefined;
  const { url, etag, status, link, data } = value;
  if (typeof url !== "string" || typeof etag !== "string" || typeof status !== "number") return undefined;
  if (link !== undefined && typeof link !== "string") return undefined;
  const headers = { etag, ...(link === undefined ? {} : { link }) };
  return [url, { etag, response: { status, url, headers, data } }];
}

/** The kept answers by URL; none (and a log line, unless there is simply no file) when unusable. */
export async function loadEtagCache(
  file: string,
  log: (line: string) => void,
): Promise<Map<string, CachedResponse>> {
  const read = await readCacheFile(file);
  if (read === "unreadable") log(`not using the read cache ${file}: it cannot be read; reading everything`);
  if (typeof read === "string") return new Map();
  const { value } = read;
  const answers = isRecord(value) && value["format"] === FORMAT ? value["answers"] : undefined;
  const entries = Array.isArray(answers) ? answers.map(toEntry) : [undefined];
  if (entries.some((e) => e === undefined)) {
    log(`not using the read cache ${file}: it is damaged or of another format; reading everything`);
    return new Map();
  }
  return new Map(entries.filter((e): e is [string, CachedResponse] => e !== undefined));
}

/** Writes the answers of this run's reads (only those: the file never grows past one read). Never throws. */
export async function saveEtagCache(
  file: string,
  entries: ReadonlyMap<string, CachedResponse>,
  log: (line: string) => void,
): Promise<void> {
  const answers: StoredAnswer[] = [...entries].map(([url, { etag, response }]) => {
    const link = response.headers.link;
    return {
      url,
      etag,
      status: response.status,
      ...(typeof link === "string" ? { link } : {}),
      data: response.data as unknown,
    };
  });
  try {
    await writeCacheFile(file, JSON.stringify({ format: FORMAT, answers }), FILE_PATTERN);
  } catch (error) {
    const reason = messageOf(error);
    log(`cannot write the read cache ${file}: ${reason}`);
  }
}
