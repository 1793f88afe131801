import { readFile } from "node:fs/promises";
import type { Plan } from "../plan/types.ts";
import { ConfigError, StalePlanError, messageOf } from "../errors.ts";
import { canonicalSha256 } from "../audit/canonical-json.ts";
import { isChange, isRecord } from "../audit/change-shape.ts";
import { parseLargeJsonObject } from "../io/large-json.ts";

/** sha256 of the plan's canonical JSON, streamed: a plan of millions of changes has no single string. */
export function planChecksum(plan: Plan): string {
  return canonicalSha256(plan);
}

/** Saved plans larger than this are read a value at a time (parseLargeJsonObject), not as one string. */
const ONE_STRING_BYTES = 256 * 1024 * 1024;

/** Reads a plan saved by `plan --out`, checking its shape (it is a file anyone could have edited). */
export async function readSavedPlan(file: string, oneStringBytes = ONE_STRING_BYTES): Promise<Plan> {
  let data: unknown;
  try {
    const bytes = await readFile(file);
    data = bytes.length > oneStringBytes ? parseLargeJsonObject(bytes) : JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw new ConfigError(`${file}: cannot read the saved plan (${messageOf(error)})`);
  }
  if (!isRecord(data) || data["formatVersion"] !== 1) {
    const version: unknown = isRecord(data) ? data["formatVersion"] : undefined;
    // Name what the file says, so "formatVersion 1" is not read as the file's own.
    const what =
      version === undefined
        ? "not a gatehouse plan (no formatVersion)"
        : `a plan of formatVersion ${JSON.stringify(version).slice(0, 40)}, which this gatehouse does not read (it reads formatVersion 1)`;
    throw new ConfigError(`${file}: ${what}; make it with \`gatehouse plan --out ${file}\``);
  }
  const changes = data["changes"];
  const providers = data["providers"];
  if (
    !Array.isArray(changes) ||
    !changes.every(isChange) ||
    !Array.isArray(providers) ||
    typeof data["desiredDigest"] !== "string"
  ) {
    throw new ConfigError(
      `${file}: the saved plan is damaged (its changes or providers are not what gatehouse writes)`,
    );
  }
  return data as unknown as Plan; // shape checked above: formatVersion, providers, digest and every change
}

/**
 * What apply keeps of a saved plan once it is read: enough to prove that the plan made now is the same.
 * The saved plan itself is let go before the new one is made: at 100k people a first import's plan is
 * 0.7 GB in memory, and two of them at once is what a machine cannot spare.
 */
export interface SavedPlanConsent {
  readonly desiredDigest: string;
  readonly providers: readonly { readonly name: string; readonly liveDigest: string }[];
  /** sha256 of the canonical JSON of its changes, in order. */
  readonly changesDigest: string;
  /** planChecksum of the whole plan, when asked for (apply --checksum). */
  readonly checksum?: string;
}

export function consentOf(saved: Plan, withChecksum: boolean): SavedPlanConsent {
  return {
    desiredDigest: saved.desiredDigest,
    providers: saved.providers.map((p) => ({ name: p.name, liveDigest: p.liveDigest })),
    changesDigest: canonicalSha256(saved.changes),
    ...(withChecksum ? { checksum: planChecksum(saved) } : {}),
  };
}

/** Refuses a saved plan when the files, the live state or the plan's own changes moved since it was made. */
export function assertPlanCurrent(
  saved: SavedPlanConsent,
  fresh: Plan,
  expectedChecksum: string | undefined,
): void {
  if (expectedChecksum !== undefined && saved.checksum !== expectedChecksum) {
    throw new StalePlanError(
      `its checksum is ${saved.checksum ?? "unknown"}, not the expected ${expectedChecksum}`,
    );
  }
  if (saved.desiredDigest !== fresh.desiredDigest)
    throw new StalePlanError("the access files changed since the plan was made");
  for (const p of saved.providers) {
    const now = fresh.providers.find((f) => f.name === p.name);
    if (!now) throw new StalePlanError(`provider ${p.name} is no longer configured`);
    if (now.liveDigest !== p.liveDigest)
      throw new StalePlanError(`the live state of ${p.name} changed since the plan was made`);
  }
  // Every field of every change must be what gatehouse computes now: a saved plan is consent to exactly
  // these changes, never a way to smuggle in others (the file is not trusted; the fresh plan is applied).
  if (saved.changesDigest !== canonicalSha256(fresh.changes)) {
    throw new StalePlanError(
      "the plan's changes differ from what the files and live state give now (a grant may have expired, the plan file was edited, or another version of gatehouse made it)",
    );
  }
}
