import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { deadline } from "../../src/io/deadline.ts";

/** A full garbage collection, now (what happens at some moment of a long read). */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
}

function abortedWithin(signal: AbortSignal, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve("still waiting");
    }, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve(signal.reason instanceof Error ? signal.reason.name : String(signal.reason));
    });
  });
}

describe("deadline", () => {
  it("aborts with a TimeoutError after its time, also when a collection ran while only the combined signal is held", async () => {
    // Only the combined signal is kept, as a plan keeps it while a read waits on a silent server. With
    // AbortSignal.any([AbortSignal.timeout(ms), stop]) on Node 20 the timeout could be collected and the
    // plan waited forever.
    const stop = new AbortController();
    const { signal } = deadline(200, stop.signal);
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 20));
    collectGarbage();
    expect(await abortedWithin(signal, 3000)).toBe("TimeoutError");
    expect(stop.signal.aborted).toBe(false);
  });

  it("aborts at once with a given signal, and not at all once cleared", async () => {
    const stop = new AbortController();
    const first = deadline(60_000, stop.signal);
    stop.abort(new Error("stopped"));
    expect(first.signal.aborted).toBe(true);
    first.clear();
    const cleared = deadline(50);
    cleared.clear();
    expect(await abortedWithin(cleared.signal, 300)).toBe("still waiting");
  });
});
