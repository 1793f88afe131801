/**
 * A second real SCIM 2.0 service provider for tests: SCIMMY (its schemas, filters, PATCH, list responses
 * and errors) served by scimmy-routers over express, on 127.0.0.1 at a free port. Neither is ours: the
 * SCIM connector is tested against a reading of RFC 7643/7644 other than Better Auth's
 * (test/harness/scim-server.ts). What SCIMMY leaves to the application is the store; this one keeps the
 * resources in memory, as an application's database would: ids, `meta.created` and `meta.lastModified`,
 * a unique `userName` and `displayName` (409 uniqueness), and a deleted user taken out of its groups.
 *
 * SCIMMY declares its resource types once per process (a module of its own state): the handlers act on
 * the store of the server started last, so a test file runs one server at a time.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";
import { listenOnLoopback } from "./loopback.ts";
import type { ScimServer } from "./scim-server.ts";

type Resource = Record<string, unknown> & { id: string; meta: { created: Date; lastModified: Date } };

interface Store {
  readonly users: Map<string, Resource>;
  readonly groups: Map<string, Resource>;
}

let current: Store | undefined;

/** A SCIM error SCIMMY answers with; no `scimType` unless given (SCIMMY's own errors pass null). */
function scimError(status: number, message: string, scimType?: string): Error {
  return new SCIMMY.Types.Error(status, scimType ?? (null as unknown as string), message);
}

function store(): Store {
  if (current === undefined) throw scimError(503, "no SCIMMY test server is running");
  return current;
}

/** What SCIMMY hands a handler: the id asked for (if any) and the request's filter. */
interface Asked {
  readonly id?: string;
  readonly filter?: { match(values: unknown[]): unknown[] };
}

function asked(resource: unknown): Asked {
  return resource as Asked;
}

/** Egress: one resource by id (404 when gone), else every one the filter matches (SCIMMY pages them). */
function egress(table: (s: Store) => Map<string, Resource>) {
  return (resource: unknown): Resource | Resource[] => {
    const { id, filter } = asked(resource);
    const rows = table(store());
    if (id !== undefined) {
      const found = rows.get(id);
      if (found === undefined) throw scimError(404, `Resource ${id} not found`);
      return found;
    }
    const all = [...rows.values()];
    return filter === undefined ? all : (filter.match(all) as Resource[]);
  };
}

/** Ingress: create (a new id) or replace (the id asked for), keeping `unique` unique, case-insensitively. */
function ingress(table: (s: Store) => Map<string, Resource>, unique: string) {
  return (resource: unknown, instance: unknown): Resource => {
    const { id } = asked(resource);
    const rows = table(store());
    const data = { ...(instance as Record<string, unknown>) };
    delete data["schemas"];
    delete data["meta"];
    const text = (value: unknown): string => (typeof value === "string" ? value.toLowerCase() : "");
    const key = text(data[unique]);
    for (const row of rows.values())
      if (row.id !== id && key !== "" && text(row[unique]) === key)
        throw scimError(409, `${unique} "${key}" is already taken`, "uniqueness");
    const now = new Date();
    if (id === undefined) {
      const created: Resource = { ...data, id: randomUUID(), meta: { created: now, lastModified: now } };
      rows.set(created.id, created);
      return created;
    }
    const before = rows.get(id);
    if (before === undefined) throw scimError(404, `Resource ${id} not found`);
    const replaced: Resource = { ...data, id, meta: { created: before.meta.created, lastModified: now } };
    rows.set(id, replaced);
    return replaced;
  };
}

let declared = false;

function declareOnce(): void {
  if (declared) return;
  declared = true;
  // With the enterprise extension (department, manager, employeeNumber), as most applications declare it.
  type UserIngress = Parameters<typeof SCIMMY.Resources.User.ingress>[0];
  type UserEgress = Parameters<typeof SCIMMY.Resources.User.egress>[0];
  type GroupIngress = Parameters<typeof SCIMMY.Resources.Group.ingress>[0];
  type GroupEgress = Parameters<typeof SCIMMY.Resources.Group.egress>[0];
  // Rows of the store, typed loosely here: SCIMMY's schemas check and shape them, in and out.
  SCIMMY.Resources.declare(SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false))
    .ingress(ingress((s) => s.users, "userName") as unknown as UserIngress)
    .egress(egress((s) => s.users) as unknown as UserEgress)
    .degress((resource) => {
      const { id } = asked(resource);
      const s = store();
      if (id === undefined || !s.users.delete(id)) throw scimError(404, `Resource ${String(id)} not found`);
      // As an application does: a deleted user is no longer anyone's member.
      for (const [gid, group] of s.groups) {
        const members = (group["members"] as { value?: string }[] | undefined) ?? [];
        if (members.some((m) => m.value === id))
          s.groups.set(gid, {
            ...group,
            members: members.filter((m) => m.value !== id),
            meta: { ...group.meta, lastModified: new Date() },
          });
      }
    });
  SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .ingress(ingress((s) => s.groups, "displayName") as unknown as GroupIngress)
    .egress(egress((s) => s.groups) as unknown as GroupEgress)
    .degress((resource) => {
      const { id } = asked(resource);
      if (id === undefined || !store().groups.delete(id))
        throw scimError(404, `Resource ${String(id)} not found`);
    });
  SCIMMY.Config.set({ patch: true, filter: true, sort: true });
}

export async function startScimmyServer(): Promise<ScimServer> {
  declareOnce();
  const token = `scimmy-${randomBytes(24).toString("hex")}`;
  current = { users: new Map(), groups: new Map() };
  const app = express();
  app.use(
    "/scim/v2",
    new SCIMMYRouters({
      type: "bearer",
      docUri: "https://example.com/scim-auth",
      handler: (request) => {
        if (request.header("authorization") !== `Bearer ${token}`) throw new Error("not authenticated");
        return "gatehouse";
      },
    }),
  );
  const server = createServer(app);
  const port = await listenOnLoopback(server);
  return {
    baseUrl: `http://127.0.0.1:${String(port)}/scim/v2`,
    token,
    close: () =>
      new Promise<void>((resolve, reject) => {
        current = undefined;
        server.closeAllConnections();
        server.close((err) => {
          if (err) reject(err);
          else resolve();
        });
      }),
  };
}
