import { describe, expect, it } from "vitest";
import { checkSyncGuards, limitOf, MIN_DEFAULT_JOINERS } from "../../src/hr/guards.ts";
import { defaultMapping } from "../../src/hr/mapping.ts";
import { readExportPeople } from "../../src/hr/people.ts";
import { readCsvExport } from "../../src/hr/read-export.ts";
import { planHrSync } from "../../src/hr/sync-plan.ts";
import type { SyncOptions } from "../../src/hr/sync-types.ts";
import type { User } from "../../src/model/access.ts";
import { NOW, user } from "../builders.ts";

function exported(csv: string) {
  const { table } = readCsvExport("e.csv", new TextEncoder().encode(csv));
  if (!table) throw new Error("bad csv");
  const people = readExportPeople(table, defaultMapping());
  expect(people.diagnostics).toEqual([]);
  return people;
}

const OPTIONS: SyncOptions = { absent: "report", managerKey: "employeeNumber", now: NOW };
const plan = (users: User[], csv: string, options: Partial<SyncOptions> = {}) =>
  planHrSync(users, exported(csv), { ...OPTIONS, ...options });
const changesOf = (p: ReturnType<typeof plan>) =>
  Object.fromEntries(
    p.updates.map((u) => [u.id, u.changes.map((c) => `${c.field}: ${c.before ?? "-"} → ${c.after ?? "-"}`)]),
  );

