// `npm run users -- <command>`: admin accounts from the server's shell, for the first admin of a real
// installation (Pomona makes no default account) and for a locked-out one. Works on the database named by
// POMONA_DB, also while Pomona runs. Passwords are generated and printed once.
//   npm run users -- create you@example.com [--role admin|auditor] [--name "Your Name"]
//   npm run users -- reset-password you@example.com
//   npm run users -- list
import { parseArgs } from "node:util";

import { SYSTEM } from "@/server/auth/actor";
import { createDeps } from "@/server/deps";
import { env } from "@/server/env.js";
import { createConsoleLogger } from "@/server/log";
import { createLocalPushProvider } from "@/server/push/local";
import { createUser, findUserByEmail, listUsers, resetUserPassword } from "@/server/services/users";
import { ROLES, type Role } from "@/db/schema";

async function main() {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { role: { type: "string", default: "admin" }, name: { type: "string", default: "" } } });
  const [command, email] = positionals;
  const log = createConsoleLogger();
  const deps = createDeps({ env, log, push: createLocalPushProvider({ log }) });
  const by = SYSTEM;
  switch (command) {
    case "create": {
      if (!email) throw new Error("Usage: npm run users -- create <email> [--role admin|auditor] [--name <name>]");
      if (!ROLES.includes(values.role as Role)) throw new Error(`--role must be one of ${ROLES.join(", ")}`);
      const created = await createUser(deps, { email, name: values.name, role: values.role as Role }, by);
      console.log(`Created ${created.email} (${created.role}).\nPassword: ${created.password}\nIt is shown this once; change it after signing in (Settings → Your password).`);
      break;
    }
    case "reset-password": {
      const found = email ? findUserByEmail(deps, email) : undefined;
      if (!found) throw new Error(`No account for ${email ?? "(no email given)"}`);
      const reset = await resetUserPassword(deps, { id: found.id }, by);
      console.log(`New password for ${reset.email}: ${reset.password}\nTheir sessions have ended.`);
      break;
    }
    case "list":
      for (const u of listUsers(deps)) console.log(`${u.email}\t${u.role}\t${u.sessions} session(s)`);
      break;
    default:
      throw new Error("Usage: npm run users -- create <email> [--role admin|auditor] [--name <name>] | reset-password <email> | list");
  }
  deps.db.$client.close();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
