/** Child process: holds `<target>.lock`, prints "locked", releases it when stdin closes. */
import { withFileLock } from "../../src/io/file-lock.ts";

const [target] = process.argv.slice(2);
if (target === undefined) throw new Error("usage: lock-holder-child <target>");
await withFileLock(target, async () => {
  process.stdout.write("locked\n");
  await new Promise((done) => process.stdin.once("end", done).resume());
});
