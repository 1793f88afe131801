import type { Rule } from "../rule.ts";

/** Every semantic rule, run in this order after schema validation. */
export const RULES: readonly Rule[] = [];
