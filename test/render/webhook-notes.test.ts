/** The plan's notes of webhook deliveries still owed: their own section, never a system's note. */
import { describe, expect, it } from "vitest";
import { renderText } from "../../src/render/text.ts";
import { renderMarkdown } from "../../src/render/markdown.ts";
import type { Plan } from "../../src/plan/types.ts";
import { model, planFor } from "../builders.ts";

const OWED = "webhook directory owes the offboarding of bob since 2026-06-01T12:00Z: delivery d-1";

/** A plan with no changes, a note of the system `directory`, and one owed by a webhook of that name. */
function planWithOwed(): Plan {
  const plan = planFor(model({ users: [] }));
  return {
    ...plan,
    notes: [
      { provider: "directory", kind: "info", message: "dave: invitation pending" },
      { provider: "directory", kind: "webhook-owed", message: OWED },
    ],
  };
}

describe("webhook-owed notes", () => {
  it("are shown once, under the webhooks, also when a webhook is named like a system", () => {
    const plan = planWithOwed();
    expect(plan.providers.map((p) => p.name)).toEqual(["directory"]);
    const text = renderText(plan, { color: false });
    expect(text.split(OWED)).toHaveLength(2);
    expect(text).toContain(
      `  note: dave: invitation pending\n\nOffboarding webhooks (policy.offboarding.webhooks):\n  note: ${OWED}\n\n`,
    );
    expect(text).not.toContain("not in gatehouse.yaml any more");
    expect(text).toMatch(
      /No changes to apply, but offboarding webhook deliveries are owed, noted above: apply sends them again\.\n$/,
    );
    const markdown = renderMarkdown(plan);
    expect(markdown.split(OWED)).toHaveLength(2);
    expect(markdown).toContain(`#### Offboarding webhooks\n\n**Deliveries owed:**\n\n- ${OWED}`);
    expect(markdown).toContain("- dave: invitation pending");
  });
});
