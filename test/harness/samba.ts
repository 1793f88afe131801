/**
 * Starts a throwaway Samba Active Directory domain controller for tests: `samba-tool domain provision` into a
 * temp directory (lo only), our own TLS certificate (simple binds need ldaps://), then `samba -i` in the
 * foreground with only the LDAP service. Samba listens on the fixed ports 389 and 636, so only one test file
 * may use it at a time. Measured here: provisioning about 7 s, ready about 1 s after start.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Client } from "ldapts";
import { makeCertificates } from "./slapd.ts";
import { spawnServer } from "./server-process.ts";

const run = promisify(execFile);

export const SAMBA = "/usr/sbin/samba";
export const SAMBA_TOOL = "/usr/bin/samba-tool";
export const AD_BASE_DN = "DC=example,DC=com";
export const AD_ADMIN_DN = "CN=Administrator,CN=Users,DC=example,DC=com";

export interface SambaDc {
  readonly url: string;
  readonly caFile: string;
  readonly bindDn: string;
  readonly password: string;
  readonly baseDn: string;
  /** Seconds spent in `samba-tool domain provision` and until the first ldaps bind, for the report. */
  readonly timings: { readonly provisionSeconds: number; readonly startSeconds: number };
  /** An admin connection for setting up and inspecting the directory out of band. */
  admin<T>(fn: (client: Client) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

async function isPortOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.setTimeout(500);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      resolve(false);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export async function startSambaDc(): Promise<SambaDc> {
  for (const binary of [SAMBA, SAMBA_TOOL]) {
    if (!existsSync(binary)) {
      throw new Error(`${binary} is missing: install the Debian packages samba-ad-dc and samba-ad-provision`);
    }
  }
  for (const port of [389, 636]) {
    if (await isPortOpen(port)) throw new Error(`port ${port} on 127.0.0.1 is in use; Samba AD needs it`);
  }
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-samba-"));
  const password = `Gh-${Math.random().toString(36).slice(2, 10)}-9aA`;
  const t0 = performance.now();
  await run(
    SAMBA_TOOL,
    [
      "domain",
      "provision",
      "--realm=EXAMPLE.COM",
      "--domain=EXAMPLE",
      "--server-role=dc",
      "--dns-backend=NONE",
    ]
      .concat([`--adminpass=${password}`, `--targetdir=${dir}`, "--option=interfaces=lo"])
      .concat(["--option=bind interfaces only=yes"]),
    { timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const provisionSeconds = (performance.now() - t0) / 1_000;
  await makeCertificates(dir);

  const t1 = performance.now();
  // Its own pid file: another samba on the machine (a service, a second test run in its own network
  // namespace) would otherwise hold /run/samba/samba.pid and stop this one from starting.
  const args = ["-i", "-M", "single", "-s", join(dir, "etc", "smb.conf"), "--option=server services=ldap"]
    .concat([`--option=pid directory=${dir}`])
    .concat([
      `--option=tls keyfile=${join(dir, "server.key")}`,
      `--option=tls certfile=${join(dir, "server.pem")}`,
    ])
    .concat([`--option=tls cafile=${join(dir, "ca.pem")}`]);
  const server = spawnServer(SAMBA, args, dir, 10_000);
  const { child, stop } = server;

  const caFile = join(dir, "ca.pem");
  const ca = await readFile(caFile, "utf8");
  const url = "ldaps://127.0.0.1:636";
  const admin = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ url, timeout: 60_000, connectTimeout: 2_000, tlsOptions: { ca } });
    try {
      await client.bind(AD_ADMIN_DN, password);
      return await fn(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  };

  const deadline = performance.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`samba exited with ${String(child.exitCode)}:\n${server.output()}`);
    }
    try {
      await admin(() => Promise.resolve());
      break;
    } catch (error) {
      if (performance.now() > deadline) {
        await stop();
        throw new Error(
          `samba did not accept an ldaps bind within 60 s: ${String(error)}\n${server.output()}`,
          {
            cause: error,
          },
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const startSeconds = (performance.now() - t1) / 1_000;

  await admin(async (client) => {
    for (const ou of ["People", "Groups"]) {
      await client.add(`OU=${ou},${AD_BASE_DN}`, { objectClass: ["top", "organizationalUnit"], ou });
    }
  });

  return {
    url,
    caFile,
    bindDn: AD_ADMIN_DN,
    password,
    baseDn: AD_BASE_DN,
    timings: { provisionSeconds, startSeconds },
    admin,
    stop,
  };
}
