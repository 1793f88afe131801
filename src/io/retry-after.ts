/**
 * A `Retry-After` header (RFC 9110 §10.2.3) as milliseconds to wait: delay-seconds, or an HTTP date
 * counted from `nowMs` (the answering server's clock where it sent a Date header: the two clocks then
 * agree). Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** The server's clock when it answered: its Date header (ms), if it sent a valid one. */
export function serverDateOf(headers: Headers): number | undefined {
  const date = Date.parse(headers.get("date") ?? "");
  return Number.isNaN(date) ? undefined : date;
}
