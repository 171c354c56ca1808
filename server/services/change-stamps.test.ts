// The change stamps (migration 0010): every write behind a stamp moves it, nothing else does, and the caches
// keyed on them (settings, compiled smart groups, a pass's context) see every committed change, also after a
// rolled-back write.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { syncCatalog } from "@/server/services/catalog";
import { changeStamp, type ChangeStampName } from "@/server/services/change-stamps";
import { freshPassContext, loadPassContext } from "@/server/services/deployment-engine";
import { createDeployment, updateDeployment } from "@/server/services/deployments";
import { DEFAULT_SETTINGS, getSettings, updateSettings } from "@/server/services/settings";
import { createSmartGroup, markGroupsCalculated, smartGroupsVersion, updateSmartGroup } from "@/server/services/smart-groups";
import { actingAs, createTestDeps } from "@/server/testing";
import { catalogProfiles, catalogTitles, catalogVersions, computers, settings, smartGroupCriteria } from "@/db/schema";

const NAMES: ChangeStampName[] = ["smart_groups", "pass_context", "settings"];
const stamps = (deps: ReturnType<typeof createTestDeps>) => Object.fromEntries(NAMES.map((n) => [n, changeStamp(deps.db, n)]));

/** Runs `write` and says which stamps it moved. */
function moved(deps: ReturnType<typeof createTestDeps>, write: () => unknown): ChangeStampName[] {
  const before = stamps(deps);
  write();
  const after = stamps(deps);
  return NAMES.filter((n) => before[n] !== after[n]);
}

async function catalogDeps() {
  const deps = createTestDeps();
  await syncCatalog(deps);
  const title = deps.db.select().from(catalogTitles).where(eq(catalogTitles.bundleId, "org.mozilla.firefox")).get()!;
  return { deps, title };
}

describe("change stamps", () => {
  it("each write to a table behind a stamp moves that stamp and no other", async () => {
    const { deps, title } = await catalogDeps();
    const now = deps.clock.now();
    const by = actingAs("a");
    let groupId = 0;
    expect(moved(deps, () => (groupId = createSmartGroup(deps, { name: "Lab", criteria: [{ field: "Computer Name", operator: "like", value: "Lab-" }] }, by).id))).toEqual(["smart_groups"]);
    expect(moved(deps, () => updateSmartGroup(deps, { id: groupId, description: "the lab" }, by))).toEqual(["smart_groups"]);
    // A criterion edited in place (as a rename's references are) changes no count and no id.
    expect(moved(deps, () => deps.db.update(smartGroupCriteria).set({ value: "Lab-1" }).where(eq(smartGroupCriteria.smartGroupId, groupId)).run())).toEqual(["smart_groups"]);
    const before = stamps(deps);
    const deploymentId = (await createDeployment(deps, { name: "Firefox", titleId: title.id, smartGroupId: groupId, distributionMethod: "install_automatically", updateMethod: "automatic" }, by)).id;
    expect(changeStamp(deps.db, "pass_context")).not.toBe(before.pass_context);
    // Its pass stamped the group's lastCalculatedAt, which is not a definition.
    expect(changeStamp(deps.db, "smart_groups")).toBe(before.smart_groups);
    const enabled = stamps(deps);
    await updateDeployment(deps, { id: deploymentId, name: "Firefox (lab)" }, by);
    expect(changeStamp(deps.db, "pass_context")).not.toBe(enabled.pass_context);
    expect(moved(deps, () => deps.db.update(catalogTitles).set({ publisher: "Mozilla Corp." }).where(eq(catalogTitles.id, title.id)).run())).toEqual(["pass_context"]);
    expect(moved(deps, () => deps.db.update(catalogVersions).set({ updatedAt: now }).where(eq(catalogVersions.titleId, title.id)).run())).toEqual(["pass_context"]);
    expect(moved(deps, () => deps.db.insert(catalogProfiles).values({ titleId: title.id, identifier: "org.mozilla.firefox.policy", displayName: "Firefox policy", mobileconfig: "<plist/>", createdAt: now, updatedAt: now }).run())).toEqual(["pass_context"]);
    expect(moved(deps, () => deps.db.delete(catalogProfiles).where(eq(catalogProfiles.titleId, title.id)).run())).toEqual(["pass_context"]);
    expect(moved(deps, () => updateSettings(deps, { maxAttempts: 5 }, by))).toEqual(["settings"]);
    expect(moved(deps, () => deps.db.delete(settings).where(eq(settings.key, "maxAttempts")).run())).toEqual(["settings"]);
    // What the fleet does all day moves none.
    expect(moved(deps, () => markGroupsCalculated(deps.db, now))).toEqual([]);
    expect(
      moved(deps, () => deps.db.insert(computers).values({ udid: "U-1", name: "Lab-1", osVersion: "15.1", architecture: "arm64", enrolled: true, createdAt: now, updatedAt: now }).run()),
    ).toEqual([]);
  });

  it("a stamp read inside a rolled-back write is not the stamp of the next committed one", async () => {
    const { deps } = await catalogDeps();
    const by = actingAs("a");
    const base = getSettings(deps);
    let inside: ReturnType<typeof getSettings> | undefined;
    expect(() =>
      deps.db.transaction(() => {
        updateSettings(deps, { maxAttempts: 7 }, by);
        inside = getSettings(deps); // cached at the rolled-back stamp
        throw new Error("roll back");
      }),
    ).toThrow("roll back");
    expect(inside?.maxAttempts).toBe(7);
    // The next committed write, with nothing read in between (updateSettings reads the settings first):
    // a counter would now be back at the value the cache holds 7 under, and getSettings would answer 7.
    const now = deps.clock.now();
    deps.db.insert(settings).values({ key: "maxAttempts", value: 4, updatedAt: now }).onConflictDoUpdate({ target: settings.key, set: { value: 4, updatedAt: now } }).run();
    expect(getSettings(deps).maxAttempts).toBe(4);
    expect(base.maxAttempts).toBe(DEFAULT_SETTINGS.maxAttempts);
  });
});

