import {
  USER_ATTRIBUTE_KEYS,
  type AccountElsewhere,
  type AccountOfAnother,
  type DesiredUser,
  type LiveState,
  type LiveUser,
  type LiveUserAttributes,
  type UserAttributes,
} from "../model/state.ts";
import { sessionsAddress, userAddress } from "./addresses.ts";
import type { PlanSink, PlannerCapabilities } from "./context.ts";
import {
  claimedBy,
  claimedWhy,
  departedFrom,
  departedWhy,
  noteClaimed,
  noteDeparted,
} from "./claimed-accounts.ts";
import { heldAccount, legalHoldNote } from "./legal-hold.ts";
import type { FieldDiff } from "./types.ts";
import { sameValue } from "./values.ts";
import { attributesDigest } from "../model/attributes-digest.ts";
import { firstFew, groupBy } from "../model/lists.ts";
import { leftoversFinder } from "./held-before.ts";
import { nameFold } from "./align-case.ts";
import { leaverIdHolder } from "./leaver-by-id.ts";
import { oncePer } from "../model/once-per.ts";

function attributeDiff(
  before: LiveUserAttributes,
  after: UserAttributes,
  allowed: readonly string[],
): FieldDiff[] {
  const out: FieldDiff[] = [];
  for (const key of USER_ATTRIBUTE_KEYS) {
    if (!allowed.includes(key)) continue;
    const want = after[key];
    if (want === undefined) continue; // absent in the files: unmanaged
    const have = before[key];
    // No default stands in for a missing live value: a value the reader could not map is missing too.
    if (!sameValue(have, want)) out.push({ field: key, before: have ?? null, after: want });
  }
  return out;
}

/**
 * Where the system expires accounts itself (expiresAccounts): the person's endDate, when the account
 * expires on another day or never. A person without an endDate has the expiry cleared only where it is
 * the one gatehouse wrote (`written`, JournalFold.expiries: an endDate since removed, a contract made
 * permanent); an expiry someone else set is left alone (planUsers notes it).
 */
function accountExpiryDiff(
  have: LiveUser,
  want: DesiredUser,
  caps: PlannerCapabilities,
  written: string | undefined,
): FieldDiff | undefined {
  if (caps.expiresAccounts !== true || have.endDate === want.endDate) return undefined;
  if (want.endDate !== undefined)
    return { field: "endDate", before: have.endDate ?? null, after: want.endDate };
  return have.endDate !== undefined && have.endDate === written
    ? { field: "endDate", before: have.endDate, after: null }
    : undefined;
}

function onlyAllowed(attrs: UserAttributes, allowed: readonly string[]): UserAttributes {
  const out: Record<string, string> = {};
  for (const key of USER_ATTRIBUTE_KEYS) {
    const v = attrs[key];
    if (v !== undefined && allowed.includes(key)) out[key] = v;
  }
  return out;
}

function byAccount(a: { readonly account: string }, b: { readonly account: string }): number {
  return a.account < b.account ? -1 : a.account > b.account ? 1 : 0;
}

/**
 * Desired users in account order, each with the live account of the same name (the last one, if the
 * system reports it twice), and which live accounts were matched. A merge of two sorted lists: no map
 * of 100,000 freshly read names is built.
 */
function pairByAccount(
  wanted: DesiredUser[],
  live: readonly LiveUser[],
): { wanted: [DesiredUser, LiveUser | undefined][]; matched: Uint8Array } {
  const order = live.map((_, i) => i);
  let sorted = true;
  for (let i = 1; i < live.length && sorted; i++)
    sorted = (live[i - 1]?.account ?? "") <= (live[i]?.account ?? "");
  if (!sorted) order.sort((a, b) => byAccount(live[a] ?? { account: "" }, live[b] ?? { account: "" }));
  const matched = new Uint8Array(live.length);
  const out: [DesiredUser, LiveUser | undefined][] = [];
  let j = 0;
  for (const want of wanted.sort(byAccount)) {
    while (j < order.length && (live[order[j] ?? 0]?.account ?? "") < want.account) j++;
    let have: LiveUser | undefined;
    for (let k = j; k < order.length; k++) {
      const index = order[k] ?? 0;
      const candidate = live[index];
      if (candidate?.account !== want.account) break;
      have = candidate;
      matched[index] = 1;
    }
    out.push([want, have]);
  }
  return { wanted: out, matched };
}

/**
 * Live accounts no desired account matched, by the other name they hold (LiveUser.otherName, folded):
 * where a desired account is missing, the account holding its name this way is its entry, renamed.
 * A name two accounts hold says nothing and is left out.
 */
function accountsByOtherName(live: readonly LiveUser[], matched: Uint8Array): Map<string, LiveUser> {
  const out = new Map<string, LiveUser>();
  const twice = new Set<string>();
  live.forEach((user, i) => {
    if (matched[i] === 1 || user.otherName === undefined) return;
    const key = user.otherName.toLowerCase();
    if (out.has(key)) twice.add(key);
    else out.set(key, user);
  });
  for (const key of twice) out.delete(key);
  return out;
}

/**
 * The live accounts no desired account matched, by their e-mail in lower case, where one alone has it and
 * only one person in the files has it: the account of that person renamed in the system by hand (an
 * Active Directory admin changing a sAMAccountName, an app's userName edited), most likely, when that
 * person's own account is missing. Accounts another person's record (SCIM externalId) claims are left out.
 */
function accountsByEmail(
  live: readonly LiveUser[],
  matched: Uint8Array,
  wanted: readonly (readonly [DesiredUser, LiveUser | undefined])[],
): Map<string, LiveUser> {
  // Only the e-mails of people whose account is missing are looked for (none in a steady state).
  const sought = new Set<string>();
  for (const [want, found] of wanted) {
    const email = found === undefined ? want.attributes.email?.toLowerCase() : undefined;
    if (email !== undefined) sought.add(email);
  }
  const out = new Map<string, LiveUser>();
  if (sought.size === 0) return out;
  const people = new Map<string, number>();
  for (const [want] of wanted) {
    const email = want.attributes.email?.toLowerCase();
    if (email !== undefined && sought.has(email)) people.set(email, (people.get(email) ?? 0) + 1);
  }
  const twice = new Set<string>();
  live.forEach((user, i) => {
    if (matched[i] === 1 || user.email === undefined) return;
    const email = user.email.toLowerCase();
    if (people.get(email) !== 1) return;
    if (out.has(email)) twice.add(email);
    else out.set(email, user);
  });
  for (const email of twice) out.delete(email);
  return out;
}

