/**
 * A directory whose connection is reset (RST) while a request is on it: slapd killed under load, or a
 * load balancer in front of it dropping the connection. ldapts rejects the request with
 * "Socket error. Message type: …\nread ECONNRESET" (no `code`), which must read as the server being
 * unreachable: transient (retried, counted toward apply giving up on the system) and on one line.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProviderError } from "../../src/errors.ts";
import type { Change } from "../../src/plan/types.ts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import { listenOnLoopback } from "../harness/loopback.ts";
import { BASE_DN, SERVICE_DN, ldapConfig, ldapContext } from "../harness/slapd.ts";

const signal = (): AbortSignal => AbortSignal.timeout(30_000);

describe("ldap provider on a connection reset mid-request", () => {
  let server: Server;
  let url: string;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Accepts the connection, then resets it as soon as the client sends its first request (the bind).
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.once("data", () => socket.resetAndDestroy());
    });
    url = `ldap://127.0.0.1:${String(await listenOnLoopback(server))}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const provider = () =>
    createLdapProvider(
      ldapConfig({ url, baseDn: BASE_DN, bindDn: SERVICE_DN }),
      ldapContext("pw-reset-S3cret"),
    );

  it("reports a read as the server unreachable, transient, on one line", async () => {
    const ldap = provider();
    const error: unknown = await ldap.read(signal()).then(
      () => undefined,
      (e: unknown) => e,
    );
    await ldap.close();
    expect(error).toBeInstanceOf(ProviderError);
    const failure = error as ProviderError;
    expect(failure.message).toContain(`cannot reach ${url}`);
    expect(failure.message).toContain("ECONNRESET");
    expect(failure.message).not.toContain("\n");
    expect(failure.isTransient).toBe(true);
  });

  it("fails a write as transient, on one line, so apply retries it and gives up on the system", async () => {
    const ldap = provider();
    const change = {
      id: "ldap:membership/vpn/ann",
      provider: "ldap",
      reason: "removed-from-config",
      risk: "narrows",
      kind: "membership",
      action: "remove",
      group: "vpn",
      member: "ann",
      memberKind: "user",
    } as Change;
    const [outcome] = await ldap.apply([change], signal());
    await ldap.close();
    expect(outcome?.status).toBe("failed");
    if (outcome?.status !== "failed") return;
    expect(outcome.error.message).toContain(`cannot reach ${url}`);
    expect(outcome.error.message).not.toContain("\n");
    expect(outcome.error.isTransient).toBe(true);
  });
});
