import type { ProviderPlanInput } from "./context.ts";
import { nameFold } from "./align-case.ts";

/**
 * What still names each account name another person held before (ProviderPlanInput.heldBefore), as the
 * plan note lists it: what the system found beyond its read (stillNaming), and what the read itself shows
 * that the files do not give the name's new holder: a group holding the name, a manager value naming it.
 * Whoever is given the name gets all of it with the account, so the account is not made while anything
 * is listed. Returns the list for one name (empty: nothing names it); the read is scanned once, on the
 * first call that needs it.
 */
export function leftoversFinder(input: ProviderPlanInput): (account: string) => readonly string[] {
  const held = input.heldBefore;
  if (held === undefined || held.size === 0) return () => [];
  const fold = nameFold(input.capabilities);
  let inRead: Map<string, string[]> | undefined;
  const readLeftovers = (): Map<string, string[]> => {
    if (inRead !== undefined) return inRead;
    const found = new Map<string, string[]>();
    const names = new Map([...held.keys()].map((name) => [fold(name), name]));
    const add = (name: string, what: string): void => {
      const list = found.get(name);
      if (list === undefined) found.set(name, [what]);
      else list.push(what);
    };
    const { desired, live } = input;
    for (const group of live.groups)
      for (const member of group.members) {
        const name = names.get(fold(member));
        // A group the files give the new holder is theirs to have.
        if (name !== undefined && desired.groups.get(group.name)?.members.has(name) !== true)
          add(name, `group ${group.name}`);
      }
    for (const user of live.users) {
      const name = user.manager === undefined ? undefined : names.get(fold(user.manager));
      const wanted = desired.users.get(user.account)?.attributes.manager;
      if (name !== undefined && (wanted === undefined || fold(wanted) !== fold(name)))
        add(name, `the manager of ${user.account}`);
    }
    inRead = found;
    return found;
  };
  return (account) => {
    if (!held.has(account)) return [];
    const beyond = input.stillNaming?.get(account);
    return [
      ...(readLeftovers().get(account) ?? []),
      ...(beyond?.outside ?? []).map((dn) => `group ${dn} (outside the groups gatehouse reads)`),
      ...(beyond?.unread ?? []).map((u) => `${u.attribute} of group ${u.group}`),
      ...(beyond?.managerOf ?? []).map((dn) => `the manager of ${dn}`),
    ];
  };
}
