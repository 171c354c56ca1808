// The demo behind `npm start` (Step 4): smart groups and App Installers that, with the virtual fleet,
// show every status of DESIGN §3.1 within a couple of minutes. Idempotent: an existing demo is kept.
import { eq } from "drizzle-orm";

import { SYSTEM } from "@/server/auth/actor";
import type { Deps } from "@/server/deps";
import { createDeployment, type TDeploymentFields } from "@/server/services/deployments";
import { createEnrollmentToken } from "@/server/services/enrollment";
import { createSmartGroup } from "@/server/services/smart-groups";
import { createUser, findUserByEmail, resetUserPassword } from "@/server/services/users";
import { catalogTitles, deployments, smartGroups } from "@/db/schema";

export const DEMO_GROUPS = [
  { name: "All Macs", description: "Every enrolled Mac", criteria: [] },
  { name: "Apple silicon Macs", description: "Macs with an M-series chip", criteria: [{ field: "Architecture Type", operator: "is", value: "arm64" }] },
  { name: "macOS 14 or later", description: "Sonoma and Sequoia", criteria: [{ field: "Operating System Version", operator: "greater than or equal", value: "14.0" }] },
  { name: "Design team", description: "Macs in the design lab", criteria: [{ field: "Computer Name", operator: "like", value: "Design" }] },
] as const;

type DemoInstaller = Omit<TDeploymentFields, "titleId" | "smartGroupId"> & { bundleId: string; group: (typeof DEMO_GROUPS)[number]["name"] };

/** One of each kind: automatic, Self Service, a conflicting pair, and one whose requirements exclude some Macs. */
export const DEMO_INSTALLERS: DemoInstaller[] = [
  { name: "Google Chrome", bundleId: "com.google.Chrome", group: "All Macs", distributionMethod: "install_automatically", updateMethod: "automatic" },
  {
    name: "Slack (Self Service)",
    bundleId: "com.tinyspeck.slackmacgap",
    group: "All Macs",
    distributionMethod: "self_service",
    updateMethod: "automatic",
    selfService: { category: "Communication", description: "Team chat. Click Install when you are ready." },
  },
  { name: "Zoom for the design team", bundleId: "us.zoom.xos", group: "Design team", distributionMethod: "install_automatically", updateMethod: "automatic", installSupportingProfiles: true },
  {
    name: "Zoom (Self Service)",
    bundleId: "us.zoom.xos",
    group: "All Macs",
    distributionMethod: "self_service",
    updateMethod: "automatic",
    selfService: { category: "Communication", description: "Video meetings." },
  },
  { name: "ChatGPT", bundleId: "com.openai.chat", group: "All Macs", distributionMethod: "install_automatically", updateMethod: "automatic" },
  { name: "Microsoft Word", bundleId: "com.microsoft.Word", group: "macOS 14 or later", distributionMethod: "install_automatically", updateMethod: "automatic" },
];

export const DEMO_ADMIN_EMAIL = "admin@pomona.local";

/**
 * Creates the demo's groups and App Installers once, a fresh enrollment token for the fleet, and the demo's
 * admin account with a newly generated password on every start (printed by the start script; the demo is
 * the only place Pomona makes an account by itself).
 */
export async function seedDemo(deps: Pick<Deps, "db" | "clock" | "log" | "push" | "publicUrl">): Promise<{ token: string; url: string; created: boolean; admin: { email: string; password: string } }> {
  const existing = deps.db.select().from(deployments).all();
  const created = existing.length === 0;
  if (created) {
    const groupId = new Map<string, number>();
    for (const g of DEMO_GROUPS) {
      const found = deps.db.select({ id: smartGroups.id }).from(smartGroups).where(eq(smartGroups.name, g.name)).get();
      groupId.set(g.name, found?.id ?? createSmartGroup(deps, { name: g.name, description: g.description, criteria: [...g.criteria] }, SYSTEM).id);
    }
    for (const d of DEMO_INSTALLERS) {
      const title = deps.db.select({ id: catalogTitles.id }).from(catalogTitles).where(eq(catalogTitles.bundleId, d.bundleId)).get();
      if (!title) {
        deps.log.warn("demo: title missing from the catalog", { bundleId: d.bundleId });
        continue;
      }
      const { bundleId: _b, group, ...fields } = d;
      await createDeployment(deps, { ...fields, titleId: title.id, smartGroupId: groupId.get(group)! }, SYSTEM);
    }
  }
  const { token, url } = createEnrollmentToken(deps, { label: "Demo fleet" }, SYSTEM);
  const existingAdmin = findUserByEmail(deps, DEMO_ADMIN_EMAIL);
  const admin = existingAdmin
    ? await resetUserPassword(deps, { id: existingAdmin.id }, SYSTEM)
    : await createUser(deps, { email: DEMO_ADMIN_EMAIL, name: "Demo admin", role: "admin" }, SYSTEM);
  return { token, url, created, admin: { email: admin.email, password: admin.password } };
}
