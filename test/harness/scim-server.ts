/**
 * A real SCIM 2.0 service provider for tests: Better Auth with its SCIM plugin and in-memory adapter,
 * served in-process on 127.0.0.1 at a free port. Nobody on the team wrote it, so the SCIM connector is
 * tested against somebody else's reading of RFC 7643/7644.
 */
import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { toNodeHandler } from "better-auth/node";
import { scim } from "@better-auth/scim";
import type { ProviderConfig } from "../../src/model/access.ts";
import type { ProviderContext } from "../../src/providers/types.ts";
import { listenOnLoopback } from "./loopback.ts";

export interface ScimServer {
  /** Base URL of the SCIM endpoints, e.g. http://127.0.0.1:40123/api/auth/scim/v2 */
  readonly baseUrl: string;
  /** A valid bearer token for the one configured connection. */
  readonly token: string;
  close(): Promise<void>;
}

/** The memory adapter needs every model up front as an empty table. */
const MODELS = [
  "user",
  "session",
  "account",
  "verification",
  "scimConnectionBinding",
  "scimIdentityTombstone",
  "scimSubject",
  "scimUser",
  "scimProjectionGrant",
  "scimGroup",
  "scimGroupMember",
] as const;

export async function startScimServer(): Promise<ScimServer> {
  const token = `scim-${randomBytes(24).toString("hex")}`;
  const db: Record<string, unknown[]> = {};
  for (const model of MODELS) db[model] = [];

  const server = createServer();
  const port = await listenOnLoopback(server);
  const origin = `http://127.0.0.1:${port}`;

  const auth = betterAuth({
    baseURL: origin,
    secret: randomBytes(32).toString("hex"),
    database: memoryAdapter(db),
    logger: { disabled: true },
    telemetry: { enabled: false },
    plugins: [
      // @ts-expect-error -- @better-auth/scim 1.7.5's schema typings clash with ours under exactOptionalPropertyTypes; the plugin works
      scim({
        connections: [{ id: "gatehouse-test", credentials: [{ type: "bearer", id: "test", token }] }],
      }),
    ],
  });
  const handle = toNodeHandler(auth);
  server.on("request", (req, res) => {
    void handle(req, res);
  });

  return {
    baseUrl: `${origin}/api/auth/scim/v2`,
    token,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => {
          if (err) reject(err);
          else resolve();
        });
      }),
  };
}

/** A ProviderConfig for a scim provider at `baseUrl`, as gatehouse.yaml would give it. */
export function scimProviderConfig(
  baseUrl: string,
  settings: Readonly<Record<string, unknown>> = {},
  name = "saas",
): ProviderConfig {
  return {
    name,
    type: "scim",
    mode: "authoritative",
    nesting: false,
    settings: { baseUrl, tokenEnv: "SCIM_TOKEN", ...settings },
    source: { file: "access/gatehouse.yaml", line: 1, column: 1 },
  };
}

/** A ProviderContext whose environment holds `token` as SCIM_TOKEN; log lines are collected. */
export function scimContext(token: string, log: string[] = []): ProviderContext {
  return {
    env: { SCIM_TOKEN: token },
    cwd: process.cwd(),
    now: () => new Date(),
    log: (line) => log.push(line),
  };
}
