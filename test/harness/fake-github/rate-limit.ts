/** Primary rate-limit headers on every response, and injectable secondary rate limits. */

export interface SecondaryLimitRule {
  /** How many matching requests to refuse. */
  count: number;
  /** Seconds for the `retry-after` header. */
  retryAfter: number;
  /** Which requests it hits; default: every request. */
  match?: (method: string, path: string) => boolean;
  /** GitHub answers a secondary rate limit with 403 or 429 ("you will receive a 403 or 429 response"). */
  status?: 403 | 429;
}

export class RateLimits {
  limit = 5000;
  used = 0;
  readonly resetAt = Math.floor(Date.now() / 1000) + 3600;
  private readonly secondary: SecondaryLimitRule[] = [];

  injectSecondary(rule: SecondaryLimitRule): void {
    this.secondary.push({ ...rule });
  }

  /** Seconds to wait when this request hits an injected secondary limit; undefined otherwise. */
  takeSecondary(method: string, path: string): { retryAfter: number; status: 403 | 429 } | undefined {
    const rule = this.secondary.find((r) => r.count > 0 && (r.match?.(method, path) ?? true));
    if (!rule) return undefined;
    rule.count -= 1;
    return { retryAfter: rule.retryAfter, status: rule.status ?? 403 };
  }

  /**
   * The primary limit is used up: GitHub then refuses every request with 403 (or 429) and
   * `x-ratelimit-remaining: 0` until `x-ratelimit-reset` ("If you exceed your primary rate limit, you will
   * receive a 403 or 429 response, and the x-ratelimit-remaining header will be 0").
   */
  exhausted(): boolean {
    return this.used >= this.limit;
  }

  headers(): Record<string, string> {
    return {
      "x-ratelimit-limit": String(this.limit),
      "x-ratelimit-remaining": String(Math.max(0, this.limit - this.used)),
      "x-ratelimit-reset": String(this.resetAt),
      "x-ratelimit-used": String(this.used),
      "x-ratelimit-resource": "core",
    };
  }
}

export const primaryLimitMessage = (userId: number): string =>
  `API rate limit exceeded for user ID ${String(userId)}. If you reach out to GitHub Support for help, please include the request ID.`;

export const SECONDARY_LIMIT_MESSAGE =
  "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.";