/**
 * The unmatched account with `want`'s e-mail (accountsByEmail), where it may be taken for theirs renamed
 * by hand: any such account of a leaver (their due applies to it); for anyone active, not one named as
 * they would be by default (id or e-mail: an adopted account, which the plan replaces only once the new
 * one exists), nor one another person's record claims.
 */
function emailHolder(want: DesiredUser, byEmail: ReadonlyMap<string, LiveUser>): LiveUser | undefined {
  const email = want.attributes.email?.toLowerCase();
  const found = email === undefined ? undefined : byEmail.get(email);
  if (found === undefined) return undefined;
  if (found.personId !== undefined && found.personId !== want.userId) return undefined;
  if (want.status === "terminated") return found;
  // Someone on leave or not started yet: nothing is done to an account on the strength of an e-mail.
  if (!want.enabled) return undefined;
  const name = found.account.toLowerCase();
  return name === want.userId.toLowerCase() || name === email ? undefined : found;
}

/**
 * For a leaver whose account is missing, the one unmatched account that carries their record
 * (LiveUser.personId: SCIM's externalId), where the account gatehouse made for them and has not disabled
 * is what is missing (the journal): renamed by hand in the application, name and e-mail both, it would
 * otherwise keep every group of theirs, unseen in additive mode. externalId makes no account anyone's
 * for access (emailHolder's rule); for a leaver it only narrows, as their e-mail does. Not where two
 * unmatched accounts carry the record.
 */
function leaversRecordHolder(
  input: PlanSink["input"],
  wanted: readonly (readonly [DesiredUser, LiveUser | undefined])[],
  matched: Uint8Array,
): (want: DesiredUser) => LiveUser | undefined {
  const sought = new Set<string>();
  for (const [want, found] of wanted) {
    const id = userAddress(input.name, want.account);
    if (
      found === undefined &&
      want.status === "terminated" &&
      input.managed?.has(id) === true &&
      input.disabledByGatehouse?.has(id) !== true
    )
      sought.add(want.userId);
  }
  const byPerson = new Map<string, LiveUser | null>();
  if (sought.size > 0)
    input.live.users.forEach((user, i) => {
      if (matched[i] === 1 || user.personId === undefined || !sought.has(user.personId)) return;
      byPerson.set(user.personId, byPerson.has(user.personId) ? null : user);
    });
  return (want) => (want.status === "terminated" ? (byPerson.get(want.userId) ?? undefined) : undefined);
}

/** Marks (1) or unmarks (0) every live account of a name as matched. */
type MarkMatched = (account: string, value: 0 | 1) => void;

/**
 * MarkMatched over `live` and `matched`. The live positions by name are found on the first call, once: a
 * bad HR export may pass thousands of addresses on, and a scan of every live account each would not do.
 */
function matchMarker(live: readonly LiveUser[], matched: Uint8Array): MarkMatched {
  let positions: Map<string, number[]> | undefined;
  return (account, value) => {
    if (positions === undefined) {
      positions = new Map();
      for (const [i, user] of live.entries()) {
        const list = positions.get(user.account);
        if (list) list.push(i);
        else positions.set(user.account, [i]);
      }
    }
    for (const i of positions.get(account) ?? []) matched[i] = value;
  };
}

/**
 * Unpairs each desired account whose live account of that name is another person's, never the account of
 * the person the files now give the name to. Either the journal saw gatehouse manage it for someone else
 * in the files (DesiredState.accountsOfOthers), or for someone no longer in the files at all (departedFrom:
 * recorded in `sink.departed`), or the journal has no record of it and the system records it as the
 * account of another person still in the files (LiveUser.personId: a first deployment, or the first run
 * after `gatehouse import`). Returns those live accounts by name, and the owners of the last kind by
 * account name (`claimed`).
 */
function unpairPassedOn(
  sink: PlanSink,
  wanted: [DesiredUser, LiveUser | undefined][],
  markMatched: MarkMatched,
): { passedOn: ReadonlyMap<string, LiveUser>; claimed: ReadonlyMap<string, AccountOfAnother> } {
  const passedOn = new Map<string, LiveUser>();
  const claimed = new Map<string, AccountOfAnother>();
  const { input } = sink;
  const others = input.desired.accountsOfOthers;
  wanted.forEach(([want, have], i) => {
    if (have === undefined) return;
    const gone = others?.has(want.account) === true ? undefined : departedFrom(input, want);
    if (gone !== undefined) sink.departed.set(want.account, gone);
    else if (others?.has(want.account) !== true) {
      const owner = claimedBy(input, want, have);
      if (owner === undefined) return;
      claimed.set(want.account, owner);
    }
    wanted[i] = [want, undefined];
    markMatched(want.account, 0);
    passedOn.set(want.account, have);
  });
  return { passedOn, claimed };
}

/** LiveState.elsewhere by account name (folded where the system ignores case). */
interface Elsewhere {
  get(account: string): AccountElsewhere | undefined;
}

function elsewhereOf(live: LiveState, caseInsensitive: boolean): Elsewhere {
  const fold = nameFold({ caseInsensitiveNames: caseInsensitive });
  const byName = new Map<string, AccountElsewhere>();
  if (live.elsewhere !== undefined && live.elsewhere.length > 0) {
    // An account the read found in scope is that account, whatever else bears its name.
    const inScope = new Set(live.users.map((u) => fold(u.account)));
    for (const entry of live.elsewhere) {
      const key = fold(entry.account);
      if (!byName.has(key) && !inScope.has(key)) byName.set(key, entry);
    }
  }
  return { get: (account) => (byName.size === 0 ? undefined : byName.get(fold(account))) };
}

/**
 * The attributes of `attrs` to write: those the system stores, less a manager whose account is outside
 * the scope read, which cannot be written (apply finds managers in the scope only); the user-level note
 * says where it is. Less, too, a manager in `noAccount` (a person with no account here, who gets none
 * from this plan): a system that resolves the reference (LDAP: the manager's DN) would fail the write.
 */
