/**
 * Pinned numeric GitHub ids. A login is a name that can change hands: an account can rename itself, and a freed
 * login can be registered by someone else. The first time a login resolves, its numeric id is recorded here;
 * afterwards access is only granted to that login while it still belongs to the same id. Teams are pinned too
 * (slug → team id): a team renamed by hand keeps its id, so the read can tell it is the team gatehouse knew
 * under its former slug, and the plan renames it back rather than delete it (with its repository access).
 */
import { readFile } from "node:fs/promises";
import { ConfigError } from "../../errors.ts";
import { writeFileAtomic } from "../../io/atomic-write.ts";
import { normalizeLogin } from "./map.ts";

export type IdentityVerdict =
  | { readonly kind: "pinned" }
  | { readonly kind: "new" }
  | { readonly kind: "mismatch"; readonly pinnedId: number; readonly actualId: number };

export class IdPins {
  private readonly byLogin = new Map<string, number>();
  /** Team slug → team id; an id has one slug (the one gatehouse last knew the team by). */
  private readonly teamBySlug = new Map<string, number>();
  private dirty = false;
  private loaded = false;

  private readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  async load(): Promise<void> {
    if (this.loaded) return;
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if (typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT") {
        this.loaded = true;
        return;
      }
      throw error;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(
        `${this.path} is not valid JSON; fix or delete it (ids are re-pinned on the next run)`,
        [],
        {
          cause: error,
        },
      );
    }
    const accounts: unknown =
      typeof data === "object" && data !== null && "accounts" in data ? data.accounts : undefined;
    if (typeof accounts !== "object" || accounts === null || Array.isArray(accounts)) {
      throw new ConfigError(
        `${this.path} must hold { "version": 1, "accounts": { "<login>": <numeric id> } }`,
      );
    }
    for (const [login, id] of Object.entries(accounts)) {
      if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0) {
        throw new ConfigError(
          `${this.path}: accounts.${login} must be a positive whole number (a GitHub user id)`,
        );
      }
      this.byLogin.set(normalizeLogin(login), id);
    }
    const teams: unknown =
      typeof data === "object" && data !== null && "teams" in data ? data.teams : undefined;
    if (teams !== undefined && (typeof teams !== "object" || teams === null || Array.isArray(teams))) {
      throw new ConfigError(`${this.path}: teams must map team slugs to numeric team ids`);
    }
    for (const [slug, id] of Object.entries(teams ?? {})) {
      if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0) {
        throw new ConfigError(
          `${this.path}: teams.${slug} must be a positive whole number (a GitHub team id)`,
        );
      }
      this.teamBySlug.set(slug.toLowerCase(), id);
    }
    this.loaded = true;
  }

  pinnedId(login: string): number | undefined {
    return this.byLogin.get(normalizeLogin(login));
  }

  /** The pinned login of an id, if the id is pinned. */
  loginOf(id: number): string | undefined {
    for (const [login, pinned] of this.byLogin) if (pinned === id) return login;
    return undefined;
  }

  /** Every login pinned to an id, sorted: more than one once an account renamed itself. */
  loginsOf(id: number): string[] {
    return [...this.byLogin].flatMap(([login, pinned]) => (pinned === id ? [login] : [])).sort();
  }

  /** Compares a login's current id with its pin; pins it when it has none. */
  verify(login: string, actualId: number): IdentityVerdict {
    const pinnedId = this.pinnedId(login);
    if (pinnedId === undefined) {
      this.byLogin.set(normalizeLogin(login), actualId);
      this.dirty = true;
      return { kind: "new" };
    }
    return pinnedId === actualId ? { kind: "pinned" } : { kind: "mismatch", pinnedId, actualId };
  }

  /** The team id a slug is pinned to, if any. */
  pinnedTeamId(slug: string): number | undefined {
    return this.teamBySlug.get(slug.toLowerCase());
  }

  /** The slug a team id is pinned under, if any. */
  teamSlugOf(id: number): string | undefined {
    for (const [slug, pinned] of this.teamBySlug) if (pinned === id) return slug;
    return undefined;
  }

  /** Pins a team's slug to its id (a new team, or one gatehouse renamed): any other slug of the id goes. */
  pinTeam(slug: string, id: number): void {
    const key = slug.toLowerCase();
    if (this.teamBySlug.get(key) === id && this.teamSlugOf(id) === key) return;
    for (const [other, pinned] of [...this.teamBySlug]) if (pinned === id) this.teamBySlug.delete(other);
    this.teamBySlug.set(key, id);
    this.dirty = true;
  }

  /** Forgets a deleted team. */
  unpinTeam(slug: string): void {
    if (this.teamBySlug.delete(slug.toLowerCase())) this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    const sorted = <T>(map: Map<string, T>): Record<string, T> =>
      Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const accounts = sorted(this.byLogin);
    const teams = this.teamBySlug.size === 0 ? {} : { teams: sorted(this.teamBySlug) };
    await writeFileAtomic(this.path, `${JSON.stringify({ version: 1, accounts, ...teams }, null, 2)}\n`);
    this.dirty = false;
  }
}
