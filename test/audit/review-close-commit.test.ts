/**
 * What counts as only a `review close`: the content check behind the trailer, on the data of the files a
 * commit changed (as the loader reads them), at the commit's date.
 */
import { describe, expect, it } from "vitest";
import { notOnlyReviewClose, type FileChange } from "../../src/audit/review-close-commit.ts";

const FILE = "access/groups/ops.yaml";
const AFTER_DUE = new Date("2026-03-10T00:00:00Z");
const ON_DUE = new Date("2026-03-09T23:59:59Z");

const open = (members: unknown[], pending: string[]) => ({
  groups: [
    { name: "ops", owners: ["ann"], members, review: { due: "2026-03-09", pending } },
    { name: "web", owners: ["ann"], members: ["bob"] },
  ],
});
const closed = (members: unknown[], web: unknown[] = ["bob"]) => ({
  groups: [
    { name: "ops", owners: ["ann"], members },
    { name: "web", owners: ["ann"], members: web },
  ],
});
const change = (before: unknown, after: unknown, file = FILE): FileChange => ({
  file,
  before,
  after,
  isReadable: true,
});
const GRANT = { user: "cy", until: "2026-12-01T00:00:00Z" };

describe("notOnlyReviewClose", () => {
  it.each([
    {
      name: "the block and the pending members' lines and grants removed, past due",
      changes: [change(open(["ann", "bob", GRANT], ["bob", "cy"]), closed(["ann"]))],
      at: AFTER_DUE,
      why: undefined,
    },
    {
      name: "a block with nothing pending removed before the due day",
      changes: [change(open(["ann"], []), closed(["ann"]))],
      at: ON_DUE,
      why: undefined,
    },
    {
      name: "pending members revoked before the due day passed",
      changes: [change(open(["ann", "bob"], ["bob"]), closed(["ann"]))],
      at: ON_DUE,
      why: "it removes the review block of ops (due 2026-03-09) before the due day passed, with names pending",
    },
    {
      name: "the block removed with a pending member kept",
      changes: [change(open(["ann", "bob"], ["bob"]), closed(["ann", "bob"]))],
      at: AFTER_DUE,
      why: `it changes more in ${FILE} than review blocks and their pending members' lines (group ops)`,
    },
    {
      name: "a member who was not pending revoked too",
      changes: [change(open(["ann", "bob"], ["bob"]), closed([]))],
      at: AFTER_DUE,
      why: `it changes more in ${FILE} than review blocks and their pending members' lines (group ops)`,
    },
    {
      name: "a member added to another group",
      changes: [change(open(["ann", "bob"], ["bob"]), closed(["ann"], ["bob", "eve"]))],
      at: AFTER_DUE,
      why: `it changes more in ${FILE} than review blocks and their pending members' lines (group web)`,
    },
    {
      name: "a group added",
      changes: [
        change(open(["ann", "bob"], ["bob"]), {
          groups: [...closed(["ann"]).groups, { name: "db", owners: ["ann"], members: ["eve"] }],
        }),
      ],
      at: AFTER_DUE,
      why: `it changes more than review blocks in ${FILE} (its groups are not the same groups)`,
    },
    {
      name: "another key of the file changed",
      changes: [
        change(
          { ...open(["ann", "bob"], ["bob"]), users: [{ id: "eve" }] },
          { ...closed(["ann"]), users: [{ id: "eve", status: "active" }] },
        ),
      ],
      at: AFTER_DUE,
      why: `it changes more in ${FILE} than review blocks and their pending members' lines (users)`,
    },
    {
      name: "a file added",
      changes: [change(undefined, closed(["eve"]), "access/groups/new.yaml")],
      at: AFTER_DUE,
      why: "it adds access/groups/new.yaml",
    },
    {
      name: "a member removed with no review closed",
      changes: [change(closed(["ann", "bob"]), closed(["ann"]))],
      at: AFTER_DUE,
      why: `it changes more in ${FILE} than review blocks and their pending members' lines (group ops)`,
    },
    {
      name: "nothing but an unrelated review left open",
      changes: [change(open(["ann"], ["ann"]), open(["ann"], ["ann"]))],
      at: AFTER_DUE,
      why: "it closes no access review",
    },
  ])("$name", ({ changes, at, why }) => {
    expect(notOnlyReviewClose(changes, at)).toBe(why);
  });
});
