import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  MIN_AUTO_CORES,
  PARALLEL_MIN_BYTES,
  parseWorkerCount,
  parseWorkersOption,
  type LoadedTree,
} from "../../src/load/load-tree.ts";
import { DEFAULT_LIMITS } from "../../src/load/parse.ts";
import { runParsePool } from "../../src/load/parse-pool.ts";
import type { ParseReply, ParseTask } from "../../src/load/parse-task.ts";
import type { ClassifiedDocument } from "../../src/load/build-model.ts";
import { builtFile, importBuiltLoader } from "../helpers/built.ts";
import { configYaml, writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";

const trees: AccessTree[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function user(id: string, extra = ""): string {
  return `  - id: ${id}\n    name: User ${id}\n    email: ${id}@example.com\n${extra}`;
}

function deepYaml(levels: number): string {
  let text = "users:\n";
  for (let i = 0; i < levels; i++) text += `${" ".repeat(2 * i + 2)}k${String(i)}:\n`;
  return text + `${" ".repeat(2 * levels + 2)}v: x\n`;
}

/** One file for each way a file can go: fast, full parser, refused, warned about, schema errors. */
const FILES: Readonly<Record<string, string | Uint8Array>> = {
  "gatehouse.yaml": configYaml(),
  "users/a.yaml": "users:\n" + user("ada") + user("bob", "    emial: bob@example.com\n") + user("cy"),
  "users/anchors.yaml": "users:\n  - &u\n    id: dee\n    name: Dee\n  - id: eve\n    name: *u\n",
  "users/crlf.yaml": ("users:\n" + user("fay")).replace(/\n/g, "\r\n"),
  "users/deep.yaml": deepYaml(100),
  "groups/dup.yaml": "groups:\n  - name: team-a-read\n    name: team-b-read\n",
  "groups/ok.yaml":
    "groups:\n  - name: team-a-read\n    members: [ada, bob]\n  - name: team-b-read\n    members:\n      - user: cy\n",
  "users/binary.yaml": new Uint8Array([0x75, 0x3a, 0x00, 0x0a]),
  "users/latin1.yaml": new Uint8Array([0x61, 0x3a, 0x20, 0xe9, 0x0a]),
  "empty.yaml": "# nothing here yet\n",
};

/** Everything a caller can observe of a loaded tree, diagnostics as JSON (field order included). */
function observe(tree: LoadedTree): unknown {
  return {
    digest: tree.digest,
    fileCount: tree.fileCount,
    diagnostics: JSON.stringify(tree.diagnostics),
    documents: tree.documents.map(({ document: d, kind, invalidPaths }) => ({
      file: d.file,
      digest: d.digest,
      kind,
      invalidPaths,
      data: d.data,
      positions: [...d.locator.locateAll([], 200)],
      keyOfFirst: d.locator.locate(["users", 0, "id"], "key"),
    })),
  };
}

describe("parse workers", { tags: ["slow"] }, () => {
  it("give the same documents, positions, diagnostics and digest as the main thread", async () => {
    const { loadAccessTree } = await importBuiltLoader();
    const tree = await writeAccessTree(FILES);
    trees.push(tree);
    const serial = await loadAccessTree("access", { cwd: tree.cwd, parseWorkers: 0 });
    const workers = await loadAccessTree("access", { cwd: tree.cwd, parseWorkers: 2 });
    expect(serial.diagnostics.map((d) => d.code)).toEqual(
      expect.arrayContaining(["GH005", "GH006", "GH011", "GH015", "GH100"]),
    );
    expect(observe(workers)).toEqual(observe(serial));
  });

  it("apply the same defenses to hostile files (limits, nesting, alias bombs, encodings)", async () => {
    const { loadAccessTree } = await importBuiltLoader();
    const corpus = path.join(import.meta.dirname, "../fixtures/hostile");
    const files: Record<string, Uint8Array | string> = {};
    for (const name of await readdir(corpus)) files[name] = await readFile(path.join(corpus, name));
    files["deep-one-space.yaml"] =
      Array.from({ length: 2000 }, (_, i) => `${" ".repeat(i)}k:\n`).join("") + `${" ".repeat(2000)}v: x\n`;
    files["too-big.yaml"] = "# " + "x".repeat(DEFAULT_LIMITS.maxFileBytes) + "\n";
    const tree = await writeAccessTree(files);
    trees.push(tree);
    const serial = await loadAccessTree("access", { cwd: tree.cwd, parseWorkers: 0 });
    const workers = await loadAccessTree("access", { cwd: tree.cwd, parseWorkers: 3 });
    const first = (name: string): string | undefined =>
      serial.diagnostics.find((d) => d.file === `access/${name}`)?.code;
    expect([first("deep-one-space.yaml"), first("too-big.yaml"), first("alias-bomb.yaml")]).toEqual([
      "GH018",
      "GH004",
      "GH017",
    ]);
    expect(observe(workers)).toEqual(observe(serial));
  });

  it("write the same cache entries, which read back the same", async () => {
    const { loadAccessTree } = await importBuiltLoader();
    const tree = await writeAccessTree(FILES);
    trees.push(tree);
    const serialCache = path.join(tree.cwd, "cache-serial");
    const workerCache = path.join(tree.cwd, "cache-workers");
    const serial = await loadAccessTree("access", { cwd: tree.cwd, cacheDir: serialCache, parseWorkers: 0 });
    await loadAccessTree("access", { cwd: tree.cwd, cacheDir: workerCache, parseWorkers: 2 });
    const names = (await readdir(serialCache)).sort();
    expect(names.length).toBeGreaterThan(2);
    expect((await readdir(workerCache)).sort()).toEqual(names);
    for (const name of names)
      expect(await readFile(path.join(workerCache, name))).toEqual(
        await readFile(path.join(serialCache, name)),
      );
    const warm = await loadAccessTree("access", { cwd: tree.cwd, cacheDir: workerCache, parseWorkers: 0 });
    expect(observe(warm)).toEqual(observe(serial));
  });

  it("hand each document to onDocument in file order, cached, corrupt-cached, parsed here or on workers", async () => {
    const { loadAccessTree } = await importBuiltLoader();
    const plain = Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [`people/p${String(i)}.yaml`, "users:\n" + user(`p${String(i)}`)]),
    );
    const tree = await writeAccessTree({ ...FILES, ...plain });
    trees.push(tree);
    const cacheDir = path.join(tree.cwd, "cache");
    const serial = await loadAccessTree("access", { cwd: tree.cwd, parseWorkers: 0 });
    await loadAccessTree("access", { cwd: tree.cwd, cacheDir, parseWorkers: 0 });
    // Half the entries gone (parsed again, on workers) and one garbled (read back, refused, parsed here).
    const entries = (await readdir(cacheDir)).sort();
    expect(entries.length).toBeGreaterThan(8);
    for (const [i, name] of entries.entries()) {
      if (i === 0) await writeFile(path.join(cacheDir, name), "not a cache entry");
      else if (i % 2 === 1) await rm(path.join(cacheDir, name));
    }
    const streamed: ClassifiedDocument[] = [];
    const mixed = await loadAccessTree("access", { cwd: tree.cwd, cacheDir, parseWorkers: 2 }, (d) =>
      streamed.push(d),
    );
    expect(mixed.documents).toEqual([]);
    expect(observe({ ...mixed, documents: streamed })).toEqual(observe(serial));
  });

  it("answer each file from a real worker thread: read, refused, or left to the yaml package", async () => {
    const script = pathToFileURL(builtFile("load/parse-worker.js"));
    const tasks: ParseTask[] = Object.entries(FILES).map(([name, content], id) => ({
      id,
      file: name,
      bytes: typeof content === "string" ? new TextEncoder().encode(content) : content,
      digest: "d",
      kind: name === "gatehouse.yaml" ? "config" : "access",
    }));
    const replies = new Map<string, ParseReply["type"]>();
    await runParsePool(tasks, { script, size: 2, limits: DEFAULT_LIMITS }, (reply) => {
      replies.set(tasks[reply.id]?.file ?? "?", reply.type);
    });
    expect(Object.fromEntries(replies)).toEqual({
      "gatehouse.yaml": "entry",
      "users/a.yaml": "entry",
      "groups/ok.yaml": "entry",
      "users/anchors.yaml": "full",
      "users/crlf.yaml": "full",
      "users/deep.yaml": "full",
      "groups/dup.yaml": "full",
      "empty.yaml": "full",
      "users/binary.yaml": "diagnostics",
      "users/latin1.yaml": "diagnostics",
    });
  });
});

