import type { UndeliveredWebhook } from "../audit/journal-fold.ts";
import type { OffboardingWebhook } from "../model/access.ts";
import type { PlanNote } from "../plan/types.ts";

/** Notes per webhook before the rest are summed up in one. */
const MAX_NOTES = 20;

/** "2026-11-27T16:36Z": the minute of an ISO instant. */
function minuteOf(at: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(at) ? `${at.slice(0, 16)}Z` : at;
}

/** How the owed delivery's last attempt ended: "rejected (HTTP 410)", "failed (ECONNREFUSED)". */
export function lastAttempt(o: UndeliveredWebhook): string {
  const answer = o.status === undefined ? (o.error ?? "no answer") : `HTTP ${String(o.status)}`;
  return `${o.outcome === "rejected" ? "rejected" : "failed"} (${answer})`;
}

/** Where the owed delivery is recorded: "journal #812", or beside the journal (set aside, no seq yet). */
function entryOf(o: UndeliveredWebhook): string {
  return o.seq >= 1 ? `journal #${String(o.seq)}` : "set aside beside the journal";
}

/**
 * "webhook hr owes bob's offboarding since 2026-06-01T12:00Z: delivery 1f0c…, last attempt rejected
 * (HTTP 400) at …; the next apply sends it again; …". What to do depends on how it ended: a rejection
 * needs the receiver fixed, and a webhook gatehouse.yaml no longer has is sent by nothing.
 */
function describeOwed(o: UndeliveredWebhook, isConfigured: boolean): string {
  const close = `\`gatehouse journal close-delivery --delivery ${o.delivery} --reason TEXT\` closes it`;
  const advice = !isConfigured
    ? `gatehouse.yaml no longer has webhook ${o.webhook}, so no apply sends it; ${close}`
    : o.outcome === "rejected"
      ? `the receiver refused it: fix the receiver, and apply sends it again; or ${close}`
      : `apply sends it again; if it can never be delivered, ${close}`;
  return (
    `webhook ${o.webhook} owes the offboarding of ${o.userId} since ${minuteOf(o.triggeredAt)}: ` +
    `delivery ${o.delivery}, last attempt ${lastAttempt(o)} at ${minuteOf(o.at)} (${entryOf(o)}); ${advice}`
  );
}

/**
 * The plan's notes of webhook deliveries earlier applies owe (JournalFold.undelivered), by webhook in
 * the order of gatehouse.yaml, then those of webhooks it no longer has: for a webhook owed more than
 * one, how many and since when first; then each, oldest first, at most MAX_NOTES and a count.
 * `hooks`: policy.offboarding.webhooks.
 */
export function owedDeliveryNotes(
  owed: readonly UndeliveredWebhook[],
  hooks: readonly OffboardingWebhook[],
): PlanNote[] {
  const configured = new Set(hooks.map((h) => h.name));
  const byHook = new Map<string, UndeliveredWebhook[]>();
  for (const name of configured) byHook.set(name, []);
  for (const o of owed) {
    const list = byHook.get(o.webhook);
    if (list === undefined) byHook.set(o.webhook, [o]);
    else list.push(o);
  }
  const notes: PlanNote[] = [];
  for (const [webhook, list] of byHook) {
    if (list.length === 0) continue;
    const sorted = [...list].sort((a, b) => a.triggeredAt.localeCompare(b.triggeredAt) || a.seq - b.seq);
    const isConfigured = configured.has(webhook);
    const rejected = sorted.filter((o) => o.outcome === "rejected").length;
    if (sorted.length > 1)
      notes.push({
        provider: webhook,
        kind: "webhook-owed",
        message:
          `webhook ${webhook} is owed ${String(sorted.length)} deliveries, the oldest since ${minuteOf(sorted[0]?.triggeredAt ?? "")}` +
          ` (${String(rejected)} rejected, ${String(sorted.length - rejected)} failed)`,
      });
    for (const o of sorted.slice(0, MAX_NOTES))
      notes.push({ provider: webhook, kind: "webhook-owed", message: describeOwed(o, isConfigured) });
    const more = sorted.length - MAX_NOTES;
    if (more > 0)
      notes.push({
        provider: webhook,
        kind: "webhook-owed",
        message: `and ${String(more)} more delivery(ies) webhook ${webhook} is owed (gatehouse journal changes lists them)`,
      });
  }
  return notes;
}
