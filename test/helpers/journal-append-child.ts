/** Child process: appends `count` apply-start entries by `actor`, one append call each. */
import { appendJournalEntries } from "../../src/audit/journal.ts";

const [path, actor, countText] = process.argv.slice(2);
if (path === undefined || actor === undefined || countText === undefined) {
  throw new Error("usage: journal-append-child <path> <actor> <count>");
}
for (let i = 1; i <= Number(countText); i++) {
  await appendJournalEntries(
    path,
    [
      {
        type: "apply-start",
        at: new Date().toISOString(),
        actor,
        planDigest: String(i),
        desiredDigest: "d",
        providers: ["directory"],
        changes: 0,
      },
    ],
    { lockTimeoutMs: 60_000 },
  );
}