describe("when to use parse workers", () => {
  const big = PARALLEL_MIN_BYTES;
  it("only for much uncached YAML on enough cores, up to four, at most one per file", () => {
    expect(parseWorkerCount(big - 1, 200, undefined, 8)).toBe(0);
    expect(parseWorkerCount(big, 200, undefined, MIN_AUTO_CORES - 1)).toBe(0);
    expect(parseWorkerCount(big, 200, undefined, MIN_AUTO_CORES)).toBe(MIN_AUTO_CORES);
    expect(parseWorkerCount(big, 200, undefined, 64)).toBe(4);
    expect(parseWorkerCount(big, 3, undefined, 64)).toBe(3);
  });

  it("as many as GATEHOUSE_PARSE_WORKERS says, whatever the size and the cores", () => {
    expect(parseWorkerCount(10, 200, 2, 1)).toBe(2);
    expect(parseWorkerCount(big * 4, 200, 0, 64)).toBe(0);
    expect(parseWorkerCount(10, 1, 5, 1)).toBe(1);
    expect(parseWorkersOption({})).toEqual({});
    expect(parseWorkersOption({ GATEHOUSE_PARSE_WORKERS: "" })).toEqual({});
    expect(parseWorkersOption({ GATEHOUSE_PARSE_WORKERS: "0" })).toEqual({ parseWorkers: 0 });
    expect(parseWorkersOption({ GATEHOUSE_PARSE_WORKERS: "16" })).toEqual({ parseWorkers: 16 });
    for (const bad of ["17", "-1", "2.5", "two", " 2", "1e1"])
      expect(() => parseWorkersOption({ GATEHOUSE_PARSE_WORKERS: bad })).toThrow(
        `GATEHOUSE_PARSE_WORKERS must be a whole number from 0 to 16 (0: parse on the main thread only), not "${bad}"`,
      );
  });
});

