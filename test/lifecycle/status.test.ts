import { describe, expect, it } from "vitest";
import {
  daysSince,
  expiresWithin,
  hasNotStarted,
  isGrantActive,
  isTerminated,
  PlanInstant,
  utcMidnight,
} from "../../src/lifecycle/status.ts";
import { user } from "../builders.ts";

/** What utcMidnight must answer: the string Date.parse reads. */
const reference = (date: string): number => Date.parse(`${date}T00:00:00Z`);

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

describe("utcMidnight", () => {
  it("answers exactly as Date.parse for every day, rolled-over day and bad month of sample years", () => {
    const years = [0, 1, 99, 100, 101, 999, 1000, 1582, 1899, 1900, 1969, 1970, 2000, 2024, 2026, 2100, 9999];
    for (const year of years)
      for (let month = 0; month <= 13; month++)
        for (let day = 0; day <= 32; day++) {
          const date = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
          expect(utcMidnight(date), date).toBe(reference(date));
        }
  });

  it.each([
    "",
    "2026-1-01",
    "2026-01-1",
    " 2026-01-01",
    "2026-01-01 ",
    "2026/01/01",
    "2026-01_01",
    "2026-0a-01",
    "20x6-01-01",
    "2026-01-0:",
    "2026-01-0/",
    "+002026-01-01",
    "-000001-01-01",
    "２０２６-01-01",
    "2026-01-01T00:00:00Z",
    "not a date",
  ])("answers exactly as Date.parse for %j", (date) => {
    expect(Object.is(utcMidnight(date), reference(date))).toBe(true);
  });
});

describe("lifecycle dates", () => {
  it("treats endDate as the last working day, inclusive, in UTC", () => {
    const leaving = user("ann", { endDate: "2026-06-30" });
    expect(isTerminated(leaving, new Date("2026-06-30T23:59:59.999Z"))).toBe(false);
    expect(isTerminated(leaving, new Date("2026-07-01T00:00:00.000Z"))).toBe(true);
  });

  it("starts people at midnight UTC of their start date", () => {
    const joining = user("ben", { startDate: "2026-07-01" });
    expect(hasNotStarted(joining, new Date("2026-06-30T23:59:59.999Z"))).toBe(true);
    expect(hasNotStarted(joining, new Date("2026-07-01T00:00:00.000Z"))).toBe(false);
  });

  it("rolls a day past the end of the month over, as Date.parse does", () => {
    const leaving = user("cat", { endDate: "2026-02-30" }); // read as 2026-03-02
    expect(isTerminated(leaving, new Date("2026-03-02T12:00:00Z"))).toBe(false);
    expect(isTerminated(leaving, new Date("2026-03-03T00:00:00Z"))).toBe(true);
  });

  it("ignores a date it cannot read", () => {
    expect(isTerminated(user("dan", { endDate: "2026-13-01" }), new Date("2030-01-01T00:00:00Z"))).toBe(
      false,
    );
    expect(hasNotStarted(user("eve", { startDate: "soon" }), new Date("2000-01-01T00:00:00Z"))).toBe(false);
    expect(isTerminated(user("fay", { status: "terminated", endDate: "x" }), new Date())).toBe(true);
  });
});

describe("PlanInstant", () => {
  const at = (iso: string): PlanInstant => new PlanInstant(Date.parse(iso));

  it("holds until the nearest instant at which a time rule that looked at it would answer differently", () => {
    const now = at("2026-06-01T12:00:00Z");
    expect(now.validUntil).toBe(Number.POSITIVE_INFINITY);
    expect(isGrantActive("2026-06-03T00:00:00Z", now)).toBe(true);
    expect(now.validUntil).toBe(Date.parse("2026-06-03T00:00:00Z"));
    // Ends a day after the end date (the last working day, inclusive).
    expect(isTerminated(user("u", { endDate: "2026-06-01" }), now)).toBe(false);
    expect(now.validUntil).toBe(Date.parse("2026-06-02T00:00:00Z"));
    expect(hasNotStarted(user("v", { startDate: "2026-06-01" }), now)).toBe(false); // flipped already
    expect(isGrantActive("2026-06-01T11:00:00Z", now)).toBe(false); // so did this one
    expect(isGrantActive("not a time", now)).toBe(false);
    expect(now.validUntil).toBe(Date.parse("2026-06-02T00:00:00Z"));
    expect(hasNotStarted(user("w", { startDate: "2026-06-01" }), at("2026-05-31T23:00:00Z"))).toBe(true);
  });

  it("is where each rule's answer really changes, one millisecond on either side", () => {
    const rules: ((now: Date) => unknown)[] = [
      (now) => isGrantActive("2026-07-04T10:30:00Z", now),
      (now) => isTerminated(user("u", { endDate: "2026-07-04" }), now),
      (now) => hasNotStarted(user("u", { startDate: "2026-07-04" }), now),
      (now) => expiresWithin("2026-07-10T10:30:00Z", now, 7),
      (now) => daysSince("2026-05-01T10:30:00Z", now),
    ];
    for (const rule of rules) {
      const first = at("2026-06-20T00:00:00Z");
      const answer = rule(first);
      const until = first.validUntil;
      expect(Number.isFinite(until)).toBe(true);
      expect(rule(new Date(until - 1))).toEqual(answer);
      // daysSince is noted a second early: its text changes within that second, not before.
      const changed = [until, until + 1001, until + 1002].map((t) => rule(new Date(t)));
      expect(
        changed.some((value) => value !== answer),
        String(rule),
      ).toBe(true);
    }
  });

  it("is not noted by a plain Date", () => {
    expect(() => isGrantActive("2026-07-04T10:30:00Z", new Date("2026-06-01T00:00:00Z"))).not.toThrow();
  });
});
