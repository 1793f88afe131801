/** GitHub's page-number pagination: `per_page` (default 30, max 100), `page`, and a `Link` header. */
import type { Reply, RequestContext } from "./http.ts";

function intParam(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  const value = raw === null ? NaN : Number.parseInt(raw, 10);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

export function paginate(ctx: RequestContext, items: readonly unknown[]): Reply {
  const perPage = Math.min(intParam(ctx.query, "per_page", 30), 100);
  const page = intParam(ctx.query, "page", 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const body = items.slice((page - 1) * perPage, page * perPage);
  const link = (p: number, rel: string): string => {
    const query = new URLSearchParams(ctx.query);
    query.set("per_page", String(perPage));
    query.set("page", String(p));
    return `<${ctx.api}${ctx.path}?${query.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, "prev"), link(1, "first"));
  if (page < last) links.push(link(page + 1, "next"), link(last, "last"));
  return { status: 200, body, headers: links.length > 0 ? { link: links.join(", ") } : {} };
}
