import type { Plan } from "../plan/types.ts";

/** The plan as versioned JSON (`formatVersion`). Plain data: what `plan --out` saves and `apply` reads. */
export function renderJson(plan: Plan): string {
  return JSON.stringify(plan, null, 2) + "\n";
}
