import type { Rule } from "../rule.ts";
import { unknownReferences } from "./unknown-references.ts";
import { duplicateEntries } from "./duplicate-entries.ts";
import { groupNesting } from "./group-nesting.ts";
import { githubTeamNames, groupNaming } from "./group-naming.ts";
import { groupOwners, leftAdmins } from "./group-owners.ts";
import { separationOfDuties } from "./separation-of-duties.ts";
import { grantWindows } from "./grant-windows.ts";
import { managerChain } from "./manager-chain.ts";
import { employmentDates } from "./employment-dates.ts";
import { unusedRoles } from "./unused-roles.ts";
import { accountCollisions } from "./account-collisions.ts";
import { formerNameClaims, rolesIntoUnmanagedGroups } from "./group-history.ts";
import { accessReviews } from "./access-reviews.ts";
import { identityKeys } from "./identity-keys.ts";
import { webhookNames } from "./webhook-names.ts";
import { sharedDirectories } from "./shared-directories.ts";
import { ldapDisable } from "./ldap-disable.ts";
import { providerSettings } from "./provider-settings.ts";

/** Every semantic rule, run in this order after schema validation. */
export const RULES: readonly Rule[] = [
  unknownReferences,
  duplicateEntries,
  groupNesting,
  groupNaming,
  githubTeamNames,
  groupOwners,
  leftAdmins,
  separationOfDuties,
  grantWindows,
  managerChain,
  employmentDates,
  unusedRoles,
  accountCollisions,
  formerNameClaims,
  rolesIntoUnmanagedGroups,
  accessReviews,
  identityKeys,
  webhookNames,
  sharedDirectories,
  ldapDisable,
  providerSettings,
];
