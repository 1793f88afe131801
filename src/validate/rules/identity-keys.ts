import type { Diagnostic } from "../../model/diagnostic.ts";
import type { SourceLocation } from "../../model/source.ts";
import type { User } from "../../model/access.ts";
import { formatLocation } from "../../model/source.ts";
import type { Rule } from "../rule.ts";
import { report } from "./report.ts";
import { isTerminated } from "../../lifecycle/status.ts";

/**
 * What says who a person is besides their id must name one person: an `employeeNumber` (what `hr sync`
 * matches the HR export by) given to two users (GH235), and a `formerIds` entry that is another user's id
 * or that two users list (GH236): the journal's accounts of that id would be claimed by both, and one
 * person's account could be handed to the other.
 */
export const identityKeys: Rule = {
  name: "identity-keys",
  codes: ["GH235", "GH236", "GH241"],
  check({ model, now }) {
    const out: Diagnostic[] = [];
    const former = new Map<string, { id: string; source: SourceLocation }>();
    // The first user seen with each e-mail (lower case) and each employee number: a later one holding it
    // too is reported with it. A map per key kind, holding the user itself: at 100k people, a key string
    // and an object made per person and key cost this rule a third of its time.
    const byEmail = new Map<string, User>();
    const byNumber = new Map<string, User>();
    const sharing = (holders: Map<string, User>, key: string, user: User): User | undefined => {
      const first = holders.get(key);
      if (first === undefined) holders.set(key, user);
      return first;
    };
    for (const user of model.users.values()) {
      // One mailbox, two people still here: most often one person entered twice (by hand and by hr sync,
      // or under a new employee number), who then gets two accounts. A leaver's address given to someone
      // new is no such case.
      const email = user.email?.toLowerCase();
      const sameEmail =
        email === undefined || isTerminated(user, now) ? undefined : sharing(byEmail, email, user);
      if (sameEmail !== undefined)
        out.push(
          report(
            "warning",
            "GH241",
            `users "${sameEmail.id}" (${formatLocation(sameEmail.source)}) and "${user.id}" have the same email ${user.email ?? ""}: ` +
              "if they are one person, keep one entry (hr sync links the one with the export's employeeNumber; the other's id can go in its formerIds), or each gets accounts of their own.",
            user.source,
            [sameEmail.source],
          ),
        );
      const number = user.employeeNumber;
      const sameNumber = number === undefined ? undefined : sharing(byNumber, number, user);
      if (sameNumber !== undefined)
        out.push(
          report(
            "warning",
            "GH235",
            `user "${user.id}" has employeeNumber "${number ?? ""}", as "${sameNumber.id}" does (${formatLocation(sameNumber.source)}); ` +
              "hr sync matches people by it and refuses such an export. Keep it on the one person it is.",
            user.source,
            [sameNumber.source],
          ),
        );
      for (const old of user.formerIds ?? []) {
        const current = model.users.get(old);
        const first = former.get(old);
        if (current !== undefined && current.id !== user.id)
          out.push(
            report(
              "error",
              "GH236",
              `user "${user.id}" lists "${old}" in formerIds, but "${old}" is a user in the files (${formatLocation(current.source)}): ` +
                "an id belongs to one person. Remove it from formerIds, or rename that user.",
              user.source,
              [current.source],
            ),
          );
        else if (first !== undefined && first.id !== user.id)
          out.push(
            report(
              "error",
              "GH236",
              `users "${first.id}" (${formatLocation(first.source)}) and "${user.id}" both list "${old}" in formerIds: ` +
                "the accounts of that id would be claimed by both. Keep it on the one person who had it.",
              user.source,
              [first.source],
            ),
          );
        else former.set(old, { id: user.id, source: user.source });
      }
    }
    return out;
  },
};