describe("planHrSync", () => {
  it("matches rows by employee number, links a user of the same id who has none, and appends the rest as joiners", () => {
    const p = plan(
      [user("ann", { employeeNumber: "E1" }), user("bo"), user("cy", { employeeNumber: "E9" })],
      "employeeNumber,name,email\nE1,Ann,ann@example.com\nE2,Bo,bo@example.com\nE3,Cy Two,cy@example.com\n",
    );
    expect(p.diagnostics).toEqual([]);
    expect(changesOf(p)).toEqual({ bo: ["employeeNumber: - → E2"] });
    // cy is E9's id: the new E3, whose id was derived from the e-mail, gets the next free one.
    expect(p.joiners.map((j) => [j.id, j.fields])).toEqual([
      [
        "cy-2",
        [
          ["id", "cy-2"],
          ["name", "Cy Two"],
          ["email", "cy@example.com"],
          ["employeeNumber", "E3"],
          ["status", "active"],
        ],
      ],
    ]);
  });

  it("links a user written by hand under another id by their e-mail, where one user alone has it", () => {
    const p = plan(
      [
        user("erik", { email: "Erik.Lund@example.com" }),
        user("sam", { email: "s@example.com" }),
        user("sam2", { email: "s@example.com" }),
      ],
      "employeeNumber,name,email\nE7,Erik Lund,erik.lund@example.com\nE8,Sam,s@example.com\n",
    );
    expect(changesOf(p)).toEqual({ erik: ["name: Erik → Erik Lund", "employeeNumber: - → E7"] });
    // Two users share s@example.com: neither is taken for the row, which joins (GH241 warns of the two).
    expect(p.joiners.map((j) => j.id)).toEqual(["s"]);
  });

  it("refuses an explicit id that is someone else's, two rows for one user, and one employee number twice in the files", () => {
    const taken = plan([user("cy", { employeeNumber: "E9" })], "employeeNumber,id,name\nE3,cy,Cy\n");
    expect(taken.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
      'HR006 id "cy" belongs to employee number E9 in the files (access/users/people.yaml), not to E3',
      'HR006 id "cy" is already someone else\'s in the access files',
    ]);
    const twice = plan(
      [user("ann")],
      "employeeNumber,name,email\nE1,Ann,ann@example.com\nE2,Ann B,ann@example.org\n",
    );
    expect(twice.diagnostics.map((d) => `${String(d.line)} ${d.code}`)).toEqual(["3 HR006"]);
    const same = plan(
      [user("ann", { employeeNumber: "E1" }), user("bo", { employeeNumber: "E1" })],
      "employeeNumber,name\nE1,Ann\n",
    );
    expect(same.diagnostics.map((d) => d.code)).toEqual(["HR020"]);
  });

  it("resolves managers by employee number, to users and to joiners, and reports one no one has", () => {
    const p = plan(
      [user("ann", { employeeNumber: "E1", manager: "zed" }), user("zed", { employeeNumber: "E0" })],
      "employeeNumber,name,email,manager\nE1,Ann,ann@example.com,E2\nE2,Bo,bo@example.com,E0\nE3,Cy,cy@example.com,E404\n",
    );
    expect(changesOf(p)).toEqual({ ann: ["manager: zed → bo"] });
    expect(p.joiners.map((j) => [j.id, new Map(j.fields).get("manager")])).toEqual([["bo", "zed"]]);
    expect(p.diagnostics.map((d) => `${String(d.line)}:${String(d.column)} ${d.code} ${d.message}`)).toEqual([
      '4:22 HR005 manager "E404" is no employee number in the export or the access files',
    ]);
  });

  it("reports the problems of several rows in the export's order, whichever check found them", () => {
    const p = plan(
      [user("ann", { employeeNumber: "E1" })],
      "employeeNumber,name,email,manager\nE1,Ann,ann@example.com,\nE2,Bo,bo@example.com,E404\nE3,Cy,,E1\n",
    );
    // Row 3's unknown manager is found after row 4's missing id (joiners are checked first).
    expect(p.diagnostics.map((d) => `${String(d.line)} ${d.code}`)).toEqual(["3 HR005", "4 HR003"]);
  });

  it("resolves managers by e-mail (managerKey: email), to the export's rows and to users in the files", () => {
    const p = plan(
      [
        user("ann", { employeeNumber: "E1" }),
        user("zed", { employeeNumber: "E0", email: "Zed@example.com" }),
      ],
      "employeeNumber,name,email,manager\nE1,Ann,ann@example.com,BO@example.com\nE2,Bo,bo@example.com,zed@example.com\nE3,Cy,cy@example.com,nobody@example.com\n",
      { managerKey: "email" },
    );
    expect(changesOf(p)).toEqual({ ann: ["manager: - → bo"] });
    expect(p.joiners.map((j) => [j.id, new Map(j.fields).get("manager")])).toEqual([["bo", "zed"]]);
    expect(p.diagnostics.map((d) => `${String(d.line)} ${d.code} ${d.message}`)).toEqual([
      '4 HR005 manager "nobody@example.com" is no e-mail address in the export or the access files (or several people\'s)',
    ]);
  });

  it("reads a manager who is the person themselves as none (the top of many HR systems' chains)", () => {
    const p = plan(
      [user("ann", { employeeNumber: "E1", manager: "bo" })],
      "employeeNumber,name,email,manager\nE1,Ann,ann@example.com,E1\n",
    );
    expect(changesOf(p)).toEqual({ ann: ["manager: bo → -"] });
    const byId = plan(
      [user("ann", { employeeNumber: "E1" })],
      "employeeNumber,name,email,manager\nE1,Ann,ann@example.com,ann\n",
      { managerKey: "id" },
    );
    expect(byId.updates).toEqual([]);
  });

  it("treats an absent status or type as the default, and e-mails without case", () => {
    const p = plan(
      [user("ann", { employeeNumber: "E1", email: "Ann@Example.com", isEmploymentTypeDefault: true })],
      "employeeNumber,name,email,status,employmentType\nE1,Ann,ann@example.com,active,employee\n",
    );
    expect(p.updates).toEqual([]);
  });

  it.each([
    ["status terminated", "terminated,", {}, true],
    ["an end date that has passed", "active,2026-05-31", {}, true],
    ["an end date set in the future", "active,2026-09-30", {}, true],
    ["an end date brought forward", "active,2026-09-30", { endDate: "2026-12-31" }, true],
    ["an end date put back (an extension)", "active,2027-03-31", { endDate: "2026-12-31" }, false],
    ["leave", "leave,", {}, false],
  ])("%s: a leaver is %s", (_name, cells, overrides, isLeaver) => {
    const p = plan(
      [user("ann", { employeeNumber: "E1", ...overrides })],
      `employeeNumber,name,status,endDate\nE1,Ann,${cells}\n`,
    );
    expect(p.updates.map((u) => u.isLeaver)).toEqual([isLeaver]);
  });

  it("takes a leaver back only with a new start date (a rehire), not where HR's record lags behind a termination", () => {
    // ann left on 2025-06-30 and is hired again from 2026-07-01: a rehire, no leaver.
    const rehire = plan(
      [
        user("ann", {
          employeeNumber: "E1",
          status: "terminated",
          startDate: "2020-01-01",
          endDate: "2025-06-30",
        }),
      ],
      "employeeNumber,name,status,startDate,endDate\nE1,Ann,active,2026-07-01,\n",
    );
    expect(changesOf(rehire)).toEqual({
      ann: ["status: terminated → active", "startDate: 2020-01-01 → 2026-07-01", "endDate: 2025-06-30 → -"],
    });
    expect(rehire.updates.map((u) => u.isLeaver)).toEqual([false]);
    expect(rehire.skipped).toEqual([]);
    // bo was cut off by security (status: terminated by hand); HR still has him active, hired as before.
    const cut = { status: "terminated" as const, startDate: "2021-03-01" };
    const lag = plan(
      [user("bo", { employeeNumber: "E2", ...cut }), user("dee", { employeeNumber: "E4", ...cut })],
      "employeeNumber,name,status,startDate,title\nE2,Bo,active,2021-03-01,Engineer\nE4,Dee,active,2021-01-01,\n",
    );
    // dee's start date corrected to an earlier day is no new hire either; it is synced, the status not.
    expect(changesOf(lag)).toEqual({
      bo: ["title: - → Engineer"],
      dee: ["startDate: 2021-03-01 → 2021-01-01"],
    });
    expect(lag.updates.map((u) => [u.isLeaver, u.hasLeft])).toEqual([
      [false, true],
      [false, true],
    ]);
    expect(lag.skipped.map((s) => `${s.key}@${String(s.at.line)}: ${s.reason}`)).toEqual([
      "E2@2: bo is terminated in the access files (access/users/people.yaml:1:5) and active in HR with no new startDate: status not synced, they are not let back in (a rehire comes with a new start date; if HR took a termination back, set the status by hand)",
      expect.stringMatching(/^E4@3: dee is terminated in the access files/),
    ]);
    // cy likewise, from an export without start dates: nothing shows a rehire.
    const noStart = plan(
      [user("cy", { employeeNumber: "E3", status: "terminated" })],
      "employeeNumber,name,status\nE3,Cy,active\n",
    );
    expect(noStart.updates).toEqual([]);
    expect(noStart.skipped.map((s) => s.key)).toEqual(["E3"]);
  });

  it("keeps someone HR marks terminated with a last day still ahead active until that day is over", () => {
    // NOW is 2026-06-01: terminated, last day 2026-06-30. The row is active with that end date: a leaver
    // from 2026-07-01, not today. Terminated with a last day behind: terminated.
    const p = plan(
      [user("ann", { employeeNumber: "E1" }), user("bo", { employeeNumber: "E2" })],
      "employeeNumber,name,status,endDate\nE1,Ann,terminated,2026-06-30\nE2,Bo,terminated,2026-05-31\n",
    );
    expect(changesOf(p)).toEqual({
      ann: ["endDate: - → 2026-06-30"],
      bo: ["status: active → terminated", "endDate: - → 2026-05-31"],
    });
    expect(p.updates.map((u) => [u.id, u.isLeaver])).toEqual([
      ["ann", true],
      ["bo", true],
    ]);
  });

  it("does not add someone HR already has as terminated", () => {
    const p = plan(
      [],
      "employeeNumber,name,email,status,endDate\nE5,Ex,ex@example.com,terminated,\nE6,Gone,g@example.com,active,2026-01-31\n",
    );
    expect(p.joiners).toEqual([]);
    expect(p.skipped.map((s) => `${String(s.at.line)} ${s.key}`)).toEqual(["2 E5", "3 E6"]);
  });

  it("says of someone absent whose start date is ahead that they start then (a withdrawn offer?)", () => {
    const p = plan(
      [user("ann", { employeeNumber: "E1" }), user("new", { employeeNumber: "E9", startDate: "2026-07-01" })],
      "employeeNumber,name\nE1,Ann\n",
    );
    expect(p.absent.map((a) => [a.id, a.startsOn])).toEqual([["new", "2026-07-01"]]);
  });

  it("reports absent people and terminates only those linked to HR, never service accounts", () => {
    const users = [
      user("ann", { employeeNumber: "E1" }),
      user("bo", { employeeNumber: "E2" }),
      user("cy"),
      user("bot", { employmentType: "service", employeeNumber: "S1" }),
      user("old", { employeeNumber: "E0", status: "terminated" }),
    ];
    const csv = "employeeNumber,name\nE1,Ann\n";
    const reported = plan(users, csv);
    expect(reported.absent.map((a) => `${a.id} ${a.action}`)).toEqual(["bo reported", "cy unlinked"]);
    expect(reported.updates).toEqual([]);
    const terminated = plan(users, csv, { absent: "terminate" });
    expect(terminated.absent.map((a) => `${a.id} ${a.action}`)).toEqual(["bo terminated", "cy unlinked"]);
    expect(terminated.updates.map((u) => [u.id, u.isLeaver, u.isAbsent])).toEqual([["bo", true, true]]);
    expect(terminated.activePeople).toBe(3);
  });
});

