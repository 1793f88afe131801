/**
 * Starts a throwaway OpenLDAP server for tests: a temp directory with its own cn=config (made with
 * `slapadd -n 0`, no debconf, no system service), an mdb database for dc=example,dc=com with the memberof
 * and refint overlays, a base tree loaded with `slapadd -n 1`, and slapd in the foreground (`-d 0`) as a
 * child process on free loopback ports. Optionally with TLS (a CA and a server certificate made with
 * openssl) for StartTLS and ldaps:// tests.
 */
import { execFile } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Client } from "ldapts";
import { spawnServer } from "./server-process.ts";
import type { ProviderConfig } from "../../src/model/access.ts";
import type { Provider, ProviderContext } from "../../src/providers/types.ts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import { findFreePort } from "./loopback.ts";

const run = promisify(execFile);

export const SLAPD = "/usr/sbin/slapd";
export const SLAPADD = "/usr/sbin/slapadd";
export const BASE_DN = "dc=example,dc=com";
export const ADMIN_DN = "cn=admin,dc=example,dc=com";
/**
 * The account gatehouse binds as in tests: not the rootdn, so the size limit applies to it (1,000 entries
 * per search, unlimited in total when paged), as it would for a service account in production.
 */
export const SERVICE_DN = "cn=gatehouse,dc=example,dc=com";
export const SIZE_LIMIT = 1_000;
/** Value refint writes when it removes the last member of a group; gatehouse uses the same placeholder. */
export const EMPTY_MEMBER_DN = "cn=empty-membership-placeholder,dc=example,dc=com";

export interface SlapdOptions {
  /** Also listen on ldaps:// and allow StartTLS, with a certificate signed by a fresh test CA. */
  readonly tls?: boolean;
  /** Extra LDIF loaded with `slapadd -n 1` after the base tree. */
  readonly ldif?: string;
  /**
   * Also load the syncprov overlay (as a replication provider would), so the suffix entry carries
   * contextCSN, the newest change sequence number of the whole database.
   */
  readonly syncprov?: boolean;
  /**
   * A contextCSN written on the suffix entry by slapadd, without syncprov to move it: a database whose
   * syncprov overlay was switched off (or that was restored) keeps such a value, which no change updates.
   */
  readonly contextCsn?: string;
  /**
   * false: no refint overlay, and memberof without its own referential integrity (olcMemberOfRefInt,
   * which also rewrites member values on a rename): a server where member and manager values keep the
   * DN an entry had. Default true.
   */
  readonly refint?: boolean;
  /**
   * Turn on `olcLastBind` on the database: slapd records each successful simple bind of an entry in its
   * `pwdLastSuccess` operational attribute (OpenLDAP 2.5's built-in lastbind).
   */
  readonly lastBind?: boolean;
  /**
   * Load the ppolicy overlay (OpenLDAP's password policy) with a default policy: an entry whose
   * `pwdAccountLockedTime` is `000001010000Z` is locked by an administrator and cannot bind.
   */
  readonly ppolicy?: boolean;
}

