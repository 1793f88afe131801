/**
 * The guard-rail refusals a run recorded (its apply-start's `refused`: the run made only what a refusal
 * does not stop, grant endings and leavers' offboarding, and the rest of its plan waited), read back for
 * `journal changes` and `journal access`. The journal keeps each refusal in the words plan/safety.ts gave
 * it; those words name the change refused (a protected user or group) or the system whose removals went
 * over the limit, which is what an answer about a person, a group or a system needs of them.
 */
import { membershipOf } from "../plan/addresses.ts";

/** A refusal as a run recorded it, with what its words say it is about. */
export interface RunRefusal {
  /** The refusal, as the run recorded it. */
  readonly message: string;
  /** The system it is in; absent only for words gatehouse does not know (then it may be about anything). */
  readonly provider?: string;
  /**
   * The change it refused (its address): a protected user's, or one narrowing a protected group. Absent for
   * the removal limit (`maxRemovals`), which held back every removal the plan had in `provider`: which ones,
   * the journal does not record.
   */
  readonly changeId?: string;
  /** The group that change is in (a membership's or a group's change). */
  readonly group?: string;
  /** The protected group it narrows, where that is not `group` but a group nesting it. */
  readonly nestingGroup?: string;
  /** The account that change is of (a user's change, or a user member's). */
  readonly account?: string;
  /** The protected user it touches, as the refusal names them (their id, or the account). */
  readonly protectedUser?: string;
}

// safety.ts: `${c.id}: ${c.kind} ${c.action} touches protected user X; re-run with --force if intended`, and
// `... narrows protected group G[, which nests H]; ...`; the limit: `the plan removes N memberships or
// accounts in P, more than allowed (...); if that is intended, re-run with --allow-removals N`.
const CHANGE_REFUSAL =
  /^(?<id>(?<provider>[a-z][a-z0-9_-]*):.+): (?:user|group|membership) \S+ (?:touches protected user (?<user>.*)|narrows protected group (?<group>.*?)(?:, which nests .*)?); re-run with --force if intended$/su;
const LIMIT_REFUSAL =
  /^the plan removes \d+ memberships or accounts in (?<provider>[a-z][a-z0-9_-]*), more than allowed /u;

/** What a recorded refusal is about, from its words. */
export function readRefusal(message: string): RunRefusal {
  const limit = LIMIT_REFUSAL.exec(message)?.groups;
  if (limit?.["provider"] !== undefined) return { message, provider: limit["provider"] };
  const found = CHANGE_REFUSAL.exec(message)?.groups;
  const id = found?.["id"];
  const provider = found?.["provider"];
  if (found === undefined || id === undefined || provider === undefined) return { message };
  const membership = membershipOf(id, provider);
  const groupPrefix = `${provider}:group/`;
  const userPrefix = `${provider}:user/`;
  const group = membership?.group ?? (id.startsWith(groupPrefix) ? id.slice(groupPrefix.length) : undefined);
  const account =
    membership !== undefined
      ? membership.memberKind === "user"
        ? membership.member
        : undefined
      : id.startsWith(userPrefix)
        ? id.slice(userPrefix.length).replace(/#sessions$/u, "")
        : undefined;
  const named = found["group"];
  return {
    message,
    provider,
    changeId: id,
    ...(group === undefined ? {} : { group }),
    ...(named !== undefined && named !== group ? { nestingGroup: named } : {}),
    ...(account === undefined ? {} : { account }),
    ...(found["user"] === undefined ? {} : { protectedUser: found["user"] }),
  };
}

/** The person, group or system an answer is about. */
export interface RefusalQuery {
  readonly user?: string;
  readonly group?: string;
  readonly provider?: string;
}

/**
 * Whether the refusal names what `query` asks about: its change is that person's (account or id), in that
 * group or narrowing it, in that system. A refusal whose words say no change (the removal limit) names no
 * person or group.
 */
export function refusalNames(refusal: RunRefusal, query: RefusalQuery): boolean {
  if (query.provider !== undefined && refusal.provider !== query.provider) return false;
  if (query.group !== undefined && refusal.group !== query.group && refusal.nestingGroup !== query.group)
    return false;
  return query.user === undefined || refusal.account === query.user || refusal.protectedUser === query.user;
}

/**
 * Whether the refusal may bear on what `query` asks about: it names it (refusalNames), or it held back
 * removals the journal does not list one by one (the removal limit, in the system asked about or in any
 * when none is), or its words are not known.
 */
export function refusalConcerns(refusal: RunRefusal, query: RefusalQuery): boolean {
  if (refusal.provider === undefined) return true;
  if (refusal.changeId !== undefined) return refusalNames(refusal, query);
  return query.provider === undefined || refusal.provider === query.provider;
}
