/** What a handler gets and returns; GitHub's error bodies. */
import type { FakeGithubState, FakeUser } from "./state.ts";

export interface RequestContext {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly viewer: FakeUser;
  /** Base URL of the fake as clients see it, e.g. http://127.0.0.1:4567. */
  readonly api: string;
  readonly state: FakeGithubState;
}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Handler = (ctx: RequestContext) => Reply;

const DOCS = "https://docs.github.com/rest";

export function ok(body: unknown, status = 200): Reply {
  return { status, body };
}

export function noContent(): Reply {
  return { status: 204 };
}

export function notFound(): Reply {
  return { status: 404, body: { message: "Not Found", documentation_url: DOCS, status: "404" } };
}

export function forbidden(message: string): Reply {
  return { status: 403, body: { message, documentation_url: DOCS, status: "403" } };
}

export function unauthorized(message: string): Reply {
  return { status: 401, body: { message, documentation_url: DOCS, status: "401" } };
}

export interface FieldError {
  readonly resource: string;
  readonly field: string;
  readonly code: "missing" | "missing_field" | "invalid" | "already_exists" | "unprocessable" | "custom";
  readonly message?: string;
}

/** 422 in GitHub's "Validation Failed" shape. */
export function validationFailed(message: string, errors: readonly FieldError[] = []): Reply {
  return {
    status: 422,
    body: { message, errors, documentation_url: DOCS, status: "422" },
  };
}

/** Reads a JSON object body field with a type check (the fake validates like GitHub would). */
export function field(body: unknown, name: string): unknown {
  if (body === null || typeof body !== "object") return undefined;
  const value: unknown = Reflect.get(body, name);
  return value;
}

export function stringField(body: unknown, name: string): string | undefined {
  const value = field(body, name);
  return typeof value === "string" ? value : undefined;
}
