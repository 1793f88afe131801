import { ExitCode, GatehouseError } from "../errors.ts";

/** The journal cannot be appended to or read as it is. */
export class JournalError extends GatehouseError {
  constructor(message: string, options?: ErrorOptions) {
    super("GH_JOURNAL", message, ExitCode.error, options);
  }
}

export const JOURNAL_REPAIR_HINT =
  "run `gatehouse audit verify` to check the rest of the chain, then repair the tail (the fragment is kept in <journal>.torn)";
