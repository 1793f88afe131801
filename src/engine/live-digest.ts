import type { LiveState } from "../model/state.ts";
import type { Provider } from "../providers/types.ts";
import { canonicalSha256 } from "../audit/canonical-json.ts";

/**
 * The digest a plan records of a provider's live state, to refuse a saved plan once that state has
 * changed: the provider's own (Provider.liveDigest, e.g. a hash of the file it read) when it has one
 * for `live`, else the generic canonicalLiveDigest.
 */
export function liveDigestOf(live: LiveState, provider?: Pick<Provider, "liveDigest">): string {
  return provider?.liveDigest?.(live) ?? canonicalLiveDigest(live);
}

/** sha256 of canonicalJson(live), streamed (canonicalSha256). */
export function canonicalLiveDigest(live: LiveState): string {
  return canonicalSha256(live);
}