export interface Slapd {
  readonly url: string;
  /** Set when started with `tls`. */
  readonly ldapsUrl?: string;
  /** PEM file of the CA that signed the server certificate (with `tls`). */
  readonly caFile?: string;
  readonly dir: string;
  /** The service account gatehouse binds as (not the rootdn). */
  readonly bindDn: string;
  /** Password of both the rootdn and the service account. */
  readonly password: string;
  readonly baseDn: string;
  /** Runs `ldapmodify` (or `ldapadd` with `add`) against the server as the admin. */
  ldapmodify(ldif: string, options?: { add?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

const BASE_TREE = `dn: ${BASE_DN}
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,${BASE_DN}
objectClass: organizationalUnit
ou: people

dn: ou=groups,${BASE_DN}
objectClass: organizationalUnit
ou: groups

dn: ou=disabled,${BASE_DN}
objectClass: organizationalUnit
ou: disabled
`;

function serviceAccount(password: string): string {
  return `
dn: ${SERVICE_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: gatehouse
userPassword: ${password}
`;
}

/** The syncprov overlay, `index`th on the database (after memberof, and refint when loaded). */
const syncprovOverlay = (index: number): string => `
dn: olcOverlay={${String(index)}}syncprov,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcSyncProvConfig
olcOverlay: {${String(index)}}syncprov
`;

/** The ppolicy overlay, `index`th on the database: binds of administratively locked entries fail. */
const ppolicyOverlay = (index: number): string => `
dn: olcOverlay={${String(index)}}ppolicy,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {${String(index)}}ppolicy
olcPPolicyDefault: ${PPOLICY_DN}
`;

/** The default password policy ppolicy applies (without one it checks no lock). */
const PPOLICY_DN = `cn=default,${BASE_DN}`;
const PPOLICY_ENTRY = `
dn: ${PPOLICY_DN}
objectClass: organizationalRole
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
`;

const REFINT_OVERLAY = `
dn: olcOverlay={1}refint,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcRefintConfig
olcOverlay: {1}refint
olcRefintAttribute: member
olcRefintAttribute: uniqueMember
olcRefintAttribute: manager
olcRefintNothing: ${EMPTY_MEMBER_DN}
`;

function configLdif(dir: string, password: string, options: SlapdOptions): string {
  const tls = options.tls ?? false;
  const syncprov = options.syncprov ?? false;
  const refint = options.refint ?? true;
  const lastBind = options.lastBind ?? false;
  const ppolicy = options.ppolicy ?? false;
  // Overlays after memberof ({0}), each numbered in turn.
  const overlays = [
    ...(refint ? [(i: number) => REFINT_OVERLAY.replaceAll("{1}refint", `{${String(i)}}refint`)] : []),
    ...(syncprov ? [syncprovOverlay] : []),
    ...(ppolicy ? [ppolicyOverlay] : []),
  ].map((overlay, i) => overlay(i + 1));
  const tlsLines = tls
    ? [
        `olcTLSCACertificateFile: ${join(dir, "ca.pem")}`,
        `olcTLSCertificateFile: ${join(dir, "server.pem")}`,
        `olcTLSCertificateKeyFile: ${join(dir, "server.key")}`,
      ]
    : [];
  const schemas = ["core", "cosine", "nis", "inetorgperson"]
    .map((s) => `include: file:///etc/ldap/schema/${s}.ldif`)
    .join("\n");
  return `dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: ${join(dir, "slapd.pid")}
${tlsLines.join("\n")}

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: memberof
olcModuleLoad: refint${syncprov ? "\nolcModuleLoad: syncprov" : ""}${ppolicy ? "\nolcModuleLoad: ppolicy" : ""}

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

${schemas}

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcDbDirectory: ${join(dir, "data")}
olcSuffix: ${BASE_DN}
olcRootDN: ${ADMIN_DN}
olcRootPW: ${password}
olcDbMaxSize: 1073741824
olcDbIndex: objectClass eq
olcDbIndex: uid,cn,member,uniqueMember,memberUid eq
olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {1}to * by dn.exact="${SERVICE_DN}" manage by * read
olcLimits: dn.exact="${SERVICE_DN}" size.soft=${SIZE_LIMIT} size.hard=${SIZE_LIMIT} size.prtotal=unlimited${lastBind ? "\nolcLastBind: TRUE" : ""}

dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {0}memberof
olcMemberOfRefInt: ${refint ? "TRUE" : "FALSE"}
${overlays.join("")}`;
}

/** A port that was free a moment ago on 127.0.0.1. */
export { findFreePort };

/** A test CA (ca.pem) and a server certificate for 127.0.0.1/localhost (server.pem, server.key) in `dir`. */
export async function makeCertificates(dir: string): Promise<void> {
  const ssl = async (args: string[]): Promise<void> => {
    await run("openssl", args, { cwd: dir, timeout: 30_000 });
  };
  await ssl(
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=gatehouse test CA"].concat([
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
    ]),
  );
  await writeFile(
    join(dir, "server.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
  );
  await ssl([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=localhost",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
  ]);
  await ssl(
    ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"].concat([
      "-days",
      "2",
      "-extfile",
      "server.ext",
      "-out",
      "server.pem",
    ]),
  );
}

/**
 * Waits until the server `child` (called `name` in errors) accepts the admin's bind at `url`, polling
 * every `pollMs` for at most `timeoutMs`; fails at once when it exits. Shared by the slapd and 389 harnesses.
 */
