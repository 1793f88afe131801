/**
 * The plan's question to the system about the account names it would create (Provider.namesClaimedBeyondRead,
 * Active Directory): asked only for people who would get an account now, merged into the live state in
 * order, and a failed lookup leaves the run to go on as before the lookup existed, saying so.
 */
import { describe, expect, it } from "vitest";
import { computeDesiredState } from "../../src/desired/desired-state.ts";
import { computeEffectiveMemberships } from "../../src/desired/effective.ts";
import { withNamesClaimed } from "../../src/engine/prepare-plan.ts";
import type { Provider } from "../../src/providers/types.ts";
import type { LiveState } from "../../src/model/state.ts";
import { capabilities, live, liveUser, model, NOW, providerConfig, user } from "../builders.ts";

const people = model({
  users: [
    user("ann", { department: "Engineering" }),
    user("bob", { status: "terminated" }),
    user("cy"),
    user("dee", { startDate: "2027-01-04" }),
  ],
});
const desired = computeDesiredState(people, providerConfig(), computeEffectiveMemberships(people, NOW), {
  now: NOW,
  nativeNesting: true,
});
const state: LiveState = {
  ...live([liveUser("cy")]),
  namesTaken: [{ account: "zed", claim: "userPrincipalName zed@corp.com", holder: "zz", where: "CN=zz" }],
};

/** A system at the boundary whose lookup answers with `answer` (or fails with it), recording what it was asked. */
function system(
  answer: Pick<LiveState, "elsewhere" | "namesTaken" | "cannotCreate"> | Error,
  asked: string[][],
  departments: ReadonlyMap<string, string>[] = [],
): Provider {
  return {
    capabilities: capabilities(),
    namesClaimedBeyondRead: (
      names: readonly string[],
      _signal: AbortSignal,
      of: ReadonlyMap<string, string> = new Map(),
    ) => {
      asked.push([...names]);
      departments.push(of);
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  } as unknown as Provider;
}

describe("the names a plan would create, asked of the system beyond its read", () => {
  it("asks only about people who would get an account now, and merges what it finds in order", async () => {
    const asked: string[][] = [];
    const departments: ReadonlyMap<string, string>[] = [];
    const found = await withNamesClaimed(
      system(
        {
          elsewhere: [{ account: "ann", where: "CN=ann,CN=Users" }],
          namesTaken: [
            { account: "ann", claim: "sAMAccountName ann", holder: "ann, a group", where: "CN=a" },
          ],
          cannotCreate: [{ account: "ann", why: "no such OU" }],
        },
        asked,
        departments,
      ),
      desired,
      state,
      AbortSignal.timeout(5000),
    );
    // Not bob (a leaver), nor cy (read), nor dee (not started).
    expect(asked).toEqual([["ann"]]);
    // With their departments, where the system places a new account by it.
    expect(departments).toEqual([new Map([["ann", "Engineering"]])]);
    expect(found.cannotCreate).toEqual([{ account: "ann", why: "no such OU" }]);
    expect(found.elsewhere).toEqual([{ account: "ann", where: "CN=ann,CN=Users" }]);
    expect(found.namesTaken?.map((n) => n.account)).toEqual(["ann", "zed"]);
  });

  it("lets the run go on without it when the lookup fails, and says so in the plan", async () => {
    const found = await withNamesClaimed(
      system(new Error("timed out after 60 s"), []),
      desired,
      state,
      AbortSignal.timeout(5000),
    );
    expect({ ...found, notes: undefined }).toEqual({ ...state, notes: undefined });
    expect(found.notes).toEqual([
      "the search for the 1 account name(s) to create held elsewhere in the system failed (timed out after 60 s): an account or claim outside the scope read is found only when the create fails",
    ]);
    // A run that was stopped stops.
    const stopped = AbortSignal.abort();
    await expect(withNamesClaimed(system(new Error("aborted"), []), desired, state, stopped)).rejects.toThrow(
      "aborted",
    );
  });
});
