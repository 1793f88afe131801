/**
 * The fake GitHub behind Stoplight Prism in proxy mode with `--errors`: every request and response is checked
 * against GitHub's official OpenAPI description (test/fixtures/github/openapi-subset.json). A violation turns the
 * response into an error, so a test that passes spoke GitHub's API as GitHub describes it.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { FakeGithub } from "./fake-github/index.ts";
import { startFakeGithub } from "./fake-github/index.ts";
import { findFreePort } from "./loopback.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SPEC = fileURLToPath(new URL("../fixtures/github/openapi-subset.json", import.meta.url));
const PRISM = fileURLToPath(
  new URL("../../node_modules/@stoplight/prism-cli/dist/index.js", import.meta.url),
);

export interface CheckedGithub {
  /** Prism's URL: point clients here. */
  readonly url: string;
  readonly fake: FakeGithub;
  /** Milliseconds Prism took to listen. */
  readonly startMs: number;
  /** Prism's output so far (violations are logged there too). */
  output(): string;
  /** Prism's "Violation:" lines: requests or responses that do not match GitHub's description. */
  violations(): string[];
  close(): Promise<void>;
}

export async function startCheckedGithub(options: { timeoutMs?: number } = {}): Promise<CheckedGithub> {
  const fake = await startFakeGithub();
  const port = await findFreePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [PRISM, "proxy", SPEC, fake.url, "--errors", "-p", String(port), "-h", "127.0.0.1"],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      resolve();
    }),
  );

  const deadline = started + (options.timeoutMs ?? 30_000);
  while (!output.includes("Prism is listening")) {
    if (child.exitCode !== null || performance.now() > deadline) {
      child.kill();
      await fake.close();
      throw new Error(`prism did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const startMs = Math.round(performance.now() - started);
  const url = `http://127.0.0.1:${String(port)}`;
  fake.setPublicUrl(url);
  return {
    url,
    fake,
    startMs,
    output: () => output,
    violations: () => output.split("\n").filter((line) => line.includes("Violation:")),
    close: async () => {
      child.kill();
      await exited;
      await fake.close();
    },
  };
}
