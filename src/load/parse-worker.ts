/**
 * Entry point of a parse worker thread (started by parse-pool.ts from the built `dist/load/`): answers
 * each ParseTask message with a ParseReply, transferring the entry bytes rather than copying them.
 */
import { parentPort, workerData } from "node:worker_threads";
import { DEFAULT_LIMITS, type ParseLimits } from "./parse.ts";
import { runParseTask, type ParseReply, type ParseTask } from "./parse-task.ts";
import { isRecord } from "../model/json.ts";

function limitsOf(data: unknown): ParseLimits {
  if (!isRecord(data) || !isRecord(data["limits"])) return DEFAULT_LIMITS;
  const { maxFileBytes, maxAliasCount } = data["limits"];
  return typeof maxFileBytes === "number" && typeof maxAliasCount === "number"
    ? { maxFileBytes, maxAliasCount }
    : DEFAULT_LIMITS;
}

function isParseTask(value: unknown): value is ParseTask {
  return (
    isRecord(value) &&
    typeof value["id"] === "number" &&
    typeof value["file"] === "string" &&
    value["bytes"] instanceof Uint8Array &&
    typeof value["digest"] === "string" &&
    (value["kind"] === "access" || value["kind"] === "config")
  );
}

/** The entry's memory, when it can be handed over without a copy (it owns all of its ArrayBuffer). */
function transferList(reply: ParseReply): ArrayBuffer[] {
  if (reply.type !== "entry") return [];
  const { buffer, byteOffset, byteLength } = reply.entry;
  return buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength
    ? [buffer]
    : [];
}

const port = parentPort;
if (port === null) throw new Error("parse-worker.js runs as a worker thread; it is started by parse-pool.js");
const limits = limitsOf(workerData);
port.on("message", (message: unknown) => {
  if (!isParseTask(message)) throw new Error("parse worker: the message is not a parse task");
  const reply = runParseTask(message, limits);
  port.postMessage(reply, transferList(reply));
});
