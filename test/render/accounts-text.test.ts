import { describe, expect, it } from "vitest";
import { agoText } from "../../src/render/accounts.ts";

describe("how long ago an account was last used", () => {
  it("says days from a day on, hours under a day and minutes under an hour (`--stale 1m` said 0.0 days)", () => {
    expect(agoText(131.46)).toBe("131.5 days ago");
    expect(agoText(1)).toBe("1.0 days ago");
    expect(agoText(5 / 24)).toBe("5.0 hours ago");
    expect(agoText(1 / 24)).toBe("1.0 hours ago");
    expect(agoText(12 / 1440)).toBe("12 minutes ago");
    expect(agoText(0)).toBe("0 minutes ago");
  });
});
