import { createServer, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProviderError, redactKnownSecrets, redactSecrets, registerSecret } from "../../src/errors.ts";
import { printable } from "../../src/cli/io.ts";
import { main } from "../../src/cli/main.ts";
import { terminal } from "../../src/render/terminal-text.ts";
import { writeTreeWithLiveGroup } from "../helpers/access-tree.ts";
import { captureIo } from "../helpers/cli-io.ts";

describe("registered secrets", () => {
  it("are taken out of every message, however they are framed", () => {
    registerSecret("s3cr3t-value-01");
    const error = new ProviderError("app", "read", 'server said: {"detail":"bad token s3cr3t-value-01"}');
    expect(error.message).toBe('app: read: server said: {"detail":"bad token [REDACTED]"}');
    expect(redactSecrets("url?t=s3cr3t-value-01&x=1")).toBe("url?t=[REDACTED]&x=1");
  });

  it("are taken out in any letter case, and characters special to patterns are taken literally", () => {
    registerSecret("Mixed.Case+Secret(1)");
    expect(redactKnownSecrets("echo: MIXED.CASE+SECRET(1) and mixed.case+secret(1)")).toBe(
      "echo: [REDACTED] and [REDACTED]",
    );
    // A dot in the secret matches only a dot.
    expect(redactKnownSecrets("MixedxCase+Secret(1)")).toBe("MixedxCase+Secret(1)");
  });
});

describe("a registered secret holding a control character", () => {
  // A bind password may hold any character; escaped for the terminal it is spelt otherwise.
  const SECRET = "Pw\u001b[0mS3cret\r\n\t!";

  it("is taken out of plain text, coloured text (whose data is escaped first) and JSON", () => {
    registerSecret(SECRET);
    expect(printable(`bind failed: ${SECRET}\n`)).toBe("bind failed: [REDACTED]\n");
    expect(printable(terminal`\u001b[31mbind failed: ${SECRET}\u001b[0m\n`)).toBe(
      "\u001b[31mbind failed: [REDACTED]\u001b[0m\n",
    );
    expect(printable(JSON.stringify({ name: SECRET }))).toBe('{"name":"[REDACTED]"}');
    // The last-resort line of the CLI goes through the same function.
    expect(printable(`internal error: Error: ${SECRET}\n`)).toBe("internal error: Error: [REDACTED]\n");
  });

  it.each([
    { name: "a coloured plan", argv: ["plan"], isTTY: true },
    { name: "a plain plan", argv: ["plan"], isTTY: false },
    { name: "a JSON plan on a terminal", argv: ["plan", "--format", "json"], isTTY: true },
  ])("never shows up in $name, in any spelling", async ({ argv, isTTY }) => {
    registerSecret(SECRET);
    // A group made by hand whose name holds the password (pasted into the wrong field).
    const name = `ops-${SECRET}`;
    const tree = await writeTreeWithLiveGroup(name);
    try {
      const { io, out, err } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1" });
      await main(argv, { ...io, isTTY });
      const printed = out.join("") + err.join("");
      expect(printed).toContain("ops-[REDACTED]");
      expect(printed).not.toContain("S3cret");
    } finally {
      await tree.remove();
    }
  });
});

describe("a registered secret holding a C1 control character", () => {
  // JSON printed to a terminal writes U+009B (CSI) and DEL as \\u escapes (jsonForTerminal).
  const SECRET = "Pw\u009bS3cret\u007f!";

  it("never shows up in a JSON plan on a terminal", async () => {
    registerSecret(SECRET);
    const name = `ops-${SECRET}`;
    const tree = await writeTreeWithLiveGroup(name);
    try {
      const { io, out } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1" });
      await main(["plan", "--format", "json"], { ...io, isTTY: true });
      const printed = out.join("");
      expect(printed).toContain("ops-[REDACTED]");
      expect(printed).not.toContain("S3cret");
    } finally {
      await tree.remove();
    }
  });
});

describe("a server that echoes the token back", () => {
  const TOKEN = "ghp_echoedTokenValue1234567890";
  let server: Server;
  let url: string;
  let cwd: string;
  beforeAll(async () => {
    // Answers every request with 401 and the request's own headers in the body, as some servers do.
    server = createServer((req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: `Bad credentials: ${req.headers.authorization ?? ""}` }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    url = `http://127.0.0.1:${String(address.port)}`;
    cwd = await mkdtemp(path.join(tmpdir(), "gh-secrets-"));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(cwd, { recursive: true, force: true });
  });

  it("never gets it printed by pr check, which reports the API's refusal as an error, not a bug", async () => {
    const { io, out, err } = captureIo(cwd, { GITHUB_TOKEN: TOKEN });
    const code = await main(["pr", "check", "--repo", "acme/access", "--pr", "7", "--api-url", url], io);
    const printed = out.join("") + err.join("");
    expect(code).toBe(1);
    expect(printed).toContain("error: github: pr check: HTTP 401: Bad credentials");
    expect(printed).toContain("(the token is wrong or expired)");
    expect(printed).not.toContain("internal error");
    expect(printed).not.toContain(TOKEN);
  });
});
