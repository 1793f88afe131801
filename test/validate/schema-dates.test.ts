/** A day the schema refuses says why: one the calendar does not have, or one not written YYYY-MM-DD. */
import { describe, expect, it } from "vitest";
import { configYaml, validateFiles } from "../helpers/access-tree.ts";

describe("a user's dates the schema refuses", () => {
  it("names the day the calendar does not have, and the form a day is written in", async () => {
    const tree = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml":
        "users:\n" +
        "  - { id: ann, name: Ann, startDate: 2022-02-30 }\n" +
        "  - { id: bo, name: Bo, startDate: 2024-02-29, endDate: 2026-13-01 }\n" +
        "  - { id: cy, name: Cy, endDate: 2022-2-3 }\n",
    });
    expect(
      tree.diagnostics
        .filter((d) => d.code === "GH100")
        .map((d) => `${String(d.line)}:${String(d.column)} ${d.message}`),
    ).toEqual([
      "2:38 /users/0/startDate: 2022-02-30 is no day: February 2022 has 28 days",
      "3:57 /users/1/endDate: 2026-13-01 is no day: a month is 01 to 12",
      "4:34 /users/2/endDate: must be a day, YYYY-MM-DD (e.g. 2027-01-15)",
    ]);
  });
});
