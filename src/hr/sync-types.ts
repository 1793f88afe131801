/** What an HR sync changes, as data (sync-plan.ts makes it; render.ts shows it; run-sync.ts writes it). */
import type { SourceLocation } from "../model/source.ts";
import type { AbsentPolicy, HrField } from "./mapping.ts";
import type { Diagnostic } from "../model/diagnostic.ts";

/** A field a sync writes: the HR-owned ones, and the employee number that links a user to HR. */
export type SyncedField = HrField | "employeeNumber";

/** One field of one user entry; `before` or `after` undefined: the key is absent (added, removed). */
export interface FieldChange {
  readonly field: SyncedField;
  readonly before?: string;
  readonly after?: string;
}

export interface UserUpdate {
  readonly id: string;
  readonly employeeNumber?: string;
  /** The user's entry in the access files. */
  readonly source: SourceLocation;
  readonly changes: readonly FieldChange[];
  /** Terminated by this change (status, or an end date set or brought forward) and not before. */
  readonly isLeaver: boolean;
  /**
   * Gone before this change and still gone after it (past their end date, or terminated): HR's record
   * catching up with someone who has left (status active → terminated the day after their last day). No
   * access changes with it: neither a mover nor a new leaver.
   */
  readonly hasLeft: boolean;
  /** Terminated because the export does not have them (`absent: terminate`). */
  readonly isAbsent: boolean;
  /** The export's row of this person; undefined for someone the export does not have. */
  readonly row?: SourceLocation;
  /**
   * Loses their access by this change without becoming a leaver: someone who had started whose
   * `startDate` moves past now (no access until that day), or someone put on leave where `policy.leave`
   * disables accounts. The guard rails count them with the leavers: a wrong date column or status
   * mapping would otherwise cut the company's access with no sync guard stopping it.
   */
  readonly losesAccess?: "start-date-later" | "leave";
}

export interface Joiner {
  readonly id: string;
  readonly employeeNumber?: string;
  /** The new entry's fields, in the order they are written (id first). */
  readonly fields: readonly (readonly [string, string])[];
  /** The export row. */
  readonly at: SourceLocation;
}

/** Someone in the files, not terminated, whom the export does not have. */
export interface AbsentPerson {
  readonly id: string;
  readonly employeeNumber?: string;
  readonly source: SourceLocation;
  /** reported: left as is; terminated (absent: terminate); unlinked: no employee number, so never terminated. */
  readonly action: "reported" | "terminated" | "unlinked";
  /**
   * Their `startDate` is still ahead: a joiner whose offer HR withdrew, most often, who gets access on
   * that day unless the files say otherwise.
   */
  readonly startsOn?: string;
}

export interface SkippedRow {
  readonly key: string;
  readonly at: SourceLocation;
  readonly reason: string;
}

export interface HrSyncPlan {
  readonly joiners: readonly Joiner[];
  readonly updates: readonly UserUpdate[];
  readonly absent: readonly AbsentPerson[];
  readonly skipped: readonly SkippedRow[];
  /** Users in the files who are neither terminated nor service accounts: what percentages are of. */
  readonly activePeople: number;
  readonly diagnostics: readonly Diagnostic[];
}

export interface SyncOptions {
  readonly absent: AbsentPolicy;
  /** What the manager column holds. */
  readonly managerKey: "employeeNumber" | "id" | "email";
  /** `policy.leave` of the access files: whether going on leave disables the account. Default keep. */
  readonly leave?: "keep" | "disable";
  readonly now: Date;
}

/** The order of a new entry's keys, and where a key a sync adds goes in an existing one. */
export const ENTRY_ORDER: readonly string[] = [
  "id",
  "name",
  "email",
  "department",
  "title",
  "manager",
  "employeeNumber",
  "employmentType",
  "status",
  "startDate",
  "endDate",
];
