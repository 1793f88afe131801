/**
 * Users looked up by userName on servers whose filter compares it exactly. RFC 7643 (4.1.1) makes userName
 * caseExact false, so `userName eq "bob"` must find "Bob"; some servers (SCIMMY) compare it as written,
 * and their empty answer does not prove that no account of the name exists: a create then fails with 409
 * and a disable with "no SCIM user". Only where a miss would fail a change is the server asked how its
 * filter compares (once per session, with the name of an account it lists in another case): one that
 * ignores case is taken at its word, as before; one that does not gets its users listed, and the name is
 * compared whatever its case. A compliant server pays the two requests of that question, once, and only
 * on the way to an error; a look-up that finds the account, or a create that goes through, pays nothing.
 */
import { ProviderError } from "../../errors.ts";
import type { ScimUser } from "./map.ts";
import { eqFilter, parseListResponse } from "./map.ts";
import type { ScimSession } from "./session.ts";
import { listAll, lookUpUser, parseUsers, rememberUser } from "./session.ts";

/**
 * The account of `userName` whatever its case, where a `userName eq` filter found none: undefined where
 * the server's filter ignores case (its answer stands) or there is none. Every user a list finds goes
 * into the index, so later look-ups of the run find them there. An error when two accounts match only in
 * case and neither is spelt so.
 */
export async function findUserAnyCase(
  s: ScimSession,
  userName: string,
  signal: AbortSignal,
): Promise<ScimUser | undefined> {
  // Without filters, lookUpUser listed every user and compared the names whatever their case.
  if (!s.caps.filter || (await userNameFilterOf(s, signal)) === "ignores-case") return undefined;
  const users = parseUsers(s, await listAll(s, s.caps.usersEndpoint, "users", signal));
  for (const u of users) rememberUser(s.index, u);
  return userNamed(s, userName, users);
}

/** The user behind an account: from the index, else from the server; a clear error when there is none. */
export async function requireUser(s: ScimSession, account: string, signal: AbortSignal): Promise<ScimUser> {
  const user =
    s.index.users.get(account.toLowerCase()) ??
    (await lookUpUser(s, "userName", account, signal)) ??
    (await findUserAnyCase(s, account, signal));
  if (!user)
    throw new ProviderError(s.name, `find user "${account}"`, `no SCIM user with userName "${account}"`, {
      status: 404,
    });
  return user;
}

/** Of `users`, the one spelt `userName`, else the only one that matches it whatever the case. */
function userNamed(s: ScimSession, userName: string, users: readonly ScimUser[]): ScimUser | undefined {
  const alike = users.filter((u) => u.userName.toLowerCase() === userName.toLowerCase());
  const exact = alike.find((u) => u.userName === userName);
  if (exact !== undefined || alike.length <= 1) return exact ?? alike[0];
  throw new ProviderError(
    s.name,
    `find user "${userName}"`,
    `${String(alike.length)} SCIM users match "${userName}" when case is ignored (${alike.map((u) => `"${u.userName}"`).join(", ")}) and none is spelt exactly so; rename one in the app`,
  );
}

/**
 * How the server's `userName eq` filter compares, asked once per session: the first user it lists, looked
 * up by its name in another case. Without a user whose name has a case to change, it cannot be asked:
 * then "exact", the safe answer for this look-up, is not remembered.
 */
async function userNameFilterOf(s: ScimSession, signal: AbortSignal): Promise<"ignores-case" | "exact"> {
  if (s.index.userNameFilter !== undefined) return s.index.userNameFilter;
  const operation = "list users (how the userName filter compares)";
  const first = await s.client.request(
    "GET",
    s.caps.usersEndpoint,
    { operation, query: { startIndex: "1", count: "1" } },
    signal,
  );
  const known = parseUsers(s, parseListResponse(first.body)?.resources ?? [])[0];
  const other = known === undefined ? undefined : otherCase(known.userName);
  if (known === undefined || other === undefined) return "exact";
  const found = parseUsers(
    s,
    await listAll(
      s,
      s.caps.usersEndpoint,
      `users with userName "${other}"`,
      signal,
      eqFilter("userName", other),
    ),
  );
  // Its own id: another account spelt exactly `other` is what a filter comparing exactly finds.
  s.index.userNameFilter = found.some((u) => u.id === known.id) ? "ignores-case" : "exact";
  if (s.index.userNameFilter === "exact")
    s.log(
      `${s.name}: the server's userName filter compares case-sensitively (RFC 7643 makes userName case-insensitive): an account it does not find is looked for in the list of every user`,
    );
  return s.index.userNameFilter;
}

/** `name` with the case of each letter turned; undefined when that changes nothing (no letter has a case). */
function otherCase(name: string): string | undefined {
  const turned = name.replace(/\p{L}/gu, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
  return turned === name ? undefined : turned;
}
