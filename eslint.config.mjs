// Lint = typescript-eslint's type-checked rules plus the boundaries of STYLE.md §3.2, enforced, not reviewed.
import js from "@eslint/js";
import drizzle from "eslint-plugin-drizzle";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import importX from "eslint-plugin-import-x";
import globals from "globals";
import tseslint from "typescript-eslint";

const clockBan = [
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: "Read time from the injected clock (server/clock.ts), not new Date()." },
  { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: "Read time from the injected clock (server/clock.ts), not Date.now()." },
];

// An object literal that starts with a spread and then adds keys (`{ ...row, seq }`, or a spread clone that
// gets a new key afterwards) is, on this Node's V8 (11.3), an object that young-generation collections copy
// and promote however short-lived it is. Measured here: 5M discarded `{ ...obj, seq: 5 }` promoted 544 MB in
// 70 scavenges of 7 ms (2.1 s); spelled out, or `Object.assign({}, obj, { seq: 5 })`, 0.2 MB (0.08–0.37 s).
// In G5 this was 2.9 MB promoted per scavenge (enqueueCommand's row and the pass's new targets) and
// scavenges of 5 ms. Overriding an existing key is harmless, but the rule cannot tell, so it bans both.
const spreadThenAddBan = [
  {
    selector: "ObjectExpression:has(> SpreadElement:first-child):has(> Property)",
    message: "On the hot path, spell the object out or Object.assign({}, x, { key }): `{ ...x, key }` survives every young collection on Node 20 (see eslint.config.mjs).",
  },
];
// Modules that run per request, per command or per target (the MDM endpoint, the queue, the engine and its passes, the virtual Macs).
const hotPaths = [
  "server/engine/**",
  "server/queue/**",
  "server/mdm/**",
  "server/push/**",
  "server/scheduler/**",
  "server/services/deployment-engine.ts",
  "server/services/engine-passes.ts",
  "server/services/engine-state.ts",
  "server/services/devices.ts",
  "server/services/enrollment.ts",
  "server/services/events.ts",
  "server/services/smart-groups.ts",
];

// Folders whose files may not reach each other, resolved through the "@/" alias (import-x/no-restricted-paths).
const zones = [
  // server/engine is pure: only its own files.
  { target: "./server/engine/!(*.test).ts", from: "./", except: ["./server/engine"], message: "server/engine is pure: it imports only its own files." },
  // db/ is a leaf.
  { target: "./db", from: ["./server", "./app", "./components", "./simulator"], message: "db/ is a leaf: it imports nothing from server/, app/, components/ or simulator/." },
  // The simulator is a Mac: it talks to Pomona over HTTP only and shares no code with it.
  { target: "./simulator", from: ["./server", "./db", "./app", "./components"], message: "simulator/ talks to Pomona over HTTP only and shares no code with server/ or db/." },
  // The server's production code takes only the standard codecs from simulator/ (DER, and the PKCS#12 an
  // enrollment profile carries), so both sides of the wire write and read one tested implementation;
  // never a Mac's behaviour.
  {
    target: "./server/**/!(*.test|test-*).ts",
    from: "./simulator",
    except: ["./der.ts", "./pkcs12.ts"],
    message: "server/ takes only simulator/der.ts and simulator/pkcs12.ts (standard codecs), nothing a Mac does.",
  },
  // The server never imports the UI.
  { target: "./server", from: ["./app", "./components"], message: "server/ never imports app/ or components/." },
  // Services sit below tRPC and the MDM endpoint.
  // (Integration tests of services may drive the real /mdm handler, as a Mac would.)
  { target: "./server/services/!(*.test).ts", from: ["./server/trpc", "./server/mdm"], message: "server/services is called by tRPC and the MDM endpoint, never the reverse." },
  { target: "./server/trpc/**/!(*.test).ts", from: ["./server/mdm", "./server/queue", "./server/scheduler", "./server/push"], message: "server/trpc calls services only." },
  // Only the codec parses or builds plists.
  {
    target: ["./!(server)/**/*", "./server/!(mdm)/**/*", "./server/*.*", "./server/mdm/!(plist).ts", "./server/mdm/**/*/**"],
    from: "./node_modules/plist",
    message: "Only server/mdm/plist.ts imports plist.",
  },
  // No Next.js inside the MDM core: Macs are served without the page framework.
  { target: "./server/mdm", from: "./node_modules/next", message: "server/mdm must not import next/*." },
  // components/ use the tRPC hooks, never the database.
  { target: "./components", from: "./db", message: "components/ never import db/." },
];

export default tseslint.config(
  { ignores: [".next/**", ".next-*/**", "node_modules/**", "data/**", "db/migrations/**", "e2e/.artifacts/**", "e2e/.data/**", "next-env.d.ts", "test-results/**", "bench/results/**", "bench/.cache/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node, ...globals.browser },
    },
    plugins: { "import-x": importX, drizzle },
    settings: { "import-x/resolver-next": [createTypeScriptImportResolver({ project: "./tsconfig.json" })] },
    rules: {
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "import-x/no-restricted-paths": ["error", { zones }],
      "drizzle/enforce-delete-with-where": ["error", { drizzleObjectName: ["db", "tx"] }],
      "drizzle/enforce-update-with-where": ["error", { drizzleObjectName: ["db", "tx"] }],
    },
  },
  {
    files: ["server/**", "db/**", "app/**", "components/**"],
    ignores: ["server/clock.ts"],
    rules: { "no-restricted-syntax": ["error", ...clockBan] },
  },
  {
    files: hotPaths,
    ignores: ["server/clock.ts", "**/*.test.ts", "**/test-*.ts"],
    rules: { "no-restricted-syntax": ["error", ...clockBan, ...spreadThenAddBan] },
  },
  {
    files: ["simulator/**", "bench/load.ts"],
    ignores: ["**/*.test.ts"],
    rules: { "no-restricted-syntax": ["error", ...spreadThenAddBan] },
  },
  {
    files: ["server/**", "db/**", "app/**", "components/**"],
    ignores: ["server/env.js"],
    rules: { "no-restricted-properties": ["error", { object: "process", property: "env", message: "Read configuration from server/env.js." }] },
  },
  {
    files: ["server/engine/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: ["node:*", "fs", "path", "http", "crypto"], message: "server/engine is pure: no I/O." }] }] },
  },
  {
    files: ["components/**"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        { patterns: [{ group: ["@/server/**", "@/db/**"], allowTypeImports: true, message: "components/ may only import types from server/ (use the tRPC hooks)." }] },
      ],
    },
  },
  {
    files: ["**/*.test.ts"],
    rules: { "@typescript-eslint/no-non-null-assertion": "off", "@typescript-eslint/unbound-method": "off" },
  },
  { files: ["**/*.js", "**/*.mjs"], ...tseslint.configs.disableTypeChecked },
);
