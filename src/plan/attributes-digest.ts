import { canonicalJson, sha256Hex } from "../audit/canonical-json.ts";
import { USER_ATTRIBUTE_KEYS, type UserAttributes } from "../model/state.ts";

/**
 * A short digest of a user's attributes (every attribute gatehouse knows, absent as null). The journal
 * keeps it for the attributes each create or update wrote; a plan compares it with what the system
 * holds now: equal means the system still holds what gatehouse wrote, so a difference with the files
 * comes from the files, not from drift.
 */
export function attributesDigest(attributes: Partial<UserAttributes>): string {
  const all: Record<string, unknown> = {};
  for (const key of USER_ATTRIBUTE_KEYS) all[key] = attributes[key] ?? null;
  return sha256Hex(canonicalJson(all)).slice(0, 24);
}
