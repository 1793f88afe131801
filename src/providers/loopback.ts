/** localhost, 127.0.0.0/8 or ::1, as `URL.hostname` spells them. */
export function isLoopback(hostname: string): boolean {
  return (
    hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/** The user name and password part of a URL's authority (`https://user:pass@host`), if it has one. */
const USER_INFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/i;

/**
 * Why a URL given in gatehouse.yaml must not carry a user name or password, or undefined when it carries
 * none. The password would be printed wherever the URL is (errors, logs), and fetch refuses such URLs.
 * The message shows the URL with that part masked.
 */
export function credentialsInUrl(url: string, secretsGoTo: string): string | undefined {
  if (!USER_INFO.test(url)) return undefined;
  return `must not hold a user name or password (${url.replace(USER_INFO, "$1***@")}): ${secretsGoTo}`;
}
