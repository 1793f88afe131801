import { readFile } from "node:fs/promises";
import type { Plan } from "../plan/types.ts";
import { ConfigError, StalePlanError } from "../errors.ts";
import { canonicalJson, sha256Hex } from "../audit/canonical-json.ts";
import { isChange, isRecord } from "../audit/change-shape.ts";

export function planChecksum(plan: Plan): string {
  return sha256Hex(canonicalJson(plan));
}

/** Reads a plan saved by `plan --out`, checking its shape (it is a file anyone could have edited). */
export async function readSavedPlan(file: string): Promise<Plan> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new ConfigError(
      `${file}: cannot read the saved plan (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (!isRecord(data) || data["formatVersion"] !== 1) {
    throw new ConfigError(
      `${file}: not a gatehouse plan (formatVersion 1); make it with \`gatehouse plan --out ${file}\``,
    );
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

/** Refuses a saved plan when the files, the live state or the plan's own changes moved since it was made. */
export function assertPlanCurrent(saved: Plan, fresh: Plan, expectedChecksum: string | undefined): void {
  if (expectedChecksum !== undefined && planChecksum(saved) !== expectedChecksum) {
    throw new StalePlanError(`its checksum is ${planChecksum(saved)}, not the expected ${expectedChecksum}`);
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
  if (canonicalJson(saved.changes) !== canonicalJson(fresh.changes)) {
    throw new StalePlanError(
      "the plan's changes differ from what the files and live state give now (a grant may have expired, or the file was edited)",
    );
  }
}
