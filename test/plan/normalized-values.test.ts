import { describe, expect, it } from "vitest";
import { group, live, liveGroup, liveUser, model, planFor, user } from "../builders.ts";

/** `value` without `key`: as a system that holds no such attribute reports it. */
function without<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== key)) as Omit<T, K>;
}

const brief = (changes: readonly { kind: string; action: string; id: string }[]): string[] =>
  changes.map((c) => `${c.kind}.${c.action} ${c.id}`);

describe("values a system normalizes when it stores them", () => {
  it("are not set again: surrounding spaces, an empty description", () => {
    const files = model({
      users: [user("tom", { name: "Tom Trail " }), user("ann", { employmentType: "contractor" })],
      groups: [group("ops", ["tom"], { description: "" })],
    });
    const stored = live(
      [
        without(liveUser("tom", { name: "Tom Trail" }), "employmentType"),
        without(liveUser("ann"), "employmentType"),
      ],
      [without(liveGroup("ops", ["tom"]), "description")],
    );
    const plan = planFor(files, { mode: "authoritative", live: stored });
    // Only the employment types are news to the system (a missing one is set, even to the default:
    // a value the system holds that gatehouse cannot read is missing too, and must not stay).
    expect(brief(plan.changes)).toEqual(["user.update directory:user/ann", "user.update directory:user/tom"]);
    expect(plan.changes.map((c) => (c.kind === "user" && c.action === "update" ? c.fields : []))).toEqual([
      [{ field: "employmentType", before: null, after: "contractor" }],
      [{ field: "employmentType", before: null, after: "employee" }],
    ]);
  });

  it("are still set when they differ in more than spaces", () => {
    const files = model({
      users: [user("tom", { name: "Tom Trail" })],
      groups: [group("ops", [], { description: "Ops" })],
    });
    const stored = live(
      [liveUser("tom", { name: "Tom  Trail" })],
      [liveGroup("ops", [], { description: "" })],
    );
    expect(brief(planFor(files, { mode: "authoritative", live: stored }).changes)).toEqual([
      "user.update directory:user/tom",
      "group.update directory:group/ops",
    ]);
  });
});
