import type { DesiredState, LiveGroup, LiveState, LiveUser } from "../model/state.ts";

/**
 * An account renamed in the system (an app admin changed a SCIM `userName`) still carries the gatehouse
 * user id gatehouse wrote with it (`externalId`). Compared by name alone, the plan would disable it as
 * a stranger, create the person again, and remove and add each membership. So before planning, a live
 * account whose user id is a desired user's, under another name, takes the desired name: in the user
 * list (with `renamedFrom`, so the plan renames it back), member lists, maintainers and managers.
 * Left as it is when the desired name is held live already, when the live name is itself a desired
 * account, or when two live accounts carry the same user id. Names are compared ignoring case.
 */
export function alignLiveUserIds(desired: DesiredState, live: LiveState): LiveState {
  if (!live.users.some((u) => u.userId !== undefined)) return live;
  const fold = (name: string): string => name.toLowerCase();
  const accountOf = new Map<string, string>();
  for (const user of desired.users.values()) accountOf.set(user.userId, user.account);
  const desiredAccounts = new Set([...desired.users.keys()].map(fold));
  const liveAccounts = new Set(live.users.map((u) => fold(u.account)));
  const carriers = new Map<string, number>();
  for (const u of live.users)
    if (u.userId !== undefined) carriers.set(u.userId, (carriers.get(u.userId) ?? 0) + 1);
  const renames = new Map<string, string>(); // live name → desired name
  for (const u of live.users) {
    if (u.userId === undefined || carriers.get(u.userId) !== 1) continue;
    const wanted = accountOf.get(u.userId);
    if (wanted === undefined || fold(wanted) === fold(u.account)) continue;
    if (liveAccounts.has(fold(wanted)) || desiredAccounts.has(fold(u.account))) continue;
    renames.set(u.account, wanted);
  }
  if (renames.size === 0) return live;
  const rename = (name: string): string => renames.get(name) ?? name;
  const all = (names: readonly string[]): readonly string[] => names.map(rename);
  return {
    ...live,
    users: live.users.map((u): LiveUser => {
      const account = rename(u.account);
      const manager = u.manager === undefined ? undefined : rename(u.manager);
      if (account === u.account && manager === u.manager) return u;
      return {
        ...u,
        account,
        ...(account === u.account ? {} : { renamedFrom: u.account }),
        ...(manager === undefined ? {} : { manager }),
      };
    }),
    groups: live.groups.map((g): LiveGroup => ({
      ...g,
      members: all(g.members),
      ...(g.maintainers ? { maintainers: all(g.maintainers) } : {}),
    })),
  };
}
