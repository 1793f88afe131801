// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

const pureCore = {
  "no-restricted-imports": [
    "error",
    {
      patterns: [
        {
          group: [
            "**/load/**",
            "**/validate/**",
            "**/apply/**",
            "**/providers/**",
            "**/audit/**",
            "**/cli/**",
          ],
          message: "plan/, lifecycle/ and render/ import only model/ and each other: keep the core pure.",
        },
        {
          group: ["node:fs", "node:fs/*", "node:net", "node:http", "node:child_process"],
          message: "no I/O in the pure core",
        },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ["dist/", "coverage/", "node_modules/", "bench/out/", "test/fixtures/", "**/__snapshots__/"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ["./tsconfig.test.json"],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/ban-ts-comment": ["error", { "ts-expect-error": "allow-with-description" }],
      "no-restricted-syntax": [
        "error",
        { selector: "ExportDefaultDeclaration", message: "named exports only" },
      ],
    },
  },
  {
    files: ["src/plan/**/*.ts", "src/lifecycle/**/*.ts", "src/render/**/*.ts", "src/desired/**/*.ts"],
    rules: pureCore,
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/cli/**"],
    rules: {
      "no-console": "error",
      "no-restricted-properties": [
        "error",
        { object: "process", property: "exit", message: "only cli/ exits" },
        { object: "process", property: "env", message: "only cli/ reads the environment; pass env in" },
        { object: "Date", property: "now", message: "pass `now` in" },
      ],
    },
  },
  { files: ["test/**/*.ts", "bench/**"], rules: { "@typescript-eslint/no-non-null-assertion": "off" } },
  { files: ["*.config.{js,ts}", "eslint.config.js"], rules: { "no-restricted-syntax": "off" } },
  { files: ["**/*.js", "**/*.mjs"], ...tseslint.configs.disableTypeChecked },
  {
    // Plain Node scripts (bench/, fixture generators).
    files: ["**/*.mjs"],
    languageOptions: {
      globals: {
        process: "readonly",
        Buffer: "readonly",
        AbortSignal: "readonly",
        console: "readonly",
        URL: "readonly",
        performance: "readonly",
        setTimeout: "readonly",
      },
    },
  },
  prettier,
);
