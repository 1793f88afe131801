/** Calls to a SCIM test server made directly, as another admin or an earlier tool would have. */
import { isRecord } from "../../../src/audit/change-shape.ts";
import type { ScimServer } from "../../harness/scim-server.ts";

/** Calls the server directly (not through the proxy), as another admin or an earlier tool would have. */
export async function scim(
  server: ScimServer,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/scim+json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${String(res.status)} ${text}`);
  return text === "" ? undefined : JSON.parse(text);
}

/** Every resource of a list, as records. */
export async function list(server: ScimServer, path: string): Promise<Record<string, unknown>[]> {
  const answer = await scim(server, "GET", path);
  if (!isRecord(answer) || !Array.isArray(answer["Resources"])) throw new Error(`${path}: not a list`);
  return answer["Resources"].filter(isRecord);
}

/** The users whose userName is `userName` (the server's filter). */
export async function usersNamed(server: ScimServer, userName: string): Promise<Record<string, unknown>[]> {
  return list(server, `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
}
