/** The only file that talks to the directory (through ldapts). Counts operations and maps errors. */
import { Attribute, BerWriter, Change, Client, Control, ResultCodeError } from "ldapts";
import type { Entry, Filter, SearchOptions } from "ldapts";
import type { ErrorContext } from "./error-map.ts";
import { toProviderError } from "./error-map.ts";
import type { LdapEntry, LdapModification } from "./map.ts";
import { parseRangedAttribute, rememberPositions } from "./map.ts";
import { appendAll } from "../../model/lists.ts";

export interface LdapClientOptions {
  /** Provider name, for error messages. */
  readonly provider: string;
  readonly url: string;
  readonly startTls: boolean;
  /** PEM text of the CA(s) to trust; the system store otherwise. */
  readonly ca?: string;
  readonly bindDn: string;
  readonly password: string;
  /** Only its name appears in messages, never its value. */
  readonly passwordEnv: string;
  readonly timeoutMs: number;
  readonly pageSize: number;
  /** Values per request when the server hands out an attribute in ranges (AD). */
  readonly rangeSize: number;
  readonly isActiveDirectory?: boolean;
  /**
   * Attributes whose values name the same few entries again and again (group members): each distinct
   * value is kept once, and each list read knows where its values sit (SharedValues).
   */
  readonly sharedValueAttributes?: readonly string[];
}

export interface SearchRequest {
  readonly base: string;
  readonly scope: "base" | "one" | "sub";
  /** A filter's text; or, where a value is bytes (AD's objectGUID), the filter itself (see idFilter). */
  readonly filter: string | Filter;
  readonly attributes: readonly string[];
  /** Use the paged-results control (RFC 2696) with the configured page size. */
  readonly paged?: boolean;
  /** At most this many entries (more: the server answers "size limit exceeded", an error here). */
  readonly sizeLimit?: number;
  /**
   * Send RFC 4533's Sync Request control (refreshOnly), marked critical: a server that does not run the
   * syncprov overlay for this base refuses the search (unavailableCriticalExtension), an error here.
   */
  readonly syncRefresh?: boolean;
}

/** RFC 4533's Sync Request control, mode refreshOnly, without a cookie; critical. */
class SyncRequestControl extends Control {
  constructor() {
    super("1.3.6.1.4.1.4203.1.9.1.1", { critical: true });
  }

  protected override writeControl(writer: BerWriter): void {
    const value = new BerWriter();
    value.startSequence();
    value.writeEnumeration(1); // refreshOnly
    value.endSequence();
    writer.writeBuffer(value.buffer, 0x04); // OCTET STRING
  }
}

/**
 * Binary attributes (AD's objectGUID and invocationId, which identify an entry and a domain controller):
 * asked for as bytes, under the spellings servers use, and kept as lower-case hex.
 */
const BINARY_ATTRIBUTES = ["objectGUID", "objectGuid", "invocationId", "invocationID"];
const BINARY_NAMES = new Set(BINARY_ATTRIBUTES.map((a) => a.toLowerCase()));

/**
 * An attribute's values as strings. Bytes of a binary attribute become hex; a binary attribute that came
 * as text (a spelling not asked for as bytes) lost bytes on the way and is left out, so it never stands
 * for an identity it does not have.
 */
function toStrings(name: string, value: Entry[string]): string[] {
  const list: (string | Buffer)[] = Array.isArray(value) ? value : [value];
  if (BINARY_NAMES.has(name.toLowerCase()))
    return list.flatMap((v) => (typeof v === "string" ? [] : [v.toString("hex")]));
  return list.map((v) => (typeof v === "string" ? v : v.toString("utf8")));
}

/**
 * Each distinct value of the attributes whose values repeat (member DNs: two million values naming a
 * hundred thousand entries at 100k people), kept once in a table. A list of such values gets its
 * positions in the table (rememberPositions), as a list read from the read cache does, so the read
 * works out what a member value means once per distinct value, by its position, instead of looking up
 * every value by its text (a hash of a fresh string and a probe of a large map: most of such a read's
 * time in our code); and the decoder's copy of each value dies young instead of being kept.
 * Starts a new table when one reaches SHARED_MAX values (lists keep the table they were given).
 */
class SharedValues {
  private table: string[] = [];
  private readonly index = new Map<string, number>();