function writableKeys(
  attrs: UserAttributes,
  allowed: readonly string[],
  elsewhere: Elsewhere,
  noAccount: ReadonlySet<string>,
): readonly string[] {
  const away =
    attrs.manager !== undefined &&
    (elsewhere.get(attrs.manager) !== undefined || noAccount.has(attrs.manager));
  return away ? allowed.filter((key) => key !== "manager") : allowed;
}

/**
 * Whether a difference in a user's attributes is drift (the system changed) rather than the files: the
 * user is gatehouse's, and the system no longer holds what gatehouse last wrote (or the journal does not
 * say what that was).
 */
function isDrift(input: PlanSink["input"], id: string, have: LiveUser): boolean {
  if (input.managed?.has(id) !== true) return false;
  const written = input.written?.get(id);
  return written === undefined || written !== attributesDigest(have);
}

/**
 * Accounts to rename in place (renameUsers), by the account each becomes: a person in the files whose
 * account here is missing, while an account the journal saw gatehouse manage for the same user id
 * (DesiredState.formerAccounts) is live and matched by no one. Renamed, it keeps its id and groups; a
 * new account beside it would be refused where the app keeps externalIds unique (Better Auth), and the
 * person would lose their groups until it exists. Of several, the enabled one, then the first by name;
 * the others are disabled as before. Records each in `sink.renamedUsers` and marks it matched.
 */
function planRenames(
  sink: PlanSink,
  wanted: readonly (readonly [DesiredUser, LiveUser | undefined])[],
  matched: Uint8Array,
  heldFor: ReadonlyMap<string, LiveUser>,
  elsewhere: Elsewhere,
  passedOn: ReadonlyMap<string, LiveUser>,
  deferred: Map<string, LiveUser>,
  leftovers: (account: string) => readonly string[],
): ReadonlyMap<string, LiveUser> {
  const out = new Map<string, LiveUser>();
  const { capabilities: caps, desired, live } = sink.input;
  const formerAccounts = desired.formerAccounts;
  if (caps.renameUsers !== true || formerAccounts === undefined || formerAccounts.size === 0) return out;
  const byUser = new Map<string, { readonly user: LiveUser; readonly index: number }[]>();
  live.users.forEach((user, index) => {
    // An account the journal saw as several people's is renamed to none of them: it may be another's now.
    const owner =
      matched[index] === 1 ||
      user.pending === true ||
      desired.formerAccountsOfSeveral?.has(user.account) === true
        ? undefined
        : formerAccounts.get(user.account);
    if (owner === undefined) return;
    const list = byUser.get(owner);
    if (list) list.push({ user, index });
    else byUser.set(owner, [{ user, index }]);
  });
  if (byUser.size === 0) return out;
  /** Renames `want`'s former account to their account, if they have one to rename: the name it frees. */
  const rename = (
    [want, have]: readonly [DesiredUser, LiveUser | undefined],
    isDeferred = false,
  ): string | undefined => {
    if (have || !want.enabled || heldFor.has(want.account.toLowerCase())) return undefined;
    if (elsewhere.get(want.account) !== undefined) return undefined;
    const pick = byUser
      .get(want.userId)
      ?.filter((c) => matched[c.index] !== 1)
      .sort((a, b) => Number(b.user.enabled) - Number(a.user.enabled) || byAccount(a.user, b.user))[0];
    if (pick === undefined) return undefined;
    matched[pick.index] = 1;
    // A name another person held, which the system still names somewhere: renamed into, their entry would
    // get what is left of that person's access. Kept as theirs until nothing names it (a note says what).
    if (isDeferred || leftovers(want.account).length > 0) {
      // Kept as theirs, as it is, until the next run renames it (only in the groups they hold).
      deferred.set(want.account, pick.user);
      sink.byHand.renamed.set(pick.user.account, want.account);
      return undefined;
    }
    out.set(want.account, pick.user);
    sink.renamedUsers.set(pick.user.account, want.account);
    return pick.user.account;
  };
  // A name another person's account holds (passedOn) is renamed into only once that account is renamed
  // away (a rename to a taken name would fail): each such rename waits for the one freeing its name, so
  // a chain of passed-on addresses is renamed whole, in any order. A cycle (two people swapping) is not.
  const waiting = new Map<string, readonly [DesiredUser, LiveUser | undefined]>();
  const freed: string[] = [];
  for (const pair of wanted) {
    if (passedOn.has(pair[0].account)) waiting.set(pair[0].account, pair);
    else {
      const name = rename(pair);
      if (name !== undefined) freed.push(name);
    }
  }
  // Where member values name the account (LDAP), a name freed by a rename here is renamed into by the
  // next run: until this plan's moves are written the groups still name it, so an account renamed into it
  // now would hold the former holder's groups meanwhile (for good, if a move failed), and in a group both
  // hold, the add of the name for one and its removal for the other would meet in one write.
  const isDeferred = caps.userRenameRewrites?.members === true;
  for (let name = freed.pop(); name !== undefined; name = freed.pop()) {
    const pair = waiting.get(name);
    if (pair === undefined) continue;
    waiting.delete(name);
    const next = rename(pair, isDeferred);
    if (next !== undefined) freed.push(next);
  }
  return out;
}

/** A live user as it reads once this plan's renames are made: a manager renamed in place is the same account. */
function afterRenames(have: LiveUser, renamed: ReadonlyMap<string, string>): LiveUser {
  const manager = have.manager === undefined ? undefined : renamed.get(have.manager);
  return manager === undefined ? have : { ...have, manager };
}

/**
 * Why a report's manager is written when the only cause is the manager's rename in this plan (their
 * reference names the account: Capabilities.userRenameRewrites.manager); undefined otherwise.
 */
function managerRenamedWhy(
  have: LiveUser,
  fields: readonly FieldDiff[],
  sink: PlanSink,
  provider: string,
): string | undefined {
  const to = have.manager === undefined ? undefined : sink.renamedUsers.get(have.manager);
  const field = fields.find((f) => f.field === "manager");
  if (to === undefined || field?.after !== to) return undefined;
  return `manager ${have.manager ?? ""} is renamed to ${to} in place, and ${provider} names the manager by account: the reference moves to the new name`;
}

