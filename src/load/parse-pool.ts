/**
 * A small pool of worker threads running parse-worker.js. It only speeds things up: a worker that fails
 * to start, throws, runs out of memory or exits hands its files back as "failed" replies, which the
 * caller parses on the main thread, and every worker is terminated before the pool's promise settles.
 */
import { Worker } from "node:worker_threads";
import type { ParseLimits } from "./parse.ts";
import type { ParseReply, ParseTask } from "./parse-task.ts";

export interface PoolOptions {
  /** The worker script: `parse-worker.js` next to the built loader. */
  readonly script: URL;
  readonly size: number;
  readonly limits: ParseLimits;
}

/** Tasks sent ahead to each worker, so it never waits for the main thread between two files. */
const IN_FLIGHT = 2;

interface Slot {
  readonly worker: Worker | undefined;
  readonly inFlight: Map<number, ParseTask>;
  isGone: boolean;
}

/** A well-formed reply; anything else counts as a failure of the worker that sent it. */
function isReply(value: unknown): value is ParseReply {
  if (typeof value !== "object" || value === null || !("id" in value) || typeof value.id !== "number")
    return false;
  const type = "type" in value ? value.type : undefined;
  if (type === "entry") return "entry" in value && value.entry instanceof Uint8Array;
  if (type === "diagnostics") return "diagnostics" in value && Array.isArray(value.diagnostics);
  if (type === "failed") return "message" in value && typeof value.message === "string";
  return type === "full";
}

function startWorker(options: PoolOptions): Worker | undefined {
  try {
    return new Worker(options.script, { workerData: { limits: options.limits } });
  } catch {
    return undefined; // e.g. no threads left: the main thread does the work
  }
}

/**
 * Runs `tasks` on `options.size` worker threads, largest file first, and hands each reply to `onReply`
 * as it arrives (in any order). Resolves once every task has had its reply; rejects only when `onReply`
 * throws. Tasks of a worker that fails get a `failed` reply instead.
 */
export async function runParsePool(
  tasks: readonly ParseTask[],
  options: PoolOptions,
  onReply: (reply: ParseReply) => void,
): Promise<void> {
  if (tasks.length === 0) return;
  const queue = [...tasks].sort((a, b) => b.bytes.length - a.bytes.length);
  const slots: Slot[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let remaining = tasks.length;
      let isDone = false;
      const settle = (reply: ParseReply): void => {
        if (isDone) return; // replies after a rejection, or exits while terminating
        try {
          onReply(reply);
        } catch (error) {
          isDone = true;
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        remaining--;
        if (remaining === 0) {
          isDone = true;
          resolve();
        }
      };
      const feed = (slot: Slot): void => {
        while (!slot.isGone && slot.inFlight.size < IN_FLIGHT) {
          const task = queue.shift();
          if (task === undefined) return;
          slot.inFlight.set(task.id, task);
          slot.worker?.postMessage(task);
        }
      };
      const fail = (slot: Slot, message: string): void => {
        if (slot.isGone) return;
        slot.isGone = true;
        void slot.worker?.terminate();
        const lost = [...slot.inFlight.keys()];
        slot.inFlight.clear();
        for (const id of lost) settle({ id, type: "failed", message });
        if (slots.every((s) => s.isGone))
          for (let task = queue.shift(); task !== undefined; task = queue.shift())
            settle({ id: task.id, type: "failed", message: "no parse worker is left" });
        else for (const other of slots) feed(other);
      };
      for (let i = 0; i < options.size; i++) {
        const worker = startWorker(options);
        const slot: Slot = { worker, inFlight: new Map(), isGone: false };
        slots.push(slot);
        worker?.on("message", (message: unknown) => {
          if (!isReply(message) || !slot.inFlight.delete(message.id)) {
            fail(slot, "parse worker: unexpected message");
            return;
          }
          feed(slot);
          settle(message);
        });
        worker?.on("error", (error: Error) => {
          fail(slot, `parse worker failed: ${error.message}`);
        });
        worker?.on("messageerror", (error: Error) => {
          fail(slot, `parse worker: a message could not be read: ${error.message}`);
        });
        worker?.on("exit", (code: number) => {
          fail(slot, `parse worker exited with code ${String(code)}`);
        });
      }
      for (const slot of slots) {
        if (slot.worker === undefined) fail(slot, "parse worker could not start");
        else feed(slot);
      }
    });
  } finally {
    // Ended workers answer terminate() at once; running ones are stopped: no thread outlives the load.
    await Promise.allSettled(slots.flatMap((s) => (s.worker ? [s.worker.terminate()] : [])));
  }
}