export async function waitForBind(
  url: string,
  password: string,
  server: { readonly child: ChildProcess; readonly output: () => string },
  { name, timeoutMs, pollMs }: { name: string; timeoutMs: number; pollMs: number },
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  while (performance.now() < deadline) {
    if (server.child.exitCode !== null)
      throw new Error(`${name} exited with ${String(server.child.exitCode)}:\n${server.output()}`);
    const client = new Client({ url, connectTimeout: 500, timeout: 1_000 });
    try {
      await client.bind(ADMIN_DN, password);
      await client.unbind();
      return;
    } catch (error) {
      last = error;
      await client.unbind().catch(() => undefined);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  throw new Error(
    `${name} did not accept a bind within ${String(timeoutMs / 1000)} s: ${String(last)}\n${server.output()}`,
    { cause: last },
  );
}

export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  for (const binary of [SLAPD, SLAPADD]) {
    if (!existsSync(binary)) {
      throw new Error(
        `${binary} is missing: install the Debian packages slapd and ldap-utils (see scripts/test.sh)`,
      );
    }
  }
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-slapd-"));
  const password = `pw-${Math.random().toString(36).slice(2)}-S3cret`;
  const tls = options.tls ?? false;
  await mkdir(join(dir, "slapd.d"));
  await mkdir(join(dir, "data"));
  if (tls) await makeCertificates(dir);
  await writeFile(join(dir, "config.ldif"), configLdif(dir, password, options));
  await writeFile(
    join(dir, "base.ldif"),
    (options.contextCsn === undefined
      ? BASE_TREE
      : BASE_TREE.replace("o: Example\n", `o: Example\ncontextCSN: ${options.contextCsn}\n`)) +
      serviceAccount(password) +
      (options.ppolicy === true ? PPOLICY_ENTRY : "") +
      (options.ldif ? `\n${options.ldif}` : ""),
  );
  const confDir = join(dir, "slapd.d");
  await run(SLAPADD, ["-n", "0", "-F", confDir, "-l", join(dir, "config.ldif")], { timeout: 30_000 });
  await run(SLAPADD, ["-q", "-n", "1", "-F", confDir, "-l", join(dir, "base.ldif")], { timeout: 120_000 });

  // A port found free can be taken by another process before slapd binds it (slapd then exits at
  // once): try again on new ports a few times.
  const listenOn = async (): Promise<{ url: string; ldapsUrl?: string; stop: () => Promise<void> }> => {
    for (let attempt = 1; ; attempt++) {
      const port = await findFreePort();
      const url = `ldap://127.0.0.1:${port}`;
      const tlsPort = tls ? await findFreePort() : undefined;
      const ldapsUrl = tlsPort === undefined ? undefined : `ldaps://127.0.0.1:${tlsPort}`;
      const listen = [`${url}/`, ...(ldapsUrl ? [`${ldapsUrl}/`] : [])].join(" ");
      const server = spawnServer(SLAPD, ["-F", confDir, "-h", listen, "-d", "0"], dir, 5_000);
      try {
        await waitForBind(url, password, server, { name: "slapd", timeoutMs: 10_000, pollMs: 50 });
        return { url, ...(ldapsUrl ? { ldapsUrl } : {}), stop: server.stop };
      } catch (error) {
        await server.stop();
        if (attempt >= 3 || server.child.exitCode === null) throw error;
      }
    }
  };
  const { url, ldapsUrl, stop } = await listenOn();

  const ldapmodify = ldapmodifyAs(dir, url, password);

  return {
    url,
    ...(ldapsUrl ? { ldapsUrl } : {}),
    ...(tls ? { caFile: join(dir, "ca.pem") } : {}),
    dir,
    bindDn: SERVICE_DN,
    password,
    baseDn: BASE_DN,
    ldapmodify,
    stop,
  };
}

/** Builds a ProviderConfig for an `ldap` provider pointing at this server. */
export function ldapConfig(
  server: Pick<Slapd, "url" | "baseDn" | "bindDn">,
  settings: Readonly<Record<string, unknown>> = {},
  options: { nesting?: boolean; name?: string } = {},
): ProviderConfig {
  return {
    name: options.name ?? "ldap",
    type: "ldap",
    mode: "authoritative",
    nesting: options.nesting ?? true,
    settings: {
      url: server.url,
      baseDn: server.baseDn,
      bindDn: server.bindDn,
      passwordEnv: PASSWORD_ENV,
      ...settings,
    },
    source: { file: "access/gatehouse.yaml", line: 3, column: 3 },
  };
}

export const PASSWORD_ENV = "GATEHOUSE_TEST_LDAP_PASSWORD";

/**
 * The settings lines (under the provider's name in gatehouse.yaml) of an authoritative `ldap` provider on
 * this server: OpenLDAP, native nesting, groupOfNames with the placeholder, leavers moved to ou=disabled.
 * `disable` replaces the move (a flow mapping, e.g. 389's `{ method: attribute, attribute: nsAccountLock,
 * value: "true" }`); `extra` is appended as it is (indented lines).
 */
export function ldapProviderYaml(
  server: Pick<Slapd, "url" | "baseDn" | "bindDn">,
  options: {
    people?: string | undefined;
    groups?: string | undefined;
    disable?: string | undefined;
    extra?: string | undefined;
  } = {},
): string {
  return `    type: ldap
    mode: authoritative
    nesting: true
    flavour: openldap
    url: ${server.url}
    bindDn: ${server.bindDn}
    passwordEnv: ${PASSWORD_ENV}
    baseDn: ${server.baseDn}
    people: ${options.people ?? "{ ou: ou=people, objectClasses: [inetOrgPerson] }"}
    groups: ${options.groups ?? `{ ou: ou=groups, objectClass: groupOfNames, emptyMember: "${EMPTY_MEMBER_DN}" }`}
    disable: ${options.disable ?? "{ method: move, ou: ou=disabled }"}
${options.extra ?? ""}`;
}

const CONTEXT_NOW = Date.parse("2026-01-15T12:00:00Z");

/** This host's clock as ldapContext gives it: an hour ahead of the real one (see there). */
export function hostClock(): number {
  return Date.now() + 3_600_000;
}

/**
 * A provider context whose environment holds the server's admin password. The plan's instant is fixed;
 * this host's clock (what refint's lag and the 2 minutes a read is reused for are measured on) runs an
 * hour ahead of the real one, as if the directory a test loaded had been written well before refint's
 * lag began: tests of refint's lag bring their own clocks.
 */
export function ldapContext(password: string, log: string[] = []): ProviderContext {
  return {
    env: { [PASSWORD_ENV]: password },
    cwd: process.cwd(),
    now: () => new Date(CONTEXT_NOW),
    clock: hostClock,
    log: (line) => log.push(line),
  };
}

/**
 * The clocks of successive runs of gatehouse an hour apart (an hourly reconcile), from ldapContext's
 * instant: past refint's lag (entries a run left unsettled may settle), within a read cache's 24 hours.
 */
export function hourlyRuns(): () => Pick<ProviderContext, "now" | "clock"> {
  let at = CONTEXT_NOW;
  return () => {
    at += 3_600_000;
    const now = at;
    return { now: () => new Date(now), clock: () => now };
  };
}

/** An entry a rootSearch found: its DN and each attribute's values, sorted ([] when it has none). */
export interface RawEntry {
  readonly dn: string;
  readonly values: (attribute: string) => string[];
}

/** Searches the subtree at `base` straight on the server as the rootdn, bypassing gatehouse. */
export async function rootSearch(
  server: Pick<Slapd, "url" | "password">,
  base: string,
  filter: string,
  attributes: string[],
): Promise<RawEntry[]> {
  const client = new Client({ url: server.url, timeout: 10_000 });
  try {
    await client.bind(ADMIN_DN, server.password);
    const { searchEntries } = await client.search(base, { scope: "sub", filter, attributes });
    return searchEntries.map((e) => ({
      dn: e.dn,
      values: (attribute: string): string[] => {
        const v = e[attribute];
        return (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String).sort();
      },
    }));
  } finally {
    await client.unbind();
  }
}

/** Reads one attribute straight from the server as the rootdn, bypassing gatehouse. */
export async function rawValues(
  server: Pick<Slapd, "url" | "password">,
  dn: string,
  attribute: string,
): Promise<string[]> {
  const client = new Client({ url: server.url, timeout: 10_000 });
  try {
    await client.bind(ADMIN_DN, server.password);
    const { searchEntries } = await client.search(dn, { scope: "base", attributes: [attribute] });
    const value = searchEntries[0]?.[attribute] ?? [];
    return (Array.isArray(value) ? value : [value]).map(String);
  } finally {
    await client.unbind();
  }
}

/**
 * One slapd with an LDAP provider on it at a time, for provider tests: `start` in a test (the provider
 * with ldapConfig's settings and `settings` over them), `stop` in afterEach.
 */
export function slapdWithProvider(): {
  readonly start: (
    options?: SlapdOptions,
    settings?: Readonly<Record<string, unknown>>,
  ) => Promise<{ server: Slapd; provider: Provider }>;
  readonly stop: () => Promise<void>;
} {
  let open: { server: Slapd; provider: Provider } | undefined;
  return {
    start: async (options = {}, settings = {}) => {
      const server = await startSlapd(options);
      open = {
        server,
        provider: createLdapProvider(ldapConfig(server, settings), ldapContext(server.password)),
      };
      return open;
    },
    stop: async () => {
      const started = open;
      open = undefined;
      await started?.provider.close();
      await started?.server.stop();
    },
  };
}

/**
 * `ldapmodify` against `url` as the admin (the server's rootdn), with LDIF written to a file in `dir`;
 * `add`: entries without a changetype are added. The password goes through a file (-y), never the
 * command line.
 */
export function ldapmodifyAs(
  dir: string,
  url: string,
  password: string,
): (ldif: string, opts?: { add?: boolean }) => Promise<void> {
  return async (ldif, opts = {}) => {
    const file = join(dir, `change-${Math.random().toString(36).slice(2)}.ldif`);
    await writeFile(file, ldif);
    const pwFile = join(dir, "admin.pw");
    await writeFile(pwFile, password, { mode: 0o600 });
    const args = [
      "-x",
      "-H",
      url,
      "-D",
      ADMIN_DN,
      "-y",
      pwFile,
      "-f",
      file,
      ...(opts.add === true ? ["-a"] : []),
    ];
    await run("ldapmodify", args, { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  };
}
