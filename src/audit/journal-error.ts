import { ExitCode, GatehouseError } from "../errors.ts";

/** The journal cannot be appended to or read as it is. */
export class JournalError extends GatehouseError {
  constructor(message: string, options?: ErrorOptions) {
    super("GH_JOURNAL", message, ExitCode.error, options);
  }
}

export const JOURNAL_REPAIR_HINT =
  "run `gatehouse journal verify` to check the rest of the chain, then `gatehouse journal repair` to cut the torn tail off (it is kept in <journal>.torn)";
