/**
 * The schemas as an editor uses them: VS Code's YAML extension (yaml-language-server) loads the schema a
 * file names in its modeline from disk and follows its $refs. A provider's own keys (people, groups,
 * baseUrl...) come from schemas/providers/<type>.schema.json: the editor must reach those files, or it
 * offers no completion or hover for them and reports a schema it could not load.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { TextDocument } from "vscode-languageserver-textdocument";
import { getLanguageService, type LanguageService } from "yaml-language-server";
import { beforeAll, describe, expect, it } from "vitest";
import { SCHEMAS } from "./helpers/schemas.ts";

const ACCESS = path.join(SCHEMAS, "..", "access");
let service: LanguageService;
/** The URLs the editor asked for: every one is a file under schemas/. */
const requested: string[] = [];

beforeAll(() => {
  service = getLanguageService({
    schemaRequestService: (uri: string) => {
      requested.push(uri);
      return uri.startsWith("file:")
        ? Promise.resolve(readFileSync(new URL(uri), "utf8"))
        : Promise.reject(new Error(`not a file: ${uri}`));
    },
    workspaceContext: {
      resolveRelativePath: (relative: string, resource: string) => new URL(relative, resource).href,
    },
  });
  service.configure({ validate: true, completion: true, hover: true });
});

/** The language server keeps a parsed document per URI and version: each text here is a new version. */
let version = 0;

/** A gatehouse.yaml in the example organization's folder; `|` marks the cursor. */
function configDocument(text: string): { document: TextDocument; offset: number } {
  const offset = text.indexOf("|");
  const uri = pathToFileURL(path.join(ACCESS, "gatehouse.yaml")).href;
  const content =
    "# yaml-language-server: $schema=../schemas/gatehouse.schema.json\n" + text.replace("|", "");
  return {
    document: TextDocument.create(uri, "yaml", ++version, content),
    offset: offset + content.length - text.length + 1,
  };
}

async function completions(text: string): Promise<string[]> {
  const { document, offset } = configDocument(text);
  const list = await service.doComplete(document, document.positionAt(offset), false);
  return list.items.map((item) => item.label);
}

describe("the schemas in an editor (yaml-language-server)", () => {
  it("offers an ldap provider's own keys, and those of its people block", async () => {
    const keys = await completions("providers:\n  ldap:\n    type: ldap\n    |");
    expect(keys).toEqual(
      expect.arrayContaining(["url", "baseDn", "bindDn", "passwordEnv", "people", "groups", "mode"]),
    );
    expect(await completions("providers:\n  ldap:\n    type: ldap\n    people:\n      |")).toEqual(
      expect.arrayContaining(["ou", "objectClasses", "gidNumber"]),
    );
    // Another type, another set: scim's keys, not ldap's.
    const scim = await completions("providers:\n  app:\n    type: scim\n    |");
    expect(scim).toEqual(expect.arrayContaining(["baseUrl", "tokenEnv"]));
    expect(scim).not.toContain("baseDn");
  });

  it("offers a person's keys in an access file", async () => {
    const text =
      "# yaml-language-server: $schema=../../schemas/access.schema.json\nusers:\n  - id: ann\n    ";
    const uri = pathToFileURL(path.join(ACCESS, "users", "people.yaml")).href;
    const document = TextDocument.create(uri, "yaml", ++version, text);
    const list = await service.doComplete(document, document.positionAt(text.length), false);
    expect(list.items.map((item) => item.label)).toEqual(
      expect.arrayContaining(["name", "email", "department", "accounts", "formerIds"]),
    );
  });

  it("loads every schema from schemas/ and reports nothing on the example organization's gatehouse.yaml", async () => {
    const text = readFileSync(path.join(ACCESS, "gatehouse.yaml"), "utf8");
    const document = TextDocument.create(
      pathToFileURL(path.join(ACCESS, "gatehouse.yaml")).href,
      "yaml",
      1,
      text,
    );
    const problems = await service.doValidation(document, false);
    expect(problems.map((p) => p.message)).toEqual([]);
    expect(requested.filter((uri) => !uri.startsWith(pathToFileURL(SCHEMAS).href))).toEqual([]);
    // A key of no provider type is flagged where it is.
    const { document: bad } = configDocument("providers:\n  ldap:\n    type: ldap\n    bindPasword: x\n|");
    const found = await service.doValidation(bad, false);
    expect(found.some((p) => p.range.start.line === 4 && p.message.includes("bindPasword"))).toBe(true);
  });
});
