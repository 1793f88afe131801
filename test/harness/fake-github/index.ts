export { startFakeGithub } from "./server.ts";
export type { FakeGithub, LoggedRequest } from "./server.ts";
export { seedInvitations, seedOrg, seedPull, seedTeam, seedUsers } from "./seed.ts";
export type { SeedOrgOptions, SeedPullOptions, SeedTeamOptions } from "./seed.ts";
export { FakeGithubState } from "./state.ts";
export type { FakeOrg, FakeTeam, FakeUser, OrgRole, TeamRole } from "./state.ts";
export type { SecondaryLimitRule } from "./rate-limit.ts";
