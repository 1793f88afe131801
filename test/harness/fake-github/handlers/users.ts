import type { Route } from "../router.ts";
import { route } from "../router.ts";
import { forbidden, notFound, ok } from "../http.ts";
import { privateUser, publicUser } from "../wire.ts";

export const userRoutes: readonly Route[] = [
  route("GET /user", (ctx) =>
    ctx.state.installationUsers.has(ctx.viewer.id)
      ? forbidden("Resource not accessible by integration")
      : ok(privateUser(ctx.api, ctx.viewer)),
  ),
  route("GET /users/{username}", (ctx) => {
    const user = ctx.state.userByLogin(ctx.params["username"] ?? "");
    return user ? ok(publicUser(ctx.api, user)) : notFound();
  }),
  route("GET /user/{account_id}", (ctx) => {
    const user = ctx.state.users.get(Number(ctx.params["account_id"]));
    return user ? ok(publicUser(ctx.api, user)) : notFound();
  }),
];
