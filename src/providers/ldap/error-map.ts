/** Maps what ldapts and the socket throw to ProviderErrors that name the problem and never a secret. */
import { ResultCodeError } from "ldapts";
import { ProviderError, messageOf } from "../../errors.ts";
import { inlineText } from "../../render/terminal-text.ts";

/** What an error message may say about the connection: no password, only the variable's name. */
export interface ErrorTarget {
  readonly provider: string;
  readonly url: string;
  readonly bindDn: string;
  readonly passwordEnv: string;
  /** Active Directory: its names are unique across the domain, which changes what "already exists" means. */
  readonly isActiveDirectory?: boolean;
}

const TRANSIENT_CODES = new Set([3, 51, 52, 80]);
const SCHEMA_CODES = new Set([16, 17, 18, 20, 21, 64, 65, 67, 69]);
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
]);
/** A network error code named in a message, as in ldapts's socket errors ("…\nread ECONNRESET"). */
const NETWORK_CODE_IN_TEXT = new RegExp(`\\b(${[...NETWORK_CODES].join("|")})\\b`);
/**
 * ldapts rejects the requests on a connection that fails under them (reset, broken pipe) with a plain
 * Error of no `code`: "Socket error. Message type: BindRequest (0x60)\nread ECONNRESET".
 */
const SOCKET_ERROR = /^Socket error\b/;
const RESULT_NAMES: Readonly<Record<number, string>> = {
  4: "size limit exceeded: the server caps how many entries the bind DN may read, also over paged results (OpenLDAP: give it a limit such as size.prtotal=unlimited in olcLimits; 389 Directory Server: nsPagedSizeLimit: -1 on the bind entry; AD: MaxPageSize caps only the page, so lower pageSize to it)",
  11: "admin limit exceeded: the server refuses this page size (OpenLDAP: size.pr in olcLimits); lower pageSize to the server's limit",
  16: "no such attribute",
  17: "undefined attribute type",
  19: "constraint violation",
  20: "attribute or value exists",
  21: "invalid attribute syntax",
  32: "no such object",
  34: "invalid DN syntax",
  49: "invalid credentials",
  50: "insufficient access rights",
  53: "unwilling to perform",
  64: "naming violation",
  65: "object class violation",
  67: "not allowed on RDN",
  68: "entry already exists",
};

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  const code: unknown = error.code;
  return typeof code === "string" ? code : undefined;
}

export interface ErrorContext {
  readonly operation: string;
  readonly dn?: string;
  /** Attributes the failed write carried, so a schema violation names them. */
  readonly attributes?: readonly string[];
}

/** A string property of an unknown value, when it has one. */
function stringField(value: unknown, key: string): string | undefined {
  if (typeof value !== "object" || value === null || !(key in value)) return undefined;
  const field: unknown = Reflect.get(value, key);
  return typeof field === "string" ? field : undefined;
}

const optionalInline = (text: string | undefined): string | undefined =>
  text === undefined ? undefined : inlineText(text);

/**
 * Why the server certificate does not fit the url's host (Node's ERR_TLS_CERT_ALTNAME_INVALID carries
 * `host` and the peer `cert`): the names it holds, and the two ways out.
 */
function altnameProblem(error: unknown, url: string): string {
  const host = stringField(error, "host") ?? new URL(url).hostname;
  const cert: unknown =
    typeof error === "object" && error !== null && "cert" in error ? error.cert : undefined;
  const subject: unknown =
    typeof cert === "object" && cert !== null && "subject" in cert ? cert.subject : undefined;
  // The server chose these names: control characters in them are shown escaped, not sent to the terminal.
  const cn = optionalInline(stringField(subject, "CN"));
  const sans = optionalInline(stringField(cert, "subjectaltname"));
  const names = [
    cn === undefined ? "no subject CN" : `subject CN=${cn}`,
    sans === undefined || sans === "" ? "no subjectAltName" : `subjectAltName ${sans}`,
  ].join(", ");
  return (
    `the host in url, ${host}, is not a name in the server certificate (${names}) (ERR_TLS_CERT_ALTNAME_INVALID); ` +
    "the certificate itself is trusted (caFile is not the problem): put a name the certificate holds in url " +
    "(a subjectAltName; the CN counts only when there is none, and never for an IP address), one that " +
    `resolves to the server, or give the server a certificate that names ${host}`
  );
}