describe("what the stamps keep", () => {
  it("settings: one frozen object until a setting is written, then the new values", async () => {
    const { deps } = await catalogDeps();
    const first = getSettings(deps);
    expect(first).toEqual(DEFAULT_SETTINGS);
    expect(Object.isFrozen(first)).toBe(true);
    expect(getSettings(deps)).toBe(first);
    updateSettings(deps, { confirmationDelayMs: 60_000 }, actingAs("a"));
    const second = getSettings(deps);
    expect(second).not.toBe(first);
    expect(second.confirmationDelayMs).toBe(60_000);
    // Written by something other than the service (a script, another process): seen all the same.
    deps.db.update(settings).set({ value: 120_000 }).where(eq(settings.key, "confirmationDelayMs")).run();
    expect(getSettings(deps).confirmationDelayMs).toBe(120_000);
  });

  it("smart groups: the version moves with a definition, not with a pass", async () => {
    const { deps } = await catalogDeps();
    const v0 = smartGroupsVersion(deps.db);
    const { id } = createSmartGroup(deps, { name: "Lab", criteria: [] }, actingAs("a"));
    const v1 = smartGroupsVersion(deps.db);
    expect(v1).not.toBe(v0);
    markGroupsCalculated(deps.db, deps.clock.now());
    expect(smartGroupsVersion(deps.db)).toBe(v1);
    updateSmartGroup(deps, { id, criteria: [{ field: "Architecture Type", operator: "is", value: "arm64" }] }, actingAs("a"));
    expect(smartGroupsVersion(deps.db)).not.toBe(v1);
  });

  it("a pass's context: kept while nothing behind it changed, reloaded after an App Installer or a catalog edit", async () => {
    const { deps, title } = await catalogDeps();
    const by = actingAs("a");
    const group = createSmartGroup(deps, { name: "All", criteria: [] }, by);
    const { id } = await createDeployment(deps, { name: "Firefox", titleId: title.id, smartGroupId: group.id, distributionMethod: "install_automatically", updateMethod: "automatic" }, by);
    const context = loadPassContext(deps.db, [title.id]);
    expect(freshPassContext(deps.db, context)).toBe(context);
    await updateDeployment(deps, { id, name: "Firefox ESR" }, by);
    const renamed = freshPassContext(deps.db, context);
    expect(renamed).not.toBe(context);
    expect(renamed.deploymentById.get(id)?.name).toBe("Firefox ESR");
    deps.db.update(catalogVersions).set({ minimumOsVersion: "99.0" }).where(eq(catalogVersions.titleId, title.id)).run();
    const edited = freshPassContext(deps.db, renamed);
    expect(edited).not.toBe(renamed);
    expect(edited.versionsByTitle.get(title.id)?.every((v) => v.minimumOsVersion === "99.0")).toBe(true);
  });
});