describe("checkSyncGuards", () => {
  it("rounds a percentage up, so a small company may always lose one person", () => {
    expect(limitOf({ kind: "percent", value: 5 }, 3)).toBe(1);
    expect(limitOf({ kind: "percent", value: 5 }, 41)).toBe(3);
    expect(limitOf({ kind: "percent", value: 5 }, 0)).toBe(0);
    expect(limitOf({ kind: "count", value: 4 }, 1000)).toBe(4);
  });

  it("counts leavers and changed e-mail addresses (not ones set where there were none)", () => {
    const { source } = user("cy");
    const cy: User = {
      id: "cy",
      name: "Cy",
      employmentType: "employee",
      status: "active",
      accounts: {},
      source,
      employeeNumber: "E3",
    };
    const users = [user("ann", { employeeNumber: "E1" }), user("bo", { employeeNumber: "E2" }), cy];
    const p = plan(
      users,
      "employeeNumber,name,email,status\nE1,Ann,ann@new.example,terminated\nE2,Bo,bo@new.example,active\nE3,Cy,cy@example.com,active\n",
    );
    const limits = {
      maxLeavers: { kind: "count", value: 0 },
      maxEmailChanges: { kind: "count", value: 1 },
      maxCleared: { kind: "count", value: 0 },
    } as const;
    expect(checkSyncGuards(p, limits).map((v) => `${v.guard} ${String(v.count)}>${String(v.limit)}`)).toEqual(
      ["max-leavers 1>0", "max-email-changes 2>1"],
    );
    expect(
      checkSyncGuards(p, {
        maxLeavers: { kind: "percent", value: 100 },
        maxEmailChanges: { kind: "count", value: 2 },
        maxCleared: { kind: "count", value: 0 },
      }),
    ).toEqual([]);
  });

  it("counts the people a blank cell would take a department, title, manager or type from", () => {
    const users = [
      user("ann", { employeeNumber: "E1", department: "ENG", title: "Engineer" }),
      user("bo", { employeeNumber: "E2", department: "ENG" }),
      user("cy", { employeeNumber: "E3", department: "ENG" }),
    ];
    const p = plan(
      users,
      "employeeNumber,name,email,status,department,title\nE1,ann,ann@example.com,active,,Engineer\nE2,bo,bo@example.com,active,,\nE3,cy,cy@example.com,active,SALES,\n",
    );
    const limits = {
      maxLeavers: { kind: "count", value: 0 },
      maxEmailChanges: { kind: "count", value: 0 },
    } as const;
    // ann and bo lose their department; cy moves to another one, which is no loss.
    expect(
      checkSyncGuards(p, { ...limits, maxCleared: { kind: "count", value: 1 } }).map(
        (v) => `${v.guard} ${String(v.count)}>${String(v.limit)}`,
      ),
    ).toEqual(["max-cleared 2>1"]);
    expect(checkSyncGuards(p, { ...limits, maxCleared: { kind: "percent", value: 100 } })).toEqual([]);
  });

  it("counts movers (department, title or type set to another value) against 10%, at least 10 by default", () => {
    const users = Array.from({ length: 12 }, (_, i) =>
      user(`p${String(i)}`, { employeeNumber: `E${String(i)}`, department: "ENG" }),
    );
    const csv = (department: (i: number) => string) =>
      "employeeNumber,name,department\n" +
      users.map((_, i) => `E${String(i)},p${String(i)},${department(i)}\n`).join("");
    const limits = {
      maxLeavers: { kind: "count", value: 0 },
      maxEmailChanges: { kind: "count", value: 0 },
      maxCleared: { kind: "count", value: 0 },
    } as const;
    const guards = (p: ReturnType<typeof plan>, maxMovers?: { kind: "count"; value: number }) =>
      checkSyncGuards(p, maxMovers === undefined ? limits : { ...limits, maxMovers }).map(
        (v) => `${v.guard} ${String(v.count)}>${String(v.limit)}`,
      );
    // HR renamed ENG to ENGINEERING for everyone: 12 movers, over the floor of 10.
    const renamed = plan(
      users,
      csv(() => "ENGINEERING"),
    );
    expect(guards(renamed)).toEqual(["max-movers 12>10"]);
    expect(checkSyncGuards(renamed, limits)[0]?.message).toContain(
      "12 people would change department, title or employment type, over the limit (10% of 12 people = 2, at least 10 by default)",
    );
    expect(guards(renamed, { kind: "count", value: 12 })).toEqual([]);
    // Ten people move: the floor lets them.
    expect(
      guards(
        plan(
          users,
          csv((i) => (i < 10 ? "SALES" : "ENG")),
        ),
      ),
    ).toEqual([]);
  });

  it("counts joiners against 10% of the people in the files, but lets at least 10 join by default", () => {
    const staff = (n: number) =>
      Array.from({ length: n }, (_, i) => user(`p${String(i)}`, { employeeNumber: `E${String(i)}` }));
    const rows = (from: number, to: number) =>
      Array.from(
        { length: to - from },
        (_, i) => `E${String(from + i)},P${String(from + i)},p${String(from + i)}@example.com,active\n`,
      ).join("");
    const header = "employeeNumber,name,email,status\n";
    const limits = {
      maxLeavers: { kind: "count", value: 0 },
      maxEmailChanges: { kind: "count", value: 0 },
      maxCleared: { kind: "count", value: 0 },
    } as const;
    const guards = (p: ReturnType<typeof plan>, maxJoiners?: { kind: "count" | "percent"; value: number }) =>
      checkSyncGuards(p, maxJoiners === undefined ? limits : { ...limits, maxJoiners }).map(
        (v) => `${v.guard} ${String(v.count)}>${String(v.limit)}`,
      );
    // A 20-person startup hires 10 at once: the floor, not 10% (2), applies.
    const startup = staff(20);
    expect(MIN_DEFAULT_JOINERS).toBe(10);
    expect(guards(plan(startup, header + rows(0, 30)))).toEqual([]);
    const eleven = plan(startup, header + rows(0, 31));
    expect(guards(eleven)).toEqual(["max-joiners 11>10"]);
    expect(checkSyncGuards(eleven, limits)[0]?.message).toBe(
      "11 people would join, over the limit (10% of 20 people = 2, at least 10 by default); is this the right HR system's export (the right company and tenant), or the first sync into these files? Pass --max-joiners 11 if it is",
    );
    expect(guards(eleven, { kind: "count", value: 11 })).toEqual([]);
    // A limit given is taken as it is, without the floor.
    expect(guards(eleven, { kind: "percent", value: 10 })).toEqual(["max-joiners 11>2"]);
    // 200 people: 10% is 20, above the floor.
    const company = staff(200);
    expect(guards(plan(company, header + rows(0, 220)))).toEqual([]);
    expect(guards(plan(company, header + rows(0, 221)))).toEqual(["max-joiners 21>20"]);
    // Empty files: the first sync of a whole company needs the override.
    expect(guards(plan([], header + rows(0, 11)))).toEqual(["max-joiners 11>10"]);
  });
});
