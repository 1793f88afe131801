import { describe, expect, it } from "vitest";
import { briefs, configYaml, validateFiles } from "../../helpers/access-tree.ts";
import { employmentDates } from "../../../src/validate/rules/employment-dates.ts";

describe("employment-dates", () => {
  it("reports a start date after the end date, at the start date", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml":
        "users:\n  - id: alice\n    name: Alice\n    startDate: 2026-09-01\n    endDate: 2026-08-31\n",
    });
    expect(briefs(result.diagnostics, employmentDates.codes)).toEqual([
      "access/users/people.yaml:4:16 error GH225",
    ]);
    expect(result.diagnostics[0]?.message).toBe(
      'user "alice" starts on 2026-09-01, after their end date 2026-08-31; fix one of the dates.',
    );
  });

  it("accepts a one-day contract and a terminated user without an end date", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml":
        "users:\n  - id: alice\n    name: Alice\n    startDate: 2026-09-01\n    endDate: 2026-09-01\n  - id: bob\n    name: Bob\n    status: terminated\n",
    });
    expect(result.diagnostics).toEqual([]);
  });
});
