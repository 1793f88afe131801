/**
 * Starts a throwaway 389 Directory Server for tests, as slapd.ts does for OpenLDAP: everything under one
 * temp directory, free loopback ports, no systemd, stopped and removed after.
 *
 * `dscreate` (Debian's 389-ds-base) installs into /etc/dirsrv, /var/lib/dirsrv and /run and starts the
 * server with systemctl. Its "prefix install" (what `dscreate ds-root` sets up for non-root users) reads
 * the paths from `$PREFIX/share/dirsrv/inf/defaults.inf` instead: the helper writes that file with every
 * path under the temp directory and `with_systemd = 0`, creates the instance with `start = False`, turns on
 * the memberOf and referential integrity plugins in its dse.ldif (both off by default, as on a fresh 389),
 * then runs `ns-slapd -d 0` in the foreground as a child process. The rootdn is cn=admin,dc=example,dc=com,
 * as on the slapd helper's server, so rootSearch and rawValues work on both.
 */
import { execFile } from "node:child_process";
import { constants, existsSync, readFileSync } from "node:fs";
import { access, cp, mkdir, readdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Client } from "ldapts";
import { findFreePort } from "./loopback.ts";
import { spawnServer } from "./server-process.ts";
import { ADMIN_DN, BASE_DN, ldapmodifyAs, SERVICE_DN, SIZE_LIMIT, waitForBind, type Slapd } from "./slapd.ts";

const run = promisify(execFile);

export const NS_SLAPD = "/usr/sbin/ns-slapd";
export const DSCREATE = "/usr/sbin/dscreate";
const DEFAULTS_INF = "/usr/share/dirsrv/inf/defaults.inf";
const INSTANCE = "gh";

/** The 389 lock gatehouse sets on a leaver's entry (the LDAP README's 389 setting). */
export const DS389_DISABLE = { method: "attribute", attribute: "nsAccountLock", value: "true" } as const;

/** Who runs the server: whoever runs the tests (root in CI), so it can use the temp folder. */
interface Owner {
  readonly user: string;
  readonly group: string;
}
async function currentOwner(): Promise<Owner> {
  const { stdout } = await run("id", ["-gn"]);
  return { user: userInfo().username, group: stdout.trim() };
}

/** defaults.inf with every installation path under `root` and systemd and SELinux off. */
function prefixDefaults(text: string, root: string, owner: Owner): string {
  const fixed: Record<string, string> = {
    with_systemd: "0",
    with_selinux: "no",
    prefix: root,
    bin_dir: "/usr/bin",
    sbin_dir: "/usr/sbin",
    data_dir: "/usr/share",
    system_schema_dir: "/usr/share/dirsrv/schema",
    inst_dir: `${root}/lib/slapd-{instance_name}`,
    user: owner.user,
    group: owner.group,
  };
  return text
    .split("\n")
    .map((line) => {
      const match = /^(\w+)\s*=\s*(.*)$/.exec(line);
      if (!match) return line;
      const [, key = "", value = ""] = match;
      if (key in fixed) return `${key} = ${fixed[key] ?? ""}`;
      // lib_dir and plugin_dir stay where the package put the plugins.
      if (key === "lib_dir" || key === "plugin_dir") return line;
      return value.startsWith("/") ? `${key} = ${root}${value}` : line;
    })
    .join("\n");
}

function instanceInf(root: string, owner: Owner, port: number, securePort: number, password: string): string {
  return `[general]
config_version = 2
full_machine_name = localhost
start = False
strict_host_checking = False
selinux = False
systemd = False

[slapd]
instance_name = ${INSTANCE}
port = ${String(port)}
secure_port = ${String(securePort)}
root_dn = ${ADMIN_DN}
root_password = ${password}
self_sign_cert = False
ldapi = ${root}/run/ldapi
user = ${owner.user}
group = ${owner.group}

[backend-userroot]
sample_entries = no
suffix = ${BASE_DN}
create_suffix_entry = True
`;
}

/** dse.ldif with the named plugins' entries switched on. */
function enablePlugins(dse: string, plugins: readonly string[]): string {
  return dse
    .split("\n\n")
    .map((entry) =>
      plugins.some((p) => entry.startsWith(`dn: cn=${p},cn=plugins,cn=config\n`))
        ? entry.replace("nsslapd-pluginEnabled: off", "nsslapd-pluginEnabled: on")
        : entry,
    )
    .join("\n\n");
}

/**
 * The tree the tests use, as on the slapd helper's server, and the service account gatehouse binds as: an
 * ACI gives it every right on the suffix; a size limit of SIZE_LIMIT per search, unlimited when paged
 * (389's nsPagedSizeLimit: -1, without which a paged read stops at nsSizeLimit too).
 */
function baseTree(password: string): string {
  return `dn: ${BASE_DN}
changetype: modify
add: aci
aci: (targetattr="*")(version 3.0; acl "gatehouse service"; allow (all) userdn="ldap:///${SERVICE_DN}";)
-

dn: ou=people,${BASE_DN}
changetype: add
objectClass: organizationalUnit
ou: people

dn: ou=groups,${BASE_DN}
changetype: add
objectClass: organizationalUnit
ou: groups

dn: ou=disabled,${BASE_DN}
changetype: add
objectClass: organizationalUnit
ou: disabled

dn: ${SERVICE_DN}
changetype: add
objectClass: organizationalRole
objectClass: simpleSecurityObject
objectClass: extensibleObject
cn: gatehouse
userPassword: ${password}
nsSizeLimit: ${String(SIZE_LIMIT)}
nsPagedSizeLimit: -1
`;
}