describe("parse pool failures", () => {
  async function script(source: string): Promise<URL> {
    const dir = await mkdtemp(path.join(tmpdir(), "gh-parse-pool-"));
    dirs.push(dir);
    const file = path.join(dir, "worker.mjs");
    await writeFile(file, source);
    return pathToFileURL(file);
  }

  const tasks: ParseTask[] = Array.from({ length: 7 }, (_, id) => ({
    id,
    file: `f${String(id)}.yaml`,
    bytes: new TextEncoder().encode("users: []\n"),
    digest: "d",
    kind: "access",
  }));

  async function run(source: string, size: number): Promise<ParseReply[]> {
    const replies: ParseReply[] = [];
    await runParsePool(tasks, { script: await script(source), size, limits: DEFAULT_LIMITS }, (r) =>
      replies.push(r),
    );
    return replies.sort((a, b) => a.id - b.id);
  }

  it("hands every file back as failed when the workers cannot start", async () => {
    const replies = await run(`throw new Error("no worker today");`, 2);
    expect(replies.map((r) => r.id)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(replies.every((r) => r.type === "failed")).toBe(true);
    expect(replies[0]).toMatchObject({ message: expect.stringContaining("no worker today") as unknown });
  });

  it("hands back the files of a worker that exits, once each, and the others finish the rest", async () => {
    const replies = await run(
      `import { parentPort, threadId } from "node:worker_threads";
       let count = 0;
       parentPort.on("message", (task) => {
         count++;
         // The first worker leaves after its second file; the other answers everything.
         if (threadId % 2 === 1 && count === 2) process.exit(3);
         parentPort.postMessage({ id: task.id, type: "full" });
       });`,
      2,
    );
    expect(replies.map((r) => r.id)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(replies.filter((r) => r.type === "full").length).toBeGreaterThanOrEqual(5);
  });

  it("treats a malformed reply as a failure of that worker", async () => {
    const replies = await run(
      `import { parentPort } from "node:worker_threads";
       parentPort.on("message", (task) => parentPort.postMessage({ id: task.id, type: "entry", entry: "nope" }));`,
      1,
    );
    expect(replies.map((r) => r.type)).toEqual(Array(7).fill("failed"));
  });
});
