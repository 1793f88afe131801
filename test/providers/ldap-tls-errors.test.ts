/**
 * The LDAP connector's advice on a TLS or bind failure: a server certificate that does not name the
 * url's host is not a caFile problem (AD trial M1: Samba's own certificate names only the DC's FQDN),
 * and a refusal says its operation once (AD trial LOW 4).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server } from "node:tls";
import { promisify } from "node:util";
import { ConfidentialityRequiredError } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProviderError } from "../../src/errors.ts";
import { toProviderError } from "../../src/providers/ldap/error-map.ts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import { ldapConfig, ldapContext } from "../harness/slapd.ts";

const run = promisify(execFile);
let dir: string;
const servers: Server[] = [];

/** A server certificate signed by the test CA in `dir`: `ext` its extensions (a subjectAltName, or none). */
async function serverCert(name: string, cn: string, ext: string): Promise<{ key: string; cert: string }> {
  const ssl = (args: string[]) => run("openssl", args, { cwd: dir, timeout: 30_000 });
  await writeFile(join(dir, `${name}.ext`), `${ext}basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  await ssl([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    `/CN=${cn}`,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
  ]);
  await ssl([
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.pem`,
  ]);
  return {
    key: await readFile(join(dir, `${name}.key`), "utf8"),
    cert: await readFile(join(dir, `${name}.pem`), "utf8"),
  };
}

/** A TLS server on loopback with that certificate (the handshake fails before any LDAP is spoken). */
async function tlsServer(identity: { key: string; cert: string }): Promise<string> {
  const server = createServer(identity, (socket) => socket.end());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `ldaps://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}

async function readError(url: string): Promise<string> {
  const provider = createLdapProvider(
    ldapConfig(
      { url, baseDn: "dc=example,dc=com", bindDn: "cn=admin,dc=example,dc=com" },
      { caFile: join(dir, "ca.pem") },
    ),
    ldapContext("secret"),
  );
  try {
    await provider.read(AbortSignal.timeout(20_000));
    return "read succeeded";
  } catch (error) {
    return error instanceof ProviderError ? error.message : String(error);
  } finally {
    await provider.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gh-ldap-tls-"));
  await run(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=gatehouse test CA",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
    ],
    { cwd: dir, timeout: 30_000 },
  );
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await rm(dir, { recursive: true, force: true });
});

describe("ldap TLS errors", () => {
  it("names the certificate's subjectAltNames when they do not hold the url's host, not caFile", async () => {
    const url = await tlsServer(
      await serverCert("san", "dc1.corp.example", "subjectAltName=DNS:dc1.corp.example,DNS:corp.example\n"),
    );
    const message = await readError(url);
    expect(message).toContain(
      `ldap: connect and bind: TLS with ${url} failed: the host in url, 127.0.0.1, is not a name in the server certificate ` +
        "(subject CN=dc1.corp.example, subjectAltName DNS:dc1.corp.example, DNS:corp.example) (ERR_TLS_CERT_ALTNAME_INVALID); " +
        "the certificate itself is trusted (caFile is not the problem)",
    );
    expect(message).not.toContain("set caFile");
  });

  it("names the subject CN of a certificate without subjectAltName (Samba's own)", async () => {
    const url = await tlsServer(await serverCert("cn-only", "VM.corp.example", ""));
    const message = await readError(url);
    expect(message).toContain(
      "is not a name in the server certificate (subject CN=VM.corp.example, no subjectAltName)",
    );
    expect(message).toContain("give the server a certificate that names 127.0.0.1");
  });

  it("still says set caFile when the chain is not trusted", async () => {
    const url = await tlsServer(await serverCert("ok", "localhost", "subjectAltName=IP:127.0.0.1\n"));
    const provider = createLdapProvider(
      ldapConfig({ url, baseDn: "dc=example,dc=com", bindDn: "cn=admin,dc=example,dc=com" }),
      ldapContext("secret"),
    );
    await expect(provider.read(AbortSignal.timeout(20_000))).rejects.toThrow(
      /set caFile to the CA that signed the server certificate/,
    );
    await provider.close();
  });

  it("says the operation once when the server requires a secure connection", () => {
    const target = { provider: "ad", url: "ldap://127.0.0.1:389", bindDn: "cn=gh", passwordEnv: "PW" };
    const error = toProviderError(new ConfidentialityRequiredError("TLS confidentiality required"), target, {
      operation: "connect and bind",
    });
    expect(error.message).toBe(
      "ad: connect and bind: the server requires a secure connection; use ldaps:// or startTls: true (result code 13: TLS confidentiality required)",
    );
  });
});
