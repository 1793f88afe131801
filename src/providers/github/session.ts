/** What read and apply share within one provider instance: the client, settings, pins and what was last read. */
import type { GithubClient } from "./client.ts";
import type { IdPins } from "./ids.ts";
import type { GithubSettings } from "./settings.ts";

export interface GithubTeamInfo {
  readonly id: number;
  readonly slug: string;
  readonly parentSlug: string | null;
  /** "secret" or "closed"; undefined when not known. GitHub refuses a secret team as a parent. */
  readonly privacy?: string | undefined;
}

export interface GithubSession {
  readonly name: string;
  readonly client: GithubClient;
  readonly settings: GithubSettings;
  readonly nesting: boolean;
  readonly pins: IdPins;
  readonly log: (line: string) => void;
  /**
   * The account the token belongs to, once known; `null` when the token has none (a GitHub App
   * installation token: `GET /user` answers 403).
   */
  viewer?: { readonly login: string; readonly id: number } | null;
  /** login (lower case) → numeric id, for every account seen (members, invitees, lookups). */
  readonly ids: Map<string, number>;
  /** Team slug → id and parent, from the last read or write. */
  readonly teams: Map<string, GithubTeamInfo>;
  /** What the last read found: identity problems, failed invitations; one line each. */
  findings: string[];
  /** Findings already logged by this instance (each is logged once, however often it reads). */
  readonly logged: Set<string>;
  /** Findings are not logged: the caller shows the read's notes itself (ProviderContext.showsReadNotes). */
  readonly isNotesShown: boolean;
  /**
   * Logins (lower case) the last read reported as pending only because of a failed (e.g. expired)
   * invitation: GitHub has no membership or open invitation of theirs to withdraw.
   */
  failedOnly: Set<string>;
  /**
   * Logins (lower case) this instance removed from the organization: GitHub ended their team memberships
   * with it, so a removal from a team that follows in the same run sends nothing.
   */
  readonly leftOrg: Set<string>;
  /**
   * Outside collaborators (lower case) as last listed (`GET /orgs/{org}/outside_collaborators`), read only
   * for leavers; undefined until then.
   */
  outsideCollaborators?: Set<string>;
  /** Calls the last full read of the organization took (readGithubState); undefined before one. */
  lastReadCalls?: number;
  /** Team slug → direct members (lower case) found by the last read. */
  readonly directMembers: Map<string, Set<string>>;
}

/** The page size GitHub allows at most. */
export const PER_PAGE = 100;