  /** Replaces each value of `values` (a list of its own) with the table's, and records their positions. */
  share(values: string[]): void {
    if (this.table.length + values.length > SHARED_MAX) {
      this.table = [];
      this.index.clear();
    }
    const positions = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const value = values[i] ?? "";
      let at = this.index.get(value);
      if (at === undefined) {
        at = this.table.length;
        this.table.push(value);
        this.index.set(value, at);
      }
      positions[i] = at;
      values[i] = this.table[at] ?? value;
    }
    rememberPositions(values, this.table, positions);
  }
}

const SHARED_MAX = 1_000_000;

/**
 * Adds an entry's values to `into` (lower-case names, ranges merged); returns where ranged attributes
 * continue ("member;range=0-1499" → member from 1500). A final range ("-*") is not followed. The lists of
 * `shared` attributes it adds to are shared through `values` (SharedValues).
 */
function collectAttributes(
  entry: Entry,
  into: Map<string, string[]>,
  shared: ReadonlySet<string>,
  values: SharedValues,
): Map<string, number> {
  const pending = new Map<string, number>();
  const touched = new Set<string>();
  for (const [key, value] of Object.entries(entry)) {
    if (key === "dn") continue;
    // Only a name with options ("member;range=0-1499") can be ranged: most are plain.
    const ranged = key.includes(";") ? parseRangedAttribute(key) : undefined;
    const read = toStrings(ranged?.attribute ?? key, value);
    // ldapts lists a requested attribute the server did not return with no values: nothing to follow.
    if (ranged && read.length === 0) continue;
    const name = (ranged?.attribute ?? key).toLowerCase();
    const before = into.get(name);
    if (before === undefined) into.set(name, read);
    else appendAll(before, read);
    if (shared.has(name)) touched.add(name);
    if (ranged?.end !== undefined) pending.set(ranged.attribute, ranged.end + 1);
  }
  for (const name of touched) {
    const list = into.get(name);
    if (list !== undefined) values.share(list);
  }
  return pending;
}

export class LdapClient {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  /**
   * A bind the server refused (wrong password, locked account): every later call fails with it at once.
   * Binding again would only fail again, and count towards a lockout policy (ppolicy, AD's threshold).
   */
  private refused: Error | undefined;
  private readCount = 0;
  private writeCount = 0;

  private readonly options: LdapClientOptions;
  private readonly shared: ReadonlySet<string>;
  private readonly sharedValues = new SharedValues();

  constructor(options: LdapClientOptions) {
    this.options = options;
    this.shared = new Set((options.sharedValueAttributes ?? []).map((a) => a.toLowerCase()));
  }

  /** Whether the server refused this client's bind: nothing more is sent. */
  get isBindRefused(): boolean {
    return this.refused !== undefined;
  }

  get reads(): number {
    return this.readCount;
  }
  get writes(): number {
    return this.writeCount;
  }

  private async connect(): Promise<Client> {
    const { url, ca, timeoutMs } = this.options;
    const host = new URL(url).hostname;
    const tlsOptions = ca === undefined ? {} : { ca };
    const client = new Client({
      url,
      timeout: timeoutMs,
      connectTimeout: Math.min(timeoutMs, 10_000),
      // Only for ldaps://: given to a plain ldap:// client, ldapts breaks the later StartTLS upgrade, and
      // without StartTLS it speaks TLS to the plain port (the server resets it: "cannot reach …: ECONNRESET").
      ...(url.toLowerCase().startsWith("ldaps:") ? { tlsOptions } : {}),
    });
    try {
      if (this.options.startTls) await client.startTLS({ ...tlsOptions, host });
      await client.bind(this.options.bindDn, this.options.password);
    } catch (error) {
      await client.unbind().catch(() => undefined);
      const failed = toProviderError(error, this.options, {
        operation: this.options.startTls ? "connect (StartTLS) and bind" : "connect and bind",
      });
      // The server answered the bind with a refusal (an LDAP result), rather than not answering at all.
      if (error instanceof ResultCodeError) this.refused = failed;
      throw failed;
    }
    this.client = client;
    return client;
  }

