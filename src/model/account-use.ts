/** What Provider.signIns read of a system: when each account last signed in, for `gatehouse accounts`. */
export interface SignIns {
  /** Where the times come from, for the report: an attribute (`pwdLastSuccess`) or a field (`lastLogin`). */
  readonly source: string;
  /** By account name, as `read` reports them: each account the system holds in the scope read. */
  readonly accounts: ReadonlyMap<string, AccountUse>;
}

/** When an account last signed in, and when it was made, where the system records it (ISO 8601 instants). */
export interface AccountUse {
  /** Absent: no sign-in recorded (never, or not since the system began recording them). */
  readonly lastLogin?: string;
  readonly createdAt?: string;
}
