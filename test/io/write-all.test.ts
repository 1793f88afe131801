/**
 * writeAllOrNothing on real files in a temp folder: all written, or every file byte for byte and mode as
 * it was, with no temp file or folder of its own left, whether the failure comes before the renames or
 * at one of them. The failures used hit root too (a folder where a file goes, a file where a folder
 * goes), so the tests hold when run as root.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeAllOrNothing, WriteAllError, type SetWrite } from "../../src/io/write-all.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "gatehouse-write-all-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every entry under `dir` (dot files included) with its mode, and its bytes for a file. */
async function snapshot(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    const mode = ((await stat(file)).mode & 0o7777).toString(8);
    out.set(
      path.relative(dir, file),
      entry.isFile() ? `${mode} ${(await readFile(file)).toString("hex")}` : `${mode} (folder)`,
    );
  }
  return out;
}

const write = (file: string, text: string, original?: string, mode = 0o644): SetWrite => ({
  file,
  target: path.join(dir, file),
  text,
  mode,
  ...(original === undefined ? {} : { original }),
});

async function seed(): Promise<void> {
  await writeFile(path.join(dir, "a.yaml"), "a: old\n");
  await chmod(path.join(dir, "a.yaml"), 0o640);
  await mkdir(path.join(dir, "sub"));
  await writeFile(path.join(dir, "sub/b.yaml"), "b: old # ünïcode\n");
}

describe("writeAllOrNothing", () => {
  it("writes every file with its mode, makes a new file's folders, and leaves no temp file", async () => {
    await seed();
    const result = await writeAllOrNothing(
      [
        write("a.yaml", "a: new\n", "a: old\n", 0o640),
        write("sub/b.yaml", "b: new\n", "b: old # ünïcode\n"),
        write("new/deep/c.yaml", "c: 1\n"),
      ],
      { isCheckingOriginals: true },
    );
    expect(result).toEqual({ isWritten: true });
    const folder = `${((await stat(path.join(dir, "sub"))).mode & 0o7777).toString(8)} (folder)`;
    expect(await snapshot()).toEqual(
      new Map([
        ["a.yaml", `640 ${Buffer.from("a: new\n").toString("hex")}`],
        ["sub", folder],
        ["sub/b.yaml", `644 ${Buffer.from("b: new\n").toString("hex")}`],
        ["new", folder],
        ["new/deep", folder],
        ["new/deep/c.yaml", `644 ${Buffer.from("c: 1\n").toString("hex")}`],
      ]),
    );
  });

  it("changes nothing when a file cannot be staged, removing the temps and folders made before it", async () => {
    await seed();
    await writeFile(path.join(dir, "blocker"), "a file where a folder must go\n");
    const before = await snapshot();
    const error: unknown = await writeAllOrNothing(
      [
        write("a.yaml", "a: new\n", "a: old\n"),
        write("made/c.yaml", "c: 1\n"),
        write("blocker/d.yaml", "d: 1\n"),
      ],
      { isCheckingOriginals: true },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WriteAllError);
    expect((error as Error).message).toMatch(
      /^blocker\/d\.yaml: could not be written \((EEXIST|ENOTDIR)\); nothing was changed$/,
    );
    expect(await snapshot()).toEqual(before);
  });

  it("puts back the files already renamed when a later rename fails, byte for byte and mode", async () => {
    await seed();
    // The last target is a folder: staging its temp file works, renaming over it fails (EISDIR), for root
    // too. Unchecked, so the failure reaches the renames rather than the check before them.
    await mkdir(path.join(dir, "z.yaml"));
    await writeFile(path.join(dir, "z.yaml/inside"), "x\n");
    const before = await snapshot();
    const error: unknown = await writeAllOrNothing(
      [
        write("a.yaml", "a: new\n", undefined, 0o600),
        write("sub/b.yaml", "b: new\n"),
        write("fresh/c.yaml", "c: 1\n"),
        write("z.yaml", "z: 1\n"),
      ],
      { isCheckingOriginals: false },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WriteAllError);
    expect((error as Error).message).toBe(
      "z.yaml: could not be written (EISDIR); put back as they were: a.yaml, sub/b.yaml, fresh/c.yaml; nothing was changed",
    );
    expect((error as WriteAllError).restored).toEqual(["a.yaml", "sub/b.yaml", "fresh/c.yaml"]);
    expect((error as WriteAllError).unrestored).toEqual([]);
    // a.yaml has its 0640 back (it was written 0600), the new file and its folder are gone, no temps.
    expect(await snapshot()).toEqual(before);
  });

  it("writes nothing when a file changed or appeared after it was read", async () => {
    await seed();
    await writeFile(path.join(dir, "a.yaml"), "a: edited by hand\n");
    const before = await snapshot();
    expect(
      await writeAllOrNothing(
        [write("sub/b.yaml", "b: new\n", "b: old # ünïcode\n"), write("a.yaml", "a: new\n", "a: old\n")],
        { isCheckingOriginals: true },
      ),
    ).toEqual({ isWritten: false, changed: "a.yaml" });
    expect(await snapshot()).toEqual(before);

    // A file to create that someone created meanwhile.
    await writeFile(path.join(dir, "sub/new.yaml"), "mine\n");
    const now = await snapshot();
    expect(
      await writeAllOrNothing(
        [write("sub/b.yaml", "b: new\n", "b: old # ünïcode\n"), write("sub/new.yaml", "x\n")],
        {
          isCheckingOriginals: true,
        },
      ),
    ).toEqual({ isWritten: false, changed: "sub/new.yaml" });
    expect(await snapshot()).toEqual(now);
  });
});
