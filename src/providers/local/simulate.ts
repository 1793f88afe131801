import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { ProviderError } from "../../errors.ts";
import { removeLeftoverTempFiles, writeFileAtomic } from "../../io/atomic-write.ts";
import { withFileLock } from "../../io/file-lock.ts";
import type { StoredUser } from "./directory-file.ts";
import { loadDirectory, serializeDirectory } from "./directory-file.ts";

/**
 * The world acting on the directory out of band (people signing in, creating tokens), for the demo and
 * tests. Not used by plan or apply.
 */

/** Records a sign-in of `account` at `at`: sets lastLogin and opens a session. Returns the session id. */
export async function recordLogin(path: string, account: string, at: Date): Promise<string> {
  return updateUser(path, account, "record login", (user) => {
    const id = `sess-${randomBytes(6).toString("hex")}`;
    user.lastLogin = at.toISOString();
    user.sessions.push({ id, createdAt: at.toISOString() });
    return id;
  });
}

/** Issues a personal access token for `account` at `at`. Returns the token id (no secret is kept). */
export async function issueToken(path: string, account: string, at: Date): Promise<string> {
  return updateUser(path, account, "issue token", (user) => {
    const id = `tok-${randomBytes(6).toString("hex")}`;
    user.tokens.push({ id, createdAt: at.toISOString() });
    return id;
  });
}

async function updateUser(
  path: string,
  account: string,
  operation: string,
  update: (user: StoredUser) => string,
): Promise<string> {
  const file = resolve(path);
  return withFileLock(file, async () => {
    await removeLeftoverTempFiles(file);
    const directory = await loadDirectory(file, "local", operation);
    const user = directory.users.get(account);
    if (!user) throw new ProviderError("local", operation, `user "${account}" does not exist in ${file}`);
    if (!user.enabled) throw new ProviderError("local", operation, `user "${account}" is disabled`);
    const id = update(user);
    await writeFileAtomic(file, serializeDirectory(directory));
    return id;
  });
}
