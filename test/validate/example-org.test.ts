import { describe, expect, it } from "vitest";
import path from "node:path";
import { validateAccessTree } from "../../src/validate/validate-tree.ts";
import { formatLocation } from "../../src/model/source.ts";

const REPO = path.join(import.meta.dirname, "../..");
/** The day the example was written: its grants (until) are dated relative to it, one already expired. */
const EXAMPLE_NOW = new Date("2026-11-25T12:00:00Z");

describe("the example organisation in access/", () => {
  it("validates with no errors", async () => {
    const result = await validateAccessTree("access", { cwd: REPO, now: EXAMPLE_NOW });
    const errors = result.diagnostics
      .filter((d) => d.severity === "error")
      .map((d) => `${formatLocation(d)} ${d.code} ${d.message}`);
    expect(errors).toEqual([]);
    expect(result.model.users.size).toBeGreaterThan(0);
    expect(result.model.groups.size).toBeGreaterThan(0);
    expect(result.model.roles.size).toBeGreaterThan(0);
  });
});