  private async session(): Promise<Client> {
    if (this.refused) throw this.refused;
    if (this.client?.isConnected) return this.client;
    this.client = undefined;
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Searches, page by page when asked, and completes ranged attributes (AD, over 1,500 values). */
  async search(request: SearchRequest, signal: AbortSignal): Promise<LdapEntry[]> {
    signal.throwIfAborted();
    const client = await this.session();
    const options = {
      scope: request.scope,
      filter: request.filter,
      attributes: [...request.attributes],
      explicitBufferAttributes: BINARY_ATTRIBUTES,
      ...(request.paged ? { paged: { pageSize: this.options.pageSize } } : {}),
      ...(request.sizeLimit === undefined ? {} : { sizeLimit: request.sizeLimit }),
    };
    const ctx = { operation: "search", dn: request.base };
    // Each page is made into entries as it comes, so ldapts's objects for it die young; attributes handed
    // out in ranges (AD) are completed after the search, as the paged search must not be interleaved.
    const entries: LdapEntry[] = [];
    const ranged: { entry: LdapEntry; attributes: Map<string, string[]>; pending: Map<string, number> }[] =
      [];
    const take = (page: readonly Entry[]): void => {
      for (const raw of page) {
        const attributes = new Map<string, string[]>();
        const pending = collectAttributes(raw, attributes, this.shared, this.sharedValues);
        const entry = { dn: raw.dn, attributes };
        entries.push(entry);
        if (pending.size > 0) ranged.push({ entry, attributes, pending });
      }
    };
    try {
      if (request.paged) {
        for await (const page of client.searchPaginated(request.base, options)) {
          this.readCount++;
          take(page.searchEntries);
          signal.throwIfAborted();
        }
      } else {
        this.readCount++;
        const controls = request.syncRefresh === true ? new SyncRequestControl() : undefined;
        take((await client.search(request.base, options, controls)).searchEntries);
      }
    } catch (error) {
      throw toProviderError(error, this.options, ctx);
    }
    for (const { entry, attributes, pending } of ranged)
      await this.completeRanges(client, entry.dn, attributes, pending, signal);
    return entries;
  }

  /** Reads the rest of each ranged attribute (`pending`: where each continues) into `attributes`. */
  private async completeRanges(
    client: Client,
    dn: string,
    attributes: Map<string, string[]>,
    first: Map<string, number>,
    signal: AbortSignal,
  ): Promise<void> {
    let pending = first;
    while (pending.size > 0) {
      const next = new Map<string, number>();
      for (const [attribute, start] of pending) {
        signal.throwIfAborted();
        const requested = `${attribute};range=${start}-${start + this.options.rangeSize - 1}`;
        this.readCount++;
        let result: Entry | undefined;
        try {
          const options: SearchOptions = {
            scope: "base",
            filter: "(objectClass=*)",
            attributes: [requested],
          };
          result = (await client.search(dn, options)).searchEntries[0];
        } catch (error) {
          throw toProviderError(error, this.options, { operation: "ranged read", dn });
        }
        const more = result
          ? collectAttributes(result, attributes, this.shared, this.sharedValues)
          : new Map<string, number>();
        // Only follow a range that moves forward, so a server answering oddly cannot loop us forever.
        for (const [name, from] of more) if (from > start) next.set(name, from);
      }
      pending = next;
    }
  }

  private async write(ctx: ErrorContext, run: (client: Client) => Promise<void>): Promise<void> {
    const client = await this.session();
    this.writeCount++;
    try {
      await run(client);
    } catch (error) {
      throw toProviderError(error, this.options, ctx);
    }
  }

  async modify(dn: string, mods: readonly LdapModification[]): Promise<void> {
    if (mods.length === 0) return;
    const changes = mods.map(
      (m) =>
        new Change({
          operation: m.operation,
          modification: new Attribute({ type: m.attribute, values: [...m.values] }),
        }),
    );
    await this.write({ operation: "modify", dn, attributes: mods.map((m) => m.attribute) }, (c) =>
      c.modify(dn, changes),
    );
  }

  /** `binary` holds values sent as bytes (AD unicodePwd); only their attribute names reach messages. */
  async add(
    dn: string,
    attributes: Readonly<Record<string, readonly string[]>>,
    binary: Readonly<Record<string, readonly Buffer[]>> = {},
  ): Promise<void> {
    const attrs = Object.entries(attributes).map(
      ([type, values]) => new Attribute({ type, values: [...values] }),
    );
    for (const [type, values] of Object.entries(binary))
      attrs.push(new Attribute({ type, values: [...values] }));
    const names = [...Object.keys(attributes), ...Object.keys(binary)];
    await this.write({ operation: "add", dn, attributes: names }, (c) => c.add(dn, attrs));
  }

  async del(dn: string): Promise<void> {
    await this.write({ operation: "delete", dn }, (c) => c.del(dn));
  }

  async modifyDn(dn: string, newDn: string): Promise<void> {
    await this.write({ operation: "modifyDN", dn }, (c) => c.modifyDN(dn, newDn));
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.unbind().catch(() => undefined);
  }
}