/**
 * Stops an ns-slapd that dscreate left running from `configDir`. dscreate stops the server it started by
 * the pid in its pid file; where lib389 thinks it runs in 389's container image (/data/config/container.inf
 * exists) that file is /data/run/slapd-localhost.pid for every instance, so two instances created at once
 * can each stop the other's server and leave their own running, on the port this one is to use.
 */
async function stopStrays(configDir: string): Promise<void> {
  const strays: number[] = [];
  for (const pid of await readdir("/proc").catch(() => [])) {
    if (!/^\d+$/.test(pid)) continue;
    const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (argv[0] === NS_SLAPD && argv[argv.indexOf("-D") + 1] === configDir) strays.push(Number(pid));
  }
  for (const pid of strays) process.kill(pid, "SIGTERM");
  const deadline = performance.now() + 30_000;
  while (strays.some(isRunning) && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether `pid` is alive: a zombie (a daemon whose parent is a PID 1 that reaps nothing) is not. */
function isRunning(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${String(pid)}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
}

/** The server that answered is the one started from `dir`, not another that holds the port. */
async function checkOwnServer(url: string, password: string, dir: string): Promise<void> {
  const client = new Client({ url, timeout: 5_000 });
  try {
    await client.bind(ADMIN_DN, password);
    const { searchEntries } = await client.search("cn=config", {
      scope: "base",
      attributes: ["nsslapd-certdir"],
    });
    const certDir = String(searchEntries[0]?.["nsslapd-certdir"] ?? "");
    if (!certDir.startsWith(dir)) {
      throw new Error(
        `the 389 server on ${url} is not the one started from ${dir} (its certdir: ${certDir})`,
      );
    }
  } finally {
    await client.unbind();
  }
}

/** A running 389 instance; the same shape as the slapd helper's server. */
export type Ds389 = Slapd;

export async function start389(): Promise<Ds389> {
  for (const binary of [NS_SLAPD, DSCREATE]) {
    if (!existsSync(binary)) {
      throw new Error(`${binary} is missing: install the Debian package 389-ds-base (see scripts/test.sh)`);
    }
  }
  try {
    await access("/etc/dirsrv/config", constants.R_OK);
  } catch {
    // 389-ds-base's postinst makes /etc/dirsrv readable by root and the dirsrv group only.
    throw new Error(
      "/etc/dirsrv/config is not readable: the 389 Directory Server tests run as root (as CI and " +
        "scripts/test.sh do) or as a member of the dirsrv group",
    );
  }
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-389-"));
  try {
    const owner = await currentOwner();
    const password = `pw-${Math.random().toString(36).slice(2)}-S3cret`;
    await mkdir(join(dir, "share/dirsrv/inf"), { recursive: true });
    await mkdir(join(dir, "tmp"));
    await mkdir(join(dir, "run"));
    for (const sub of ["config", "schema"]) {
      await cp(`/etc/dirsrv/${sub}`, join(dir, "etc/dirsrv", sub), { recursive: true });
    }
    await writeFile(
      join(dir, "share/dirsrv/inf/defaults.inf"),
      prefixDefaults(await readFile(DEFAULTS_INF, "utf8"), dir, owner),
    );
    // dscreate starts the server on the port during the installation: a port taken in between fails it.
    for (let attempt = 1; ; attempt++) {
      const port = await findFreePort();
      const inf = join(dir, "instance.inf");
      await writeFile(inf, instanceInf(dir, owner, port, await findFreePort(), password), { mode: 0o600 });
      try {
        await run(DSCREATE, ["from-file", inf], {
          env: { ...process.env, PREFIX: dir },
          timeout: 120_000,
        }).catch((error: unknown) => {
          const out = error as { stdout?: string; stderr?: string };
          throw new Error(`dscreate failed:\n${`${out.stdout ?? ""}${out.stderr ?? ""}`.slice(-4_000)}`, {
            cause: error,
          });
        });
        const configDir = join(dir, `etc/dirsrv/slapd-${INSTANCE}`);
        await stopStrays(configDir);
        const dse = join(configDir, "dse.ldif");
        await writeFile(
          dse,
          enablePlugins(await readFile(dse, "utf8"), [
            "MemberOf Plugin",
            "referential integrity postoperation",
          ]),
        );
        const url = `ldap://127.0.0.1:${String(port)}`;
        const args = ["-D", configDir, "-i", join(dir, "run/ns-slapd.pid"), "-d", "0"];
        const server = spawnServer(NS_SLAPD, args, dir, 10_000);
        try {
          await waitForBind(url, password, server, { name: "ns-slapd", timeoutMs: 30_000, pollMs: 100 });
          await checkOwnServer(url, password, dir);
        } catch (error) {
          await server.stop();
          throw error;
        }
        return await ready(dir, url, password, server.stop);
      } catch (error) {
        if (attempt >= 2) throw error;
        await rm(join(dir, `etc/dirsrv/slapd-${INSTANCE}`), { recursive: true, force: true });
        await rm(join(dir, "var"), { recursive: true, force: true });
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function ready(dir: string, url: string, password: string, stop: () => Promise<void>): Promise<Ds389> {
  const ldapmodify = ldapmodifyAs(dir, url, password);
  try {
    await ldapmodify(baseTree(password));
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, dir, bindDn: SERVICE_DN, password, baseDn: BASE_DN, ldapmodify, stop };
}
