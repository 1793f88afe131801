/**
 * An error the synced files would have, in a synced person's entry, names the export's row too, through
 * the real CLI on a real temporary tree: the admin fixes the export, and a joiner's file (where the error
 * is located) may not exist yet. An error elsewhere in the same file names no row.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

// One file with the people and, after them, a group naming someone no file defines (an error of its own).
const PEOPLE = `users:
  - id: lena
    name: Lena Schäfer
    employeeNumber: "1001"
    startDate: 2018-04-01
  - { id: mats, name: Mats Nilsson, employeeNumber: "1005", startDate: 2021-06-01 }
groups:
  - name: team-infra-admin
    owners: [lena]
    members: [ghost]
`;

const EXPORT =
  "Personalnummer;Name;Eintrittsdatum;Austrittsdatum\r\n" +
  "1001;Lena Schäfer;01.04.2018;\r\n" +
  // Mats' last day typed before his first: an error in his entry as the sync would write it.
  "1005;Mats Nilsson;01.06.2021;31.05.2021\r\n" +
  // A new working student whose contract ends before it starts.
  "1012;Élodie Faure;01.01.2027;30.06.2026\r\n";

const MAPPING = `columns:
  employeeNumber: Personalnummer
  name: Name
  startDate: Eintrittsdatum
  endDate: Austrittsdatum
dateFormat: DD.MM.YYYY
`;

async function files(tree: AccessTree): Promise<string[]> {
  const names = await readdir(tree.dir, { recursive: true });
  return Promise.all(
    names
      .sort()
      .map(async (n) => `${n}: ${await readFile(path.join(tree.dir, n), "utf8").catch(() => "(folder)")}`),
  );
}

describe("hr sync: errors of the synced files", () => {
  it("names the export's row of the synced person whose entry has the error, and none for an error elsewhere", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": "providers:\n  directory: { type: local, path: .gatehouse/directory.json }\n",
      "users/people.yaml": PEOPLE,
    });
    trees.push(tree);
    await writeFile(path.join(tree.cwd, "export.csv"), EXPORT);
    await writeFile(path.join(tree.cwd, "mapping.yaml"), MAPPING);
    // The export has no e-mails: the joiner gets an id column of her own.
    await writeFile(
      path.join(tree.cwd, "export.csv"),
      EXPORT.replace("Personalnummer;", "Personalnummer;id;")
        .replace("1001;", "1001;lena;")
        .replace("1005;", "1005;mats;")
        .replace("1012;", "1012;elodie.faure;"),
    );
    const before = await files(tree);

    const result = await runCliIn(tree.cwd, [
      "hr",
      "sync",
      "export.csv",
      "--mapping",
      "mapping.yaml",
      "--max-leavers",
      "2",
    ]);
    expect(result.code).toBe(1);
    const lines = result.stderr.split("\n");
    const after = (start: string): string | undefined =>
      lines[lines.findIndex((l) => l.startsWith(start)) + 1];
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^access\/users\/hr\.yaml:\d+:\d+ error GH225 user "elodie\.faure" starts on 2027-01-01/,
      ),
    );
    expect(after("access/users/hr.yaml:")).toBe("    see export.csv:4:1");
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^access\/users\/people\.yaml:6:\d+ error GH225 user "mats" starts on 2021-06-01/,
      ),
    );
    expect(after("access/users/people.yaml:6:")).toBe("    see export.csv:3:1");
    // The group below the people is no synced person's entry.
    const ghost = lines.find((l) => l.includes("ghost")) ?? "";
    expect(ghost).toMatch(/^access\/users\/people\.yaml:1\d:\d+ error /);
    expect(after(ghost)).not.toMatch(/export\.csv/);
    expect(await files(tree)).toEqual(before);
  });
});
