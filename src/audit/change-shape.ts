import type { Change, Reason, Risk } from "../plan/types.ts";

/** Checks that external JSON (a journal line, a saved plan) is a `Change`, so it can be used as one. */

const REASONS: readonly Reason[] = [
  "added-in-config",
  "removed-from-config",
  "role-baseline",
  "grant-expired",
  "user-terminated",
  "user-on-leave",
  "not-started",
  "drift",
  "not-in-config",
  "holds-no-group",
];
const RISKS: readonly Risk[] = ["broadens", "narrows", "neutral"];
const EMPLOYMENT_TYPES: readonly string[] = ["employee", "contractor", "intern", "service"];
const ATTRIBUTES: readonly string[] = ["name", "email", "department", "title", "manager"];

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isOptionalString(value: unknown): boolean {
  return value === undefined || typeof value === "string";
}

function isStringList(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function isNonNegativeInteger(value: unknown): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

function isSourceLocation(value: unknown): boolean {
  return (
    isRecord(value) &&
    typeof value["file"] === "string" &&
    typeof value["line"] === "number" &&
    typeof value["column"] === "number"
  );
}

function isUserAttributes(value: unknown): boolean {
  if (!isRecord(value)) return false;
  if (!ATTRIBUTES.every((key) => isOptionalString(value[key]))) return false;
  const type = value["employmentType"];
  return type === undefined || (typeof type === "string" && EMPLOYMENT_TYPES.includes(type));
}

function isFieldDiffList(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.every(
      (item) =>
        isRecord(item) &&
        typeof item["field"] === "string" &&
        (item["before"] === null || typeof item["before"] === "string") &&
        (item["after"] === null || typeof item["after"] === "string"),
    )
  );
}

function hasChangeBase(value: Record<string, unknown>): boolean {
  const { id, provider, reason, risk, source, why } = value;
  return (
    typeof id === "string" &&
    typeof provider === "string" &&
    typeof reason === "string" &&
    REASONS.some((r) => r === reason) &&
    typeof risk === "string" &&
    RISKS.some((r) => r === risk) &&
    (source === undefined || isSourceLocation(source)) &&
    (why === undefined || isStringList(why))
  );
}

/** UserChange.heldBefore: absent, or true. */
function isHeldBefore(value: unknown): boolean {
  return value === undefined || value === true;
}

function isUserChangeBody(value: Record<string, unknown>): boolean {
  if (typeof value["account"] !== "string") return false;
  switch (value["action"]) {
    case "create":
      return isUserAttributes(value["after"]) && isHeldBefore(value["heldBefore"]);
    case "update":
      return (
        isUserAttributes(value["after"]) &&
        isFieldDiffList(value["fields"]) &&
        isHeldBefore(value["heldBefore"])
      );
    case "enable":
    case "disable":
    case "delete":
      return isOptionalString(value["replacedBy"]);
    case "revoke-sessions":
      return isNonNegativeInteger(value["sessions"]) && isNonNegativeInteger(value["tokens"]);
    default:
      return false;
  }
}

function isGroupChangeBody(value: Record<string, unknown>): boolean {
  if (typeof value["group"] !== "string") return false;
  switch (value["action"]) {
    case "create":
      return isOptionalString(value["description"]);
    case "update":
      return isOptionalString(value["description"]) && isFieldDiffList(value["fields"]);
    case "delete":
      return (
        isNonNegativeInteger(value["memberCount"]) &&
        isOptionalString(value["replacedBy"]) &&
        (value["members"] === undefined || isStringList(value["members"])) &&
        (value["groupMembers"] === undefined || isStringList(value["groupMembers"]))
      );
    default:
      return false;
  }
}

function isMembershipChangeBody(value: Record<string, unknown>): boolean {
  const also = value["narrowsAlso"];
  return (
    (value["action"] === "add" || value["action"] === "remove") &&
    typeof value["group"] === "string" &&
    typeof value["member"] === "string" &&
    (value["memberKind"] === "user" || value["memberKind"] === "group") &&
    (value["reaches"] === undefined || isNonNegativeInteger(value["reaches"])) &&
    isOptionalString(value["renamedTo"]) &&
    isOptionalString(value["renamedFrom"]) &&
    isOptionalString(value["accountOf"]) &&
    isOptionalString(value["replacedBy"]) &&
    isOptionalString(value["endsWithAccount"]) &&
    (also === undefined || (Array.isArray(also) && also.every((g) => typeof g === "string")))
  );
}

export function isChange(value: unknown): value is Change {
  if (!isRecord(value) || !hasChangeBase(value)) return false;
  switch (value["kind"]) {
    case "user":
      return isUserChangeBody(value);
    case "group":
      return isGroupChangeBody(value);
    case "membership":
      return isMembershipChangeBody(value);
    default:
      return false;
  }
}