/** What made `want` a leaver, and, where `isLate` and their end date is long past, that this is late. */
export function leavingText(want: DesiredUser, isLate = true): string | undefined {
  if (want.leaving === undefined) return undefined;
  return isLate && want.lateBy !== undefined
    ? `${want.leaving}, ${want.lateBy}: offboarded late`
    : want.leaving;
}

/**
 * The why of a change to a leaver's account: what made them one (the HR event and its date), then `more`.
 * `isLate`: the change takes access away (not the delete of an account disabled before).
 */
function leaverWhy(want: DesiredUser, more: readonly string[], isLate = true): { why?: string[] } {
  const leaving = leavingText(want, isLate);
  const why = [...(leaving === undefined ? [] : [`leaver: ${leaving}`]), ...more];
  return why.length === 0 ? {} : { why };
}

/** The why of an account's create: an invitation, or a name another person's account is renamed away from. */
function createWhy(
  sink: PlanSink,
  want: DesiredUser,
  passedOn: ReadonlyMap<string, LiveUser>,
): { why?: string[] } {
  const { name: provider, capabilities: caps, desired } = sink.input;
  const why: string[] = [];
  const owner = passedOn.has(want.account) ? desired.accountsOfOthers?.get(want.account) : undefined;
  if (owner !== undefined)
    why.push(
      `${want.account} was the account of ${owner.owner.userId}, renamed to ${sink.renamedUsers.get(want.account) ?? ""} first: a new account is made for ${want.userId}`,
    );
  if (!caps.createUsers) why.push(`invitation to ${provider}: access starts once it is accepted`);
  const held = namedAlready(sink.input.live).get(want.account) ?? [];
  if (held.length > 0)
    why.push(
      `${want.account} is at once a member of ${held.join(", ")}: ${provider} holds that member value already (left from an earlier account of the name; gatehouse does not manage it), which the access files do not grant here: remove it in ${provider} before applying`,
    );
  return why.length === 0 ? {} : { why };
}

/** Groups by the names they hold that no account has (LiveGroup.unmanagedNames), once per live state. */
const namedAlready = oncePer((live: LiveState): ReadonlyMap<string, readonly string[]> => {
  const pairs = live.groups.flatMap((g) => (g.unmanagedNames ?? []).map((name) => [name, g.name] as const));
  return new Map([...groupBy(pairs, ([name]) => name)].map(([name, list]) => [name, list.map(([, g]) => g)]));
});

/** The plan note for an account the files give to `want`'s person that is still another person's. */
function notePassedOn(sink: PlanSink, want: DesiredUser, passed: AccountOfAnother): void {
  const { name: provider, capabilities: caps } = sink.input;
  const { account, userId } = want;
  const owner = passed.owner.userId;
  const isLeaver = passed.owner.status === "terminated";
  sink.note(
    "unmanaged",
    `account ${account} in ${provider} is ${owner}'s (the journal saw gatehouse manage it for ${owner}), but the files now give ${account} to ${userId}: ` +
      `gatehouse does not hand ${owner}'s account to ${userId}, and creates none for ${userId} while the name is taken` +
      (isLeaver
        ? `; it is treated as the account of ${owner}, a leaver. `
        : passed.ownerAccount === undefined
          ? ` (${owner} has no account in ${provider} in the files now). `
          : caps.renameUsers === true
            ? ` (${owner}'s account cannot be renamed to ${passed.ownerAccount} now). `
            : ` (${provider} cannot rename it to ${owner}'s account ${passed.ownerAccount}). `) +
      `Once ${account} is renamed or deleted in ${provider}, ${userId}'s account is created; if it is ${userId}'s account now, rename or delete it by hand and let gatehouse create it`,
  );
}

/**
 * After planUsers' loop: an account passed on to someone else whose owner (not a leaver) has an account
 * in the files that does not exist once this plan is applied (`exists`: the name is taken too, say) is
 * kept as theirs (as one renamed by hand: only in the groups they hold), never disabled for want of a
 * successor. Otherwise it is left unmatched: it goes as the owner's former account once their new one
 * exists, or as an account of someone with none here (mode: authoritative).
 */
function keepOwnersAccounts(sink: PlanSink, existing: readonly string[], markMatched: MarkMatched): void {
  if (sink.ownersAccounts.size === 0) return;
  const exists = new Set(existing);
  for (const [account, passed] of sink.ownersAccounts) {
    const { ownerAccount } = passed;
    if (passed.owner.status === "terminated" || ownerAccount === undefined || exists.has(ownerAccount))
      continue;
    sink.byHand.renamed.set(account, ownerAccount);
    markMatched(account, 1);
  }
}

/**
 * The note for an account not made (created, or renamed into) because the system still names its name
 * where another person held it (leftoversFinder): what names it, and what to do.
 */
function noteLeftovers(
  sink: PlanSink,
  want: DesiredUser,
  left: readonly string[],
  renamedFrom: string | undefined,
): void {
  const { name: provider, heldBefore } = sink.input;
  const holders = (heldBefore?.get(want.account) ?? []).join(", ");
  sink.note(
    "unmanaged",
    `${want.account} (${want.userId}) is not ${renamedFrom === undefined ? "created" : `renamed from ${renamedFrom}`} yet: the name was ${holders}'s in ${provider}, and values they left still name it: ${firstFew(left)}. ` +
      `Whoever holds ${want.account} gets that access with it. Remove ${want.account} from there in ${provider} (or give ${want.userId} the group in the files, if it is theirs to have); the first run after that makes the account`,
  );
}

