/** Matches "METHOD /orgs/{org}/members" patterns to handlers. */
import type { Handler } from "./http.ts";

export interface Route {
  readonly method: string;
  readonly pattern: string;
  readonly handler: Handler;
}

interface CompiledRoute extends Route {
  readonly regex: RegExp;
  readonly names: readonly string[];
}

export function route(spec: string, handler: Handler): Route {
  const [method = "", pattern = ""] = spec.split(" ");
  return { method, pattern, handler };
}

export class Router {
  private readonly routes: CompiledRoute[];
  constructor(routes: readonly Route[]) {
    this.routes = routes.map((r) => {
      const names: string[] = [];
      const source = r.pattern.replace(/\{(\w+)\}/g, (_m, name: string) => {
        names.push(name);
        return "([^/]+)";
      });
      return { ...r, regex: new RegExp(`^${source}$`), names };
    });
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | undefined {
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      r.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1] ?? "");
      });
      return { handler: r.handler, params };
    }
    return undefined;
  }
}
