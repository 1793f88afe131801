import { createHash } from "node:crypto";
import { USER_ATTRIBUTE_KEYS, type LiveUserAttributes } from "./state.ts";

/**
 * A short digest of a user's attributes (every attribute gatehouse knows, in a fixed order, absent as
 * null). The journal keeps it for the attributes each create or update wrote; a plan compares it with
 * what the system holds now: equal means the system still holds what gatehouse wrote, so a difference
 * with the files comes from the files, not from drift.
 */
export function attributesDigest(attributes: LiveUserAttributes): string {
  const values = USER_ATTRIBUTE_KEYS.map((key) => attributes[key] ?? null);
  return createHash("sha256").update(JSON.stringify(values)).digest("hex").slice(0, 24);
}