/** Users: create, enable, update attributes, disable leavers, revoke their sessions; unmentioned accounts by mode. */
export function planUsers(sink: PlanSink): void {
  const { input } = sink;
  const { name: provider, capabilities: caps, desired, live } = input;
  const pairs = pairByAccount([...desired.users.values()], live.users);
  const markMatched = matchMarker(live.users, pairs.matched);
  const { passedOn, claimed } = unpairPassedOn(sink, pairs.wanted, markMatched);
  const heldFor = accountsByOtherName(live.users, pairs.matched);
  const byEmail = accountsByEmail(live.users, pairs.matched, pairs.wanted);
  const elsewhere = elsewhereOf(live, caps.caseInsensitiveNames === true);
  // People in the files with no account here who get none from this plan (a leaver, someone on leave
  // where leave disables, or not started): no manager reference to them is written (writableKeys).
  const noAccount = new Set(
    pairs.wanted.flatMap(([want, have]) => (have === undefined && !want.enabled ? [want.account] : [])),
  );
  const fold = nameFold(caps);
  // ... and managers who are no user here at all, where only members of its groups get accounts (users:
  // members) and they hold none: a reference to them would name no account, which the system does not
  // keep, and every run would write it again.
  const here = new Set([
    ...pairs.wanted.map(([want]) => fold(want.account)),
    ...live.users.map((u) => fold(u.account)),
  ]);
  const inNoGroup = new Set(
    pairs.wanted.flatMap(([want]) => {
      const manager = want.attributes.manager;
      return manager !== undefined && !here.has(fold(manager)) ? [manager] : [];
    }),
  );
  for (const manager of inNoGroup) noAccount.add(manager);
  const namesTaken = new Map((live.namesTaken ?? []).map((n) => [fold(n.account), n]));
  const cannotCreate = new Map((live.cannotCreate ?? []).map((c) => [fold(c.account), c.why]));
  const deferred = new Map<string, LiveUser>();
  const leftovers = leftoversFinder(input);
  const renames = planRenames(
    sink,
    pairs.wanted,
    pairs.matched,
    heldFor,
    elsewhere,
    passedOn,
    deferred,
    leftovers,
  );
  // The account renamed by hand that holds each person's entry, where theirs is missing (by the entry's
  // other name, else by their e-mail: emailHolder), by the person's account; and the reverse, since a
  // manager reference naming such an account names that person, who is not written as a manager under
  // a name no account has.
  const handHeld = new Map<
    string,
    { readonly live: LiveUser; readonly how: "entry" | "email" | "record" | "id"; readonly id?: string }
  >();
  const heldByHand = new Map<string, string>();
  const byRecord = leaversRecordHolder(input, pairs.wanted, pairs.matched);
  const byId = leaverIdHolder(sink, live.users, pairs.wanted);
  for (const [want, found] of pairs.wanted) {
    if (found !== undefined) continue;
    const entry = heldFor.get(want.account.toLowerCase());
    const byMail = entry === undefined ? emailHolder(want, byEmail) : undefined;
    // An account the journal knows gatehouse made for this person (an id or mapping changed since) is
    // their former account, not one renamed by hand: the new one is made and the old one retired after.
    const mailed =
      byMail !== undefined && desired.formerAccounts?.get(byMail.account) === want.userId
        ? undefined
        : byMail;
    const recorded = (entry ?? mailed) ? undefined : byRecord(want);
    // Last, the entry by its stable id (a leaver's, renamed by hand): not one another person's holds.
    const identified = (entry ?? mailed ?? recorded) ? undefined : byId(want);
    const ided =
      identified !== undefined && !heldByHand.has(identified.live.account) ? identified : undefined;
    const live = entry ?? mailed ?? recorded ?? ided?.live;
    if (live === undefined) continue;
    handHeld.set(want.account, {
      live,
      how:
        entry !== undefined
          ? "entry"
          : mailed !== undefined
            ? "email"
            : recorded !== undefined
              ? "record"
              : "id",
      ...(ided === undefined ? {} : { id: ided.id }),
    });
    heldByHand.set(live.account, want.account);
  }
  // Accounts that exist once this plan is applied (live, created, or renamed into), for ownersAccounts:
  // a list, made a set only where an account was passed on (rarely; 100k names at 100k people).
  const exists: string[] = [];
  for (const [wanted, found] of pairs.wanted) {
    let want = wanted;
    let have = found;
    // Their former account, renamed in place: every change below is to it, under its present name.
    const former = have ? undefined : renames.get(want.account);
    const renamedTo = former === undefined ? undefined : want.account;
    if (former !== undefined) {
      want = { ...want, account: former.account };
      have = former;
    }
    // The name is held by another person's account that this plan does not rename away: it stays theirs.
    const taken = have || sink.renamedUsers.has(want.account) ? undefined : passedOn.get(want.account);
    const passed =
      taken === undefined
        ? undefined
        : (desired.accountsOfOthers?.get(want.account) ?? claimed.get(want.account));
    const gone = taken === undefined ? undefined : sink.departed.get(want.account);
    if (taken !== undefined && gone !== undefined) {
      // A departed person's account: not the newcomer's; judged after the loop as nobody's.
      sink.byHand.notCreated.add(want.account);
      noteDeparted(sink, want, taken, gone);
      continue;
    }
    if (taken !== undefined && passed !== undefined) {
      sink.ownersAccounts.set(want.account, passed);
      sink.byHand.notCreated.add(want.account);
      if (claimed.has(want.account)) {
        // Judged after the loop as its owner's (keepOwnersAccounts), never as a leaver's on this evidence.
        noteClaimed(sink, want, passed);
        continue;
      }
      notePassedOn(sink, want, passed);
      if (passed.owner.status !== "terminated") continue; // judged after the loop (keepOwnersAccounts)
      // A leaver's account: what a leaver is due applies to it, as to any account of theirs.
      sink.terminated.add(want.account);
      markMatched(want.account, 1);
      want = passed.owner;
      have = taken;
    }
    // Without an account of their own (so `want` is as paired), the entry renamed by hand that holds
    // theirs, else an account with their e-mail: for a leaver it is theirs to offboard; for anyone else it
    // is neither disabled nor replaced by a new one (emailHolder says which count).
    const heldHere = have ? undefined : handHeld.get(want.account);
    const holder = heldHere?.live;
    const renamedEntry = heldHere?.how === "entry" ? heldHere.live : undefined;
    if (holder !== undefined && !want.enabled) {
      // A leaver's (or a disabled person's) account renamed by hand: what they are due applies to it.
      sink.byHand.renamed.set(holder.account, want.account);
      if (want.status === "terminated") sink.terminated.add(holder.account);
      sink.note(
        "info",
        heldHere?.how === "id"
          ? `account ${holder.account} in ${provider} is the entry gatehouse knew as ${want.userId}'s account ${want.account}, found by its stable id (${heldHere.id ?? ""}) under its new name: renamed by hand, it is treated as ${want.userId}'s`
          : heldHere?.how === "record"
            ? `account ${holder.account} in ${provider} carries the record (externalId) of ${want.userId}, whose account ${want.account}, made by gatehouse, is not there: renamed by hand, it is treated as ${want.userId}'s`
            : renamedEntry === undefined
              ? `account ${holder.account} in ${provider} has the e-mail of ${want.userId} (${holder.email ?? ""}), whose account ${want.account} is not there: renamed by hand, it is treated as ${want.userId}'s`
              : `account ${holder.account} in ${provider} holds the entry of ${want.account} (${want.userId}), renamed by hand: it is treated as ${want.userId}'s`,
      );
      want = { ...want, account: holder.account };
      have = holder;
    }
    const id = userAddress(provider, want.account);
    const base = { provider, source: want.source, userId: want.userId } as const;
    if (!have) {
      const outside = elsewhere.get(want.account);
      if (!want.enabled) {
        // A leaver with no account here: nothing to remove, unless the system grants them access beyond
        // its read (a GitHub outside collaborator: removed in the kill chain, by a disable of the account).
        const beyond = want.status === "terminated" ? input.beyondRead?.get(want.account) : undefined;
        if (beyond !== undefined && caps.disable !== "none") {
          if (heldAccount(want, caps) === "kept") sink.note("info", legalHoldNote(want, provider, "kept"));
          else
            sink.change({
              ...base,
              id,
              kind: "user",
              action: "disable",
              account: want.account,
              reason: "user-terminated",
              risk: "narrows",
              ...leaverWhy(want, [`no account ${provider} reads, but still ${beyond}: removed`]),
            });
        }
        if (outside !== undefined)
          sink.note(
            "unmanaged",
            `account ${want.account} of ${want.userId} (${want.status === "terminated" ? "a leaver" : want.status === "leave" ? "on leave" : "not started yet"}) is in ${provider} outside the scope gatehouse reads, at ${outside.where}: ` +
              `gatehouse can neither disable it nor take it out of groups there. If it is still enabled, disable it by hand, or move the entry back where gatehouse creates accounts`,
          );
        continue;
      }
      if (holder?.enabled === true) {
        // Its entry is there under another account name, in use: creating the account would fail (the
        // entry's name is taken), and disabling the holder may take the person's own account away.
        // Neither is planned; the holder keeps only the groups the person holds (plan-groups.ts).
        sink.byHand.notCreated.add(want.account);
        sink.byHand.renamed.set(holder.account, want.account);
        sink.note(
          "unmanaged",
          renamedEntry === undefined
            ? `account ${holder.account} in ${provider} has the e-mail of ${want.userId} (${holder.email ?? ""}), whose account ${want.account} is not there: renamed by hand? ` +
                `gatehouse neither creates ${want.account} (a second account for the same person) nor disables ${holder.account}, and keeps it only in the groups ${want.userId} holds. ` +
                `If it is ${want.userId}'s account, rename it back to ${want.account} in ${provider}, or map ${want.userId} to it in the files (accounts: { ${provider}: ${holder.account} }); ` +
                `if it is someone else's, change its e-mail in ${provider}`
            : `account ${holder.account} in ${provider} holds the entry of ${want.account} (${want.userId}): renamed by hand? ` +
                `gatehouse neither creates ${want.account} (its entry name is taken) nor disables ${holder.account}, and keeps it only in the groups ${want.userId} holds. ` +
                `If it is ${want.userId}'s account, rename it back to ${want.account} in ${provider}, or map ${want.userId} to it in the files (accounts: { ${provider}: ${holder.account} }); ` +
                `if it is someone else's, rename or move that entry`,
        );
        continue;
      }
      if (outside !== undefined) {
        // Moved out of the people OU by hand, most likely: creating it again would fail (AD refuses a
        // second sAMAccountName) or make a second account, and adding it to groups would find no entry.
        sink.byHand.notCreated.add(want.account);
        sink.note(
          "unmanaged",
          `account ${want.account} (${want.userId}) is in ${provider} outside the scope gatehouse reads, at ${outside.where}: moved there by hand? ` +
            `gatehouse neither creates ${want.account} again (${provider} would refuse the name, or hold two accounts) nor adds it to groups. ` +
            `If it is ${want.userId}'s account, move the entry back where gatehouse creates accounts, and it is managed again; if it is someone else's, rename or move that entry`,
        );
        continue;
      }
      const taken = namesTaken.get(fold(want.account));
      if (taken !== undefined && (caps.createUsers || caps.invitesUsers === true)) {
        // Creating it would fail at apply (AD: a constraint violation on the userPrincipalName).
        sink.byHand.notCreated.add(want.account);
        sink.note(
          "unmanaged",
          `account ${want.account} (${want.userId}) cannot be created in ${provider}: its ${taken.claim} is already used by account ${taken.holder} (${taken.where}). ` +
            `Give ${want.userId} another account name in the files (accounts: { ${provider}: <name> }), or change that account's ${taken.claim.split(" ")[0] ?? ""} in ${provider}`,
        );
        continue;
      }
      const refused = cannotCreate.get(fold(want.account));
      if (refused !== undefined && (caps.createUsers || caps.invitesUsers === true)) {
        // The system would refuse the create for a reason of its settings (LiveState.cannotCreate).
        sink.byHand.notCreated.add(want.account);
        sink.note(
          "unmanaged",
          `account ${want.account} (${want.userId}) cannot be created in ${provider}: ${refused}`,
        );
        continue;
      }
      if (!caps.createUsers && caps.invitesUsers !== true) {
        sink.note(
          "info",
          `${want.account} (${want.userId}) has no account in ${provider}; it cannot be created from here`,
        );
        continue;
      }
      if (sink.renamedUsers.has(want.account) && caps.userRenameRewrites?.members === true) {
        // A name this plan renames another person's account away from, where member values name the
        // account: until this plan's moves are written they still name it, and an account made under it
        // now would hold that person's groups meanwhile (for good, if a move failed). The next run makes it.
        sink.byHand.notCreated.add(want.account);
        const kept = deferred.get(want.account)?.account;
        sink.note(
          "info",
          `${want.account} (${want.userId}) is ${kept === undefined ? "created" : `renamed from ${kept}`} by the next run: this one renames the account of that name to ${sink.renamedUsers.get(want.account) ?? ""}, and the groups that name ${want.account} in ${provider} are moved to the new name first`,
        );
        continue;
      }
      const left = leftovers(want.account);
      if (left.length > 0) {
        sink.byHand.notCreated.add(want.account);
        noteLeftovers(sink, want, left, deferred.get(want.account)?.account);
        continue;
      }
      exists.push(want.account);
      const manager = want.attributes.manager;
      if (manager !== undefined && noAccount.has(manager) && caps.userAttributes.includes("manager"))
        sink.note(
          "info",
          `the manager of ${want.account}, ${manager}, has no account in ${provider} ${inNoGroup.has(manager) ? "and gets none (in none of its groups, where only their members get accounts)" : "(a leaver, on leave or not started)"}: ${want.account} is created without a manager; set a current manager in the files`,
        );
      sink.change({
        ...base,
        id,
        kind: "user",
        action: "create",
        account: want.account,
        after: onlyAllowed(
          want.attributes,
          writableKeys(want.attributes, caps.userAttributes, elsewhere, noAccount),
        ),
        ...(input.heldBefore?.has(want.account) === true ? { heldBefore: true as const } : {}),
        ...(caps.expiresAccounts === true && want.endDate !== undefined ? { endDate: want.endDate } : {}),
        // An account gatehouse made before and someone deleted since: making it again reverts drift. (Not
        // a name another person's account is renamed away from: what gatehouse made under it was theirs.)
        reason: input.managed?.has(id) === true && !passedOn.has(want.account) ? "drift" : "added-in-config",
        risk: "broadens",
        ...createWhy(sink, want, passedOn),
      });
      continue;
    }
    exists.push(renamedTo ?? want.account);
    // A pending invitation is not sent again; a leaver's is withdrawn (disable), so they cannot still accept it.
    if (have.pending === true && want.enabled) {
      // A failed (expired) invitation is named by the read's own note, which says it is not sent again.
      if (have.invitationFailed !== true) sink.note("info", pendingInvitationNote(want.account));
      continue;
    }
    if (want.enabled && !have.enabled) {
      // An account gatehouse did not disable was disabled by someone else (an incident response, say;
      // also one adopted by import, which the journal does not manage yet): enabling it reverts that, and
      // reviewers must see it as drift. One gatehouse disabled (a rehire) is enabled as the files say.
      const isDisabledByHand = input.disabledByGatehouse?.has(id) !== true;
      sink.change({
        ...base,
        id,
        kind: "user",
        action: "enable",
        account: want.account,
        reason: isDisabledByHand ? "drift" : "added-in-config",
        risk: "broadens",
        ...(isDisabledByHand
          ? {
              why: [
                `disabled in ${provider} by someone other than gatehouse; the files say ${want.userId} is active`,
              ],
            }
          : {}),
      });
    }
    // A leaver's account is deleted where leavers' are, also one disabled before (while they were not);
    // under legal hold it is disabled instead, or, where removal is the only way, kept (legal-hold.ts).
    const held = heldAccount(want, caps);
    // A pending invitation is withdrawn all the same: it holds no data.
    const isKept = held === "kept" && have.pending !== true;
    if (held === "disabled-not-deleted" || isKept) sink.note("info", legalHoldNote(want, provider, held));
    const isDeleted = want.status === "terminated" && caps.deleteLeavers === true && held === undefined;
    // Enabled now, though the journal says gatehouse disabled it and has not enabled it since.
    const isReEnabled = !want.enabled && have.enabled && input.disabledByGatehouse?.has(id) === true;
    const reEnabled =
      "enabled again outside gatehouse after gatehouse disabled it (the journal records no enable since)";
    if (
      !want.enabled &&
      (have.enabled || have.pending === true || isDeleted) &&
      caps.disable !== "none" &&
      !isKept
    ) {
      const reason =
        want.status === "terminated"
          ? "user-terminated"
          : want.status === "leave"
            ? "user-on-leave"
            : "not-started";
      sink.change({
        ...base,
        id,
        kind: "user",
        action: isDeleted ? "delete" : "disable",
        account: want.account,
        reason,
        risk: "narrows",
        ...(have.enabled || have.pending === true
          ? leaverWhy(want, isReEnabled ? [reEnabled] : [])
          : leaverWhy(want, [`disabled already; leavers' accounts are deleted in ${provider}`], false)),
      });
      // Someone undid gatehouse's disable (an incident response's lock lifted too early, or a leaver let
      // back in): the plan says so above its changes, where security reads it, as well as in the why.
      if (isReEnabled)
        sink.note(
          "info",
          `account ${want.account} of ${want.userId} in ${provider} was ${reEnabled}; this plan ${isDeleted ? "deletes" : "disables"} it again`,
        );
    }
    if (
      want.status === "terminated" &&
      caps.revokeSessions &&
      ((have.sessions ?? 0) > 0 || (have.tokens ?? 0) > 0)
    ) {
      sink.change({
        ...base,
        id: sessionsAddress(provider, want.account),
        kind: "user",
        action: "revoke-sessions",
        account: want.account,
        sessions: have.sessions ?? 0,
        tokens: have.tokens ?? 0,
        reason: "user-terminated",
        risk: "narrows",
        ...leaverWhy(want, []),
      });
    }
    const keys = writableKeys(want.attributes, caps.userAttributes, elsewhere, noAccount);
    // Where the manager reference names the manager's account (an LDAP DN), it does not follow their
    // rename: the plan rewrites it here, rather than leave it to the server (refint) or a later plan.
    const managerFollows = caps.userRenameRewrites?.manager !== true;
    const seen = afterRenames(have, heldByHand);
    const fields = attributeDiff(
      managerFollows ? afterRenames(seen, sink.renamedUsers) : seen,
      want.attributes,
      keys,
    );
    const expiry = accountExpiryDiff(have, want, caps, sink.input.expiries?.get(id));
    if (expiry !== undefined) fields.push(expiry);
    // An expiry the files do not give that gatehouse did not write (set by hand, or written by another
    // tool): the system ends the account that day all the same, which no plan would otherwise say.
    if (
      caps.expiresAccounts === true &&
      want.endDate === undefined &&
      have.endDate !== undefined &&
      expiry === undefined &&
      want.enabled
    )
      sink.note(
        "unmanaged",
        `account ${want.account} of ${want.userId} in ${provider} expires when ${have.endDate} ends (set in ${provider}, not by gatehouse), but the files give ${want.userId} no endDate: gatehouse leaves that expiry as it is, and the account stops working then. ` +
          `Give ${want.userId} an endDate in the files, or clear the account's expiry in ${provider}`,
      );
    const managerRenamed = managerFollows ? undefined : managerRenamedWhy(have, fields, sink, provider);
    if (renamedTo !== undefined) fields.unshift({ field: "account", before: want.account, after: renamedTo });
    if (fields.length > 0 && want.status !== "terminated") {
      sink.change({
        ...base,
        id,
        kind: "user",
        action: "update",
        account: want.account,
        fields,
        after: onlyAllowed(want.attributes, keys),
        ...(renamedTo !== undefined && input.heldBefore?.has(renamedTo) === true
          ? { heldBefore: true as const }
          : {}),
        reason: renamedTo === undefined && isDrift(input, id, have) ? "drift" : "added-in-config",
        risk: "neutral",
        ...(renamedTo === undefined && managerRenamed === undefined
          ? {}
          : {
              why: [
                ...(renamedTo === undefined
                  ? []
                  : [
                      `the former account of ${want.userId}, whose account here changed: renamed to ${renamedTo} in place, keeping its groups`,
                    ]),
                ...(managerRenamed === undefined ? [] : [managerRenamed]),
              ],
            }),
      });
    }
  }

  keepOwnersAccounts(sink, exists, markMatched);
  const madeFor = newAccountsByEmail(pairs.wanted, renames);
  for (const [i, have] of live.users.entries()) {
    const isPending = have.pending === true;
    if (pairs.matched[i] === 1 || (!have.enabled && !isPending)) continue;
    if (sink.byHand.renamed.has(have.account)) continue;
    const id = userAddress(provider, have.account);
    const userId = desired.withoutAccess?.get(have.account);
    // The account someone had before their account here changed: theirs, going once the new one exists.
    const formerOf = userId === undefined ? desired.formerAccounts?.get(have.account) : undefined;
    // An account the system records as another person's, not handed to whom the files give its name.
    const claimedFor = userId === undefined && formerOf === undefined ? claimed.get(have.account) : undefined;
    // A departed person's account, whose name the files give someone new: nobody's.
    const gone =
      userId === undefined && formerOf === undefined && claimedFor === undefined
        ? sink.departed.get(have.account)
        : undefined;
    const owner = userId ?? formerOf ?? claimedFor?.owner.userId ?? gone;
    // No one's by the journal, named as that person would be by default (their id, or their e-mail) and
    // with their e-mail, while this plan makes them an account under another name (`accounts`): most
    // likely their account adopted before (import). Not taken for theirs (that is no proof), but not
    // taken away before their new one exists either. An account renamed to anything else stays a
    // stranger's: renaming a person's account away must not keep it alive.
    const candidate =
      owner === undefined && have.email !== undefined ? madeFor.get(have.email.toLowerCase()) : undefined;
    const name = have.account.toLowerCase();
    const lookalike =
      candidate !== undefined &&
      (name === candidate.userId.toLowerCase() || name === have.email?.toLowerCase())
        ? candidate
        : undefined;
    // Someone in the files who holds none of this system's groups (users: members) is not a stranger.
    const holdsNone = `${userId ?? ""}, who holds none of ${provider}'s groups (users: members)`;
    if (input.mode === "authoritative" && caps.disable !== "none") {
      sink.change({
        provider,
        id,
        kind: "user",
        // Disabled, never deleted, even with deleteLeavers: only a leaver in the files is a decision to
        // delete. An account that merely matches no one (renamed in the system, say) can be enabled again.
        action: "disable",
        account: have.account,
        ...(owner === undefined ? {} : { userId: owner }),
        ...(lookalike === undefined ? {} : { replacedBy: lookalike.account }),
        reason:
          userId !== undefined
            ? "holds-no-group"
            : input.managed?.has(id) === true
              ? "removed-from-config"
              : "not-in-config",
        risk: "narrows",
        why: [
          formerOf !== undefined
            ? `the former account of ${formerOf}, whose account here changed; disabled once the new one exists`
            : claimedFor !== undefined
              ? claimedWhy(provider, have.account, claimedFor)
              : gone !== undefined
                ? departedWhy(have.account, gone, desired.users.get(have.account)?.userId)
                : lookalike !== undefined
                  ? `in no access file (mode: authoritative), named and addressed as ${lookalike.userId} would be by default, whose account ${lookalike.account} this plan creates: disabled, and taken out of its groups, only once ${lookalike.account} exists`
                  : isPending
                    ? `a pending invitation for ${userId === undefined ? "someone in no access file" : holdsNone} is withdrawn (mode: authoritative)`
                    : userId === undefined
                      ? "the account is in no access file (mode: authoritative)"
                      : `the account of ${holdsNone} (mode: authoritative)`,
        ],
      });
    } else if (input.mode === "observe") {
      sink.note(
        "unmanaged",
        userId === undefined
          ? `account ${have.account} is in no access file; left alone (mode: observe)`
          : `account ${have.account} belongs to ${holdsNone}; left alone (mode: observe)`,
      );
    }
  }
}

/**
 * The accounts this plan makes for people (enabled, no live account, none renamed into theirs), by the
 * person's e-mail in lower case, with the person; an e-mail several of them share is left out.
 */
function newAccountsByEmail(
  wanted: readonly (readonly [DesiredUser, LiveUser | undefined])[],
  renames: ReadonlyMap<string, LiveUser>,
): Map<string, { readonly account: string; readonly userId: string }> {
  const out = new Map<string, { readonly account: string; readonly userId: string }>();
  const shared = new Set<string>();
  for (const [want, have] of wanted) {
    // Most people have their account: their e-mail is not lowered (100k strings at 100k people).
    if (have !== undefined || !want.enabled) continue;
    const email = want.attributes.email?.toLowerCase();
    if (email === undefined || renames.has(want.account)) continue;
    if (out.has(email)) shared.add(email);
    out.set(email, { account: want.account, userId: want.userId });
  }
  for (const email of shared) out.delete(email);
  return out;
}

/**
 * The plan note for an account whose invitation is still pending (the person has not accepted it). Exported
 * so that the drill can tell a restore that is only an invitation from one that gave the access back.
 */
export function pendingInvitationNote(account: string): string {
  return `${account}: invitation pending; not sent again`;
}
