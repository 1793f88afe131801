import type { Diagnostic } from "../../model/diagnostic.ts";
import type { Rule } from "../rule.ts";
import { report } from "./report.ts";

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A start date after the end date is a typo in the HR data. */
export const employmentDates: Rule = {
  name: "employment-dates",
  codes: ["GH225"],
  check({ model }) {
    const out: Diagnostic[] = [];
    for (const user of model.users.values()) {
      const { startDate, endDate } = user;
      if (startDate === undefined || endDate === undefined) continue;
      if (!DATE.test(startDate) || !DATE.test(endDate) || startDate <= endDate) continue;
      out.push(
        report(
          "error",
          "GH225",
          `user "${user.id}" starts on ${startDate}, after their end date ${endDate}; fix one of the dates.`,
          user.startDateSource ?? user.source,
        ),
      );
    }
    return out;
  },
};
