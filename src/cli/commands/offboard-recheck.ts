import { UsageError } from "../../errors.ts";
import { stringOpt, type Parsed } from "../args.ts";

/** Longest --offboard-recheck: ten minutes, the read-back's own time limit. */
const MAX_RECHECK_SECONDS = 600;

/** --offboard-recheck in milliseconds (seconds, fractions allowed), or undefined when not given. */
export function recheckMs(args: Parsed): number | undefined {
  const v = stringOpt(args, "offboard-recheck");
  if (v === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(v) || Number(v) > MAX_RECHECK_SECONDS)
    throw new UsageError(
      `--offboard-recheck takes a number of seconds from 0 to ${String(MAX_RECHECK_SECONDS)} (got "${v}")`,
    );
  return Math.round(Number(v) * 1000);
}
