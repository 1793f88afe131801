/**
 * Who is who on GitHub: a person's login comes from `accounts.github` (or `accounts.<github provider name>`),
 * and the login's numeric account id from the pin file. A review is matched by numeric id, so a login that
 * was renamed away or re-registered by someone else never approves as the person it used to name.
 */
import type { AccessModel, User } from "../model/access.ts";
import { ConfigError } from "../errors.ts";

export const normalizeLogin = (login: string): string => login.toLowerCase();

/** The person's GitHub login, or undefined when the files name none. */
export function githubLoginOf(model: AccessModel, user: User): string | undefined {
  const direct = user.accounts["github"];
  if (direct !== undefined) return direct;
  for (const provider of model.config.providers) {
    if (provider.type !== "github") continue;
    const named = user.accounts[provider.name];
    if (named !== undefined) return named;
  }
  return undefined;
}

/**
 * The person an admin entry names: a user id, or else the login in some user's accounts (the schema allows
 * both). An entry matching nobody names a bare GitHub login.
 */
export function resolveAdmin(model: AccessModel, entry: string): { userId?: string; login?: string } {
  const user = model.users.get(entry);
  if (user) {
    const login = githubLoginOf(model, user);
    return login === undefined ? { userId: user.id } : { userId: user.id, login };
  }
  for (const u of model.users.values()) {
    const login = githubLoginOf(model, u);
    if (login !== undefined && normalizeLogin(login) === normalizeLogin(entry))
      return { userId: u.id, login };
  }
  return { login: entry };
}

/**
 * Parses a pin file, `{ "version": 1, "accounts": { "<login>": <numeric id> } }` (the github provider writes
 * the same format), into lower-cased login → id.
 */
export function parsePins(text: string, file: string): Map<string, number> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON`, [], { cause: error });
  }
  const accounts: unknown =
    typeof data === "object" && data !== null && "accounts" in data ? data.accounts : undefined;
  if (typeof accounts !== "object" || accounts === null || Array.isArray(accounts))
    throw new ConfigError(`${file} must hold { "version": 1, "accounts": { "<login>": <numeric id> } }`);
  const pins = new Map<string, number>();
  for (const [login, id] of Object.entries(accounts)) {
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0)
      throw new ConfigError(`${file}: accounts.${login} must be a positive whole number (a GitHub user id)`);
    pins.set(normalizeLogin(login), id);
  }
  return pins;
}
