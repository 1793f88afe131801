import { describe, expect, it } from "vitest";
import { renderText } from "../../src/render/text.ts";
import { MARKDOWN_LIMIT, renderMarkdown } from "../../src/render/markdown.ts";
import { mdText } from "../../src/render/markdown-text.ts";
import { renderJson } from "../../src/render/json.ts";
import type { Plan } from "../../src/plan/types.ts";
import {
  at,
  entry,
  group,
  live,
  liveGroup,
  liveUser,
  loc,
  model,
  planFor,
  role,
  user,
  USERS_FILE,
} from "../builders.ts";

/** A small plan with one change of most kinds, a grant, a role, a leaver and a note. */
function samplePlan(): Plan {
  const plan = planFor(
    model({
      users: [
        user("alice", { department: "ENG", title: "Staff Engineer", source: loc(USERS_FILE, 3) }),
        user("bob", { status: "terminated", source: loc(USERS_FILE, 9) }),
        user("carol", { source: loc(USERS_FILE, 15) }),
      ],
      groups: [
        group("team-platform-write", [entry.user("carol", 4, { until: at(86_400_000), reason: "INC-7" })]),
        group("app-grafana-read", [], { line: 10 }),
      ],
      roles: [role("platform-engineer", { department: ["ENG"] }, ["team-platform-write"], 3)],
    }),
    {
      live: live(
        [
          liveUser("alice", { department: "ENG", title: "Engineer" }),
          liveUser("bob", { sessions: 2, tokens: 1 }),
          liveUser("mallory"),
        ],
        [liveGroup("team-platform-write", ["bob"]), liveGroup("legacy-team", ["mallory"])],
      ),
    },
  );
  return {
    ...plan,
    notes: [{ provider: "directory", kind: "info", message: "dave: invitation pending; not sent again" }],
  };
}

