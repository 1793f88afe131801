/**
 * A signal that aborts `ms` after now, or as soon as any of `signals` does.
 *
 * Not `AbortSignal.any([AbortSignal.timeout(ms), ...])`: on Node 20 `AbortSignal.any` holds its sources
 * weakly and `AbortSignal.timeout`'s timer holds its signal weakly too, so a timeout signal nothing else
 * refers to can be garbage-collected before it fires, and the combined signal then never aborts: a plan
 * against a server that took a request and never answered waited forever, now and then (whenever a
 * collection ran in between). Here the timer holds its controller strongly, and `clear` stops it once the
 * work is done. The abort reason is the same TimeoutError `AbortSignal.timeout` gives.
 */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Stops the timer (the signal then aborts only with one of the given signals). */
  readonly clear: () => void;
}

export function deadline(ms: number, ...signals: readonly AbortSignal[]): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
  }, ms);
  // Waiting on a deadline alone keeps no process alive, as with AbortSignal.timeout.
  timer.unref();
  return {
    signal: signals.length === 0 ? controller.signal : AbortSignal.any([controller.signal, ...signals]),
    clear: () => {
      clearTimeout(timer);
    },
  };
}