/** Turns anything ldapts or the socket throws into a ProviderError that names the problem, never a secret. */
export function toProviderError(error: unknown, options: ErrorTarget, ctx: ErrorContext): ProviderError {
  const { provider, url } = options;
  const entry = ctx.dn === undefined ? "" : ` ${ctx.operation === "search" ? "under" : "entry"} "${ctx.dn}"`;
  // ProviderError says "<provider>: <operation>: " already; the operation is repeated only to name an entry.
  const lead = entry === "" ? "" : `${ctx.operation}${entry}: `;
  if (error instanceof ProviderError) return error;
  if (error instanceof ResultCodeError) {
    const code = error.code;
    // ldapts appends " Code: 0x20" to the server's text, which is often empty.
    const said = error.message.replace(/\s*Code: 0x[0-9a-f]+\s*$/i, "").trim();
    const detail = `${RESULT_NAMES[code] ?? `result code ${code}`}${said ? `: ${said}` : ""}`;
    let message: string;
    if (code === 49) {
      message = `bind as "${options.bindDn}" to ${url} failed: invalid credentials; check bindDn and the password in environment variable ${options.passwordEnv}`;
    } else if (code === 32) {
      message = `${lead}no such object (LDAP 32); check that the base DN / OU exists${said ? `: ${said}` : ""}`;
    } else if (code === 34) {
      message = `${lead}invalid DN syntax (LDAP 34); check baseDn and the OUs in the provider's settings${said ? `: ${said}` : ""}`;
    } else if (code === 19) {
      // A constraint the server keeps (a unique attribute another entry holds: AD's userPrincipalName,
      // OpenLDAP's unique overlay; a password policy), not the schema.
      const attrs = ctx.attributes?.length ? ` (attributes written: ${ctx.attributes.join(", ")})` : "";
      message = `${entry === "" ? "" : `${ctx.operation}${entry}${attrs}: `}${detail} (LDAP 19): the server refuses a value it holds elsewhere or a rule it enforces; the text above names which`;
    } else if (SCHEMA_CODES.has(code)) {
      const attrs = ctx.attributes?.length ? ` (attributes written: ${ctx.attributes.join(", ")})` : "";
      message = `schema violation${ctx.operation === "search" ? " in a search" : " on"}${entry}${attrs}: ${detail} (LDAP ${code})`;
    } else if (code === 8 || code === 13) {
      message = `${lead}the server requires a secure connection; use ldaps:// or startTls: true (${detail})`;
    } else if (code === 50) {
      message = `${lead}"${options.bindDn}" lacks the rights for this (${detail})`;
    } else if (code === 68 && options.isActiveDirectory === true) {
      message =
        `${lead}${detail} (LDAP 68); another object in the domain holds this DN or this ` +
        "sAMAccountName (unique across the whole domain): one renamed by hand (its sAMAccountName or cn " +
        "changed), or one outside the configured OU. Search the domain for it, e.g. (sAMAccountName=…) " +
        "from the base DN, then rename it back, move it, or delete it if it is a leftover";
    } else if (code === 68) {
      const isGroup = ctx.operation.includes("group");
      message =
        `${lead}${detail} (LDAP 68); the entry exists but gatehouse does not read it as one of ` +
        `its own: check its objectClass against the provider's (${isGroup ? "groups.objectClass, e.g. groupOfUniqueNames vs groupOfNames" : "people.objectClasses"}) ` +
        "and that it sits under the configured OU, or rename it";
    } else {
      message = `${lead}${detail} (LDAP ${code})`;
    }
    return new ProviderError(provider, ctx.operation, message, {
      status: code,
      isTransient: TRANSIENT_CODES.has(code),
      cause: error,
    });
  }
  const said = messageOf(error);
  const isSocketError = SOCKET_ERROR.test(said);
  // The socket's own message follows on a line of its own: one line here, as every error is printed.
  const text = isSocketError ? said.replace(/\s*\n\s*/g, ": ") : said;
  const code = errorCode(error) ?? (isSocketError ? NETWORK_CODE_IN_TEXT.exec(text)?.[1] : undefined);
  if (
    (code !== undefined && NETWORK_CODES.has(code)) ||
    /connection timeout|timed out|socket closed|connection closed/i.test(text)
  ) {
    return new ProviderError(provider, ctx.operation, `cannot reach ${url}: ${code ?? text}`, {
      status: code ?? "network",
      isTransient: true,
      cause: error,
    });
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    // Node checks the name only once the chain is trusted: caFile is right, the url's host is not.
    return new ProviderError(
      provider,
      ctx.operation,
      `TLS with ${url} failed: ${altnameProblem(error, url)}`,
      {
        status: code,
        cause: error,
      },
    );
  }
  if (code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code)) {
    return new ProviderError(
      provider,
      ctx.operation,
      `TLS with ${url} failed: ${text} (${code}); set caFile to the CA that signed the server certificate`,
      { status: code, cause: error },
    );
  }
  return new ProviderError(provider, ctx.operation, `${lead}${text}`, {
    ...(code === undefined ? {} : { status: code }),
    cause: error,
  });
}