describe("renderers", () => {
  it("renders the plan for a terminal", async () => {
    await expect(renderText(samplePlan(), { color: false, verbose: true })).toMatchFileSnapshot(
      "__snapshots__/plan.txt",
    );
  });

  it("renders the plan as a PR comment", async () => {
    await expect(renderMarkdown(samplePlan())).toMatchFileSnapshot("__snapshots__/plan.md");
  });

  it("renders the plan as versioned JSON", async () => {
    const json = renderJson(samplePlan());
    await expect(json).toMatchFileSnapshot("__snapshots__/plan.json");
    expect(JSON.parse(json)).toEqual(samplePlan());
  });

  it("shows each change's why on its line, or on lines of their own with --verbose", () => {
    const plain = renderText(samplePlan(), { color: false });
    expect(plain).toContain(
      "  + add alice to team-platform-write  (role baseline, access/roles/roles.yaml:3:5) — role platform-engineer (department=ENG) at access/roles/roles.yaml:3\n",
    );
    expect(plain).toContain(
      "  - disable user bob  (user terminated, access/users/people.yaml:9:5) — leaver: status: terminated\n",
    );
    // A change without a why ends with its reason.
    expect(plain).toContain("  + create user carol  (added in config, access/users/people.yaml:15:5)\n");
    const verbose = renderText(samplePlan(), { color: false, verbose: true });
    expect(verbose).toContain(
      "  + add alice to team-platform-write  (role baseline, access/roles/roles.yaml:3:5)\n      role platform-engineer (department=ENG) at access/roles/roles.yaml:3\n",
    );
  });

  it("keeps a why on one line, whatever its names hold", () => {
    const plan = samplePlan();
    const changes = plan.changes.map((c) =>
      c.why === undefined ? c : { ...c, why: ["role a\nb", "x\u001b[2Ky"] },
    );
    expect(renderText({ ...plan, changes }, { color: false })).toContain(
      "(role baseline, access/roles/roles.yaml:3:5) — role a\\x0ab; x\\x1b[2Ky\n",
    );
    expect(renderText({ ...plan, changes }, { color: false, verbose: true })).toContain(
      "(role baseline, access/roles/roles.yaml:3:5)\n      role a\\x0ab\n      x\\x1b[2Ky\n",
    );
  });

  it("shows each change's why in the PR comment, as text that does nothing else", () => {
    const md = renderMarkdown(samplePlan());
    expect(md).toContain(
      "`alice` (role baseline, `access/roles/roles.yaml:3` — role platform-engineer (department=ENG) at access/roles/roles.yaml:3)",
    );
    expect(md).toContain("— user terminated, access/users/people.yaml:9:5 — leaver: status: terminated");
    const plan = samplePlan();
    const changes = plan.changes.map((c) =>
      c.why === undefined ? c : { ...c, why: ["role <b>a</b>\n# b", "@team | x"] },
    );
    const hostile = renderMarkdown({ ...plan, changes });
    expect(hostile).toContain("— role &lt;b&gt;a&lt;/b&gt; # b; @\u200bteam \\| x)");
    expect(hostile).not.toContain("<b>");
  });

  it("uses ANSI colours only when asked", () => {
    const plain = renderText(samplePlan(), { color: false });
    const colored = renderText(samplePlan(), { color: true });
    // eslint-disable-next-line no-control-regex -- looking for escape codes is the point
    const ansi = /\u001b\[/;
    expect(plain).not.toMatch(ansi);
    expect(colored).toMatch(ansi);
    expect(colored).toContain("\u001b[32m+ create user carol\u001b[0m");
    expect(colored).toContain("\u001b[31m- disable user bob\u001b[0m");
    // eslint-disable-next-line no-control-regex -- strip the escape codes to compare the text
    expect(colored.replace(/\u001b\[[0-9]+m/g, "")).toBe(plain);
  });

  it("says there is nothing to do for an empty plan", () => {
    const plan = planFor(model({ users: [user("alice")] }), { live: live([liveUser("alice")]) });
    expect(renderText(plan, { color: false })).toContain("No changes. Live systems match the access files.");
    expect(renderMarkdown(plan)).toContain("No changes. Live systems match the access files.");
  });

  it("does not say live systems match when an observe-mode system differs", () => {
    const plan = planFor(model({ users: [user("alice"), user("bob")] }), {
      mode: "observe",
      live: live([liveUser("alice", { name: "Al" })]),
    });
    expect(plan.changes).toEqual([]);
    const text = renderText(plan, { color: false });
    expect(text).toContain("note: would create user bob (added in config)");
    expect(text).toContain('note: would update user alice: name "Al" → "Alice" (added in config)');
    expect(text).toContain("No changes to apply, but 2 difference(s) in systems gatehouse only observes");
    expect(text).not.toContain("Live systems match");
  });
});

describe("markdown size limit", () => {
  /** `n` new people, each added to one of a few groups. */
  function bigPlan(n: number): Plan {
    const ids = Array.from({ length: n }, (_, i) => `person-${String(i).padStart(4, "0")}`);
    return planFor(
      model({
        users: ids.map((id) => user(id)),
        groups: ["dept-a-read", "dept-b-read", "dept-c-read"].map((name, g) =>
          group(
            name,
            ids.filter((_, i) => i % 3 === g),
            { line: 1 + g * 1000 },
          ),
        ),
      }),
      { live: live([], []) },
    );
  }

  it("keeps a plan that fits whole", () => {
    const plan = bigPlan(6);
    const text = renderMarkdown(plan, { limit: 10_000 });
    expect(text).toContain("| `dept-a-read` |");
    expect(text).not.toContain("only its summary is shown");
  });

  it("replaces a plan over the limit with an honest summary under the limit", () => {
    const plan = bigPlan(300);
    const full = renderMarkdown(plan, { limit: Number.POSITIVE_INFINITY });
    const limit = 5_000;
    expect(full.length).toBeGreaterThan(limit);
    const text = renderMarkdown(plan, { limit, fullPlanHint: "See the job summary for the full plan." });
    expect(text.length).toBeLessThanOrEqual(limit);
    expect(text).toContain("Plan: 603 change(s): 600 broaden access, 0 narrow access, 3 neutral.");
    expect(text).toContain(
      `> The full plan is ${String(full.length)} characters, over the 5000-character limit of a comment, so only its summary is shown here. See the job summary for the full plan.`,
    );
    expect(text).toContain("| `directory` | 603 | 600 | 0 |");
    expect(text).toContain("By reason: added in config 603");
    expect(text).not.toContain("person-0001");
  });

  it("stays under GitHub's comment limit by default", () => {
    const plan = bigPlan(3_000);
    const text = renderMarkdown(plan);
    expect(text.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    expect(text).toContain("Plan: 6003 change(s)");
    expect(text).toContain("only its summary is shown here");
  });
});

describe("Markdown from hostile names", () => {
  it("shows names, values and live groups as text: no HTML, no heading, no line break, no mention", () => {
    const plan = planFor(
      model({
        users: [user("alice", { name: "Alice <!-- hidden", title: "@security-team" })],
        groups: [group("ops", [entry.user("alice", 4)])],
      }),
      {
        live: live(
          [liveUser("alice", { name: "Alice" })],
          [liveGroup("ops"), liveGroup("evil`\n### ✅ Approved\n<img src=x>", ["alice"])],
        ),
        mode: "authoritative",
      },
    );
    const md = renderMarkdown(plan);
    // Inside a code span (CommonMark §6.1) text shows as it is: markup counts only outside one.
    const outsideCode = md.replace(/(?<!`)(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, "");
    expect(outsideCode).not.toContain("<!--");
    expect(outsideCode).not.toContain("<img");
    expect(md).not.toContain("<!--");
    expect(md).not.toMatch(/^### ✅/m);
    expect(md).not.toContain(" @security-team");
    expect(mdText("(@admins) @ops,@dev ann.lee@example.com")).toBe(
      "(@\u200badmins) @\u200bops,@\u200bdev ann.lee@example.com",
    );
    expect(md).toContain("Alice &lt;!-- hidden");
    expect(md).toContain("delete group evil` ### ✅ Approved &lt;img src=x&gt; (1 member)");
    // The deleted group's row in the access table: its one member loses it.
    expect(md).toContain("| `` evil` ### ✅ Approved <img src=x> `` | — | all 1 member (group deleted) |");
  });
});
