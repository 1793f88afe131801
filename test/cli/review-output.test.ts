import { describe, expect, it } from "vitest";
import { describeOpen } from "../../src/cli/commands/review-output.ts";
import { planOpen } from "../../src/engine/review.ts";
import { group, model, NOW, role, user } from "../builders.ts";

describe("describeOpen", () => {
  it("names the first few a role or a nested group gives, by way, and everyone also listed", () => {
    // A role that gives everyone (thousands at a large company) and a nested group; one person is also
    // listed on a line of their own.
    const people = Array.from({ length: 2000 }, (_, i) => user(`u${String(i).padStart(4, "0")}`));
    // u1500 is listed too, past the first twenty: still named, since revoking their line leaves them the group.
    const everyone = role("everyone", { employmentType: ["employee"] }, ["all-read"]);
    const m = model({
      users: people,
      roles: [everyone],
      groups: [
        group("all-read", ["u0001", "u1500", { kind: "group", group: "sre", source: people[0]!.source }]),
        group("sre", ["u0002", "u0003"]),
      ],
    });
    const [choice] = planOpen(m, ["all-read"], NOW);
    if (choice?.kind !== "open") throw new Error("not opened");
    const lines = describeOpen(choice, "2026-06-30");
    expect(lines[0]).toMatch(/review of all-read due 2026-06-30, 2 to re-certify: u0001, u1500$/);
    const byRole = lines.find((l) => l.startsWith("  held through role everyone: "));
    expect(byRole).toMatch(
      /^ {2}held through role everyone: u0000, u0001 \(also listed: revoking the line leaves this\), u0002, /,
    );
    const also = "u1500 (also listed: revoking the line leaves this)";
    expect(byRole).toMatch(
      /, u0019, u1500 \(also listed: revoking the line leaves this\) and 1979 more \(--format json lists everyone\); review the role$/,
    );
    expect(byRole?.split(", ")).toHaveLength(21);
    expect(byRole).toContain(also);
    expect(lines).toContain("  held through group sre: u0002, u0003; review the group");
  });
});
