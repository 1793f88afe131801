/**
 * A manager who holds none of a SCIM application's groups gets no account there (`users: members`, the
 * default for scim), so a report's manager reference cannot point at them: against a real SCIM 2.0
 * server (Better Auth's SCIM plugin), the plan must not write that manager, or every run "updates" it
 * again (the server keeps no reference to an account it does not have) and the plan never converges.
 */
import { describe, expect, it } from "vitest";
import { startScimServer, type ScimServer } from "../../harness/scim-server.ts";
import { changeLines, createConnectorRepo, noteMessages, removedAfterEach } from "./workspace.ts";

const TOKEN_ENV = "GATEHOUSE_SCIM_TOKEN";

const keep = removedAfterEach<ScimServer>((server) => server.close());

describe("a manager in none of a SCIM application's groups (real SCIM server)", { tags: ["slow"] }, () => {
  it("is not written as a manager there, and the plan converges", async () => {
    const server = await startScimServer();
    const repo = await createConnectorRepo({
      provider: {
        name: "saas",
        yaml: `    type: scim\n    mode: authoritative\n    baseUrl: ${server.baseUrl}\n    tokenEnv: ${TOKEN_ENV}\n    accountName: email\n`,
      },
      env: { [TOKEN_ENV]: server.token },
    });
    keep({ server, repo });
    // eli (devi's manager) owns the ledger group but is no member of it, nor of any other group here.
    await repo.edit("access/groups/groups.yaml", "      - devi\n      - eli\n", "      - devi\n");
    await repo.commit("eli only owns the ledger");

    const planned = await repo.run(["plan", "--format", "json"]);
    expect(noteMessages(planned.stdout).filter((n) => n.startsWith("the manager of devi.rao"))).toEqual([
      "the manager of devi.rao@example.com, eli.moss@example.com, has no account in saas and gets none (in none of its groups, where only their members get accounts): devi.rao@example.com is created without a manager; set a current manager in the files",
    ]);

    const first = await repo.run(["apply", "--yes"]);
    expect(first.code, first.stderr).toBe(0);
    // The next plan has nothing left to do: no manager "update" the server cannot keep.
    const again = await repo.run(["plan", "--format", "json", "--fresh"]);
    expect(again.code, again.stderr).toBe(0);
    expect(changeLines(again.stdout)).toEqual([]);
  });
});
