// Pomona's database schema: every entity of DESIGN §2, one file split by domain (STYLE §3.8).
// Instants are stored as integer milliseconds (drizzle "timestamp_ms") and always come from the injected
// clock, never from SQL's CURRENT_TIMESTAMP, so simulated time drives every rule.
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const instant = (name: string) => integer(name, { mode: "timestamp_ms" });
const flag = (name: string) => integer(name, { mode: "boolean" });

/** Allowed values, shared by the schema's CHECK constraints and the TypeScript types. */
export const ARCHITECTURES = ["arm64", "x86_64"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export const DISTRIBUTION_METHODS = ["install_automatically", "self_service"] as const;
export type DistributionMethod = (typeof DISTRIBUTION_METHODS)[number];

export const UPDATE_METHODS = ["automatic", "manual"] as const;
export type UpdateMethod = (typeof UPDATE_METHODS)[number];

/** DESIGN §3.1 statuses (API values). */
export const TARGET_STATUSES = ["in_progress", "self_service_available", "installed", "unqualified", "failed"] as const;
export type TargetStatus = (typeof TARGET_STATUSES)[number];

/** DESIGN §3.1 phases: the finer step shown beside "In progress" (and kept on other statuses for the timeline). */
export const TARGET_PHASES = [
  "waiting_for_inventory",
  "waiting_for_device_information",
  "waiting_for_device",
  "waiting_for_install_slot",
  "profiles_sent",
  "install_sent",
  "not_now",
  "acknowledged",
  "verifying",
  "waiting_for_next_attempt",
  "waiting_for_user",
  "done",
] as const;
export type TargetPhase = (typeof TARGET_PHASES)[number];

/** DESIGN §4.2 command statuses. */
export const COMMAND_STATUSES = ["queued", "sent", "acknowledged", "error", "command_format_error", "not_now", "canceled"] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];
export const TERMINAL_COMMAND_STATUSES = ["acknowledged", "error", "command_format_error", "canceled"] as const satisfies readonly CommandStatus[];

/** Why a command was queued: lets the scheduler and the history tell an inventory refresh from a verification. */
export const COMMAND_PURPOSES = ["device_information", "inventory", "verify", "profile", "install", "admin"] as const;
export type CommandPurpose = (typeof COMMAND_PURPOSES)[number];

export const ROLES = ["admin", "auditor"] as const;
export type Role = (typeof ROLES)[number];

export const EVENT_CATEGORIES = ["status", "device", "admin", "security", "system"] as const;
export type EventCategory = (typeof EVENT_CATEGORIES)[number];

const inList = (column: string, values: readonly string[]) => sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(", ")})`);

// ---------------------------------------------------------------------------------------------------------
// Computers and inventory
// ---------------------------------------------------------------------------------------------------------

export const computers = sqliteTable(
  "computers",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    udid: text("udid").notNull(),
    serialNumber: text("serial_number"),
    name: text("name").notNull().default(""),
    model: text("model"), // model identifier, e.g. Mac14,2
    modelName: text("model_name"), // e.g. MacBook Air
    productName: text("product_name"),
    osVersion: text("os_version"),
    buildVersion: text("build_version"),
    architecture: text("architecture", { enum: ARCHITECTURES }),
    enrolled: flag("enrolled").notNull().default(false),
    enrolledAt: instant("enrolled_at"),
    unenrolledAt: instant("unenrolled_at"),
    lastCheckinAt: instant("last_checkin_at"),
    lastInventoryAt: instant("last_inventory_at"),
    deviceInformationAt: instant("device_information_at"),
    // The last time Pomona asked this Mac for a full inventory, or looked at it for one and left it (a request
    // still open, or not enrolled; devices.ts queueDueInventory): with lastInventoryAt, when it was last checked.
    inventoryRequestedAt: instant("inventory_requested_at"),
    pushToken: text("push_token"), // hex of the APNs device token
    pushMagic: text("push_magic"),
    pushTopic: text("push_topic"),
    pushTokenInvalidAt: instant("push_token_invalid_at"), // APNs said 410 Unregistered: wait for a new TokenUpdate
    identityCertSha256: text("identity_cert_sha256"), // bound at Authenticate (NanoMDM cert-auth)
    // What changed since the engine last visited this computer (DESIGN §3, incremental pass): 0 nothing,
    // 1 something its targets read (a command's status, a group's membership), 2 its facts (inventory,
    // enrollment: its smart groups are evaluated again first). The scheduler's pass visits and clears it.
    engineDirty: integer("engine_dirty").notNull().default(0),
    createdAt: instant("created_at").notNull(),
    updatedAt: instant("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("computers_udid_unique").on(t.udid),
    index("computers_name_idx").on(t.name),
    index("computers_serial_idx").on(t.serialNumber),
    index("computers_engine_dirty_idx").on(t.engineDirty).where(sql`${t.engineDirty} > 0`),
    index("computers_last_inventory_idx").on(t.lastInventoryAt),
    // Authenticate looks up who else holds the presented certificate (devices.ts byCertificate): without
    // this, a scan of every computer, ~17 ms of the event loop per enrollment at 100k Macs (G8).
    index("computers_identity_cert_idx").on(t.identityCertSha256),
    // Scheduled inventory walks this, so each Mac is looked at about once per interval however many
    // requests stay unanswered. devices.ts queries it by the same expression.
    index("computers_inventory_checked_idx").on(sql`max(coalesce(${t.lastInventoryAt}, 0), coalesce(${t.inventoryRequestedAt}, 0))`),
    check("computers_architecture_check", sql`${t.architecture} is null or ${inList("architecture", ARCHITECTURES)}`),
  ],
);

export const installedApps = sqliteTable(
  "installed_apps",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    computerId: integer("computer_id")
      .notNull()
      .references(() => computers.id, { onDelete: "cascade" }),
    bundleId: text("bundle_id"), // macOS may omit Identifier: such entries are kept by name
    name: text("name").notNull().default(""),
    version: text("version"),
    shortVersion: text("short_version"),
    bundleSize: integer("bundle_size"),
    installing: flag("installing").notNull().default(false),
  },
  (t) => [index("installed_apps_computer_idx").on(t.computerId, t.bundleId), index("installed_apps_bundle_idx").on(t.bundleId)],
);

// ---------------------------------------------------------------------------------------------------------
// Smart groups (DESIGN §2.1)
// ---------------------------------------------------------------------------------------------------------

export const smartGroups = sqliteTable(
  "smart_groups",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    lastCalculatedAt: instant("last_calculated_at"),
    createdAt: instant("created_at").notNull(),
    updatedAt: instant("updated_at").notNull(),
  },
  (t) => [uniqueIndex("smart_groups_name_unique").on(t.name)],
);

export const smartGroupCriteria = sqliteTable(
  "smart_group_criteria",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    smartGroupId: integer("smart_group_id")
      .notNull()
      .references(() => smartGroups.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    joiner: text("joiner", { enum: ["and", "or"] })
      .notNull()
      .default("and"),
    openParen: flag("open_paren").notNull().default(false),
    field: text("field").notNull(),
    operator: text("operator").notNull(),
    value: text("value").notNull().default(""),
    closeParen: flag("close_paren").notNull().default(false),
  },
  (t) => [uniqueIndex("smart_group_criteria_position_unique").on(t.smartGroupId, t.position)],
);

export const smartGroupMembers = sqliteTable(
  "smart_group_members",
  {
    smartGroupId: integer("smart_group_id")
      .notNull()
      .references(() => smartGroups.id, { onDelete: "cascade" }),
    computerId: integer("computer_id")
      .notNull()
      .references(() => computers.id, { onDelete: "cascade" }),
    addedAt: instant("added_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.smartGroupId, t.computerId] }),
    // Covering: a computer's groups come from the index alone. On computer_id only, each of a Mac's ~50 rows
    // (stored in group order) was a lookup on a page of its own: 72 µs per regroup at 100k Macs (G3 profile).
    index("smart_group_members_computer_group_idx").on(t.computerId, t.smartGroupId),
  ],
);

// ---------------------------------------------------------------------------------------------------------
// Catalog: titles, versions, supporting profiles
// ---------------------------------------------------------------------------------------------------------

export const catalogTitles = sqliteTable(
  "catalog_titles",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    bundleId: text("bundle_id").notNull(),
    publisher: text("publisher").notNull(),
    category: text("category").notNull(),
    createdAt: instant("created_at").notNull(),
    updatedAt: instant("updated_at").notNull(),
  },
  (t) => [uniqueIndex("catalog_titles_bundle_unique").on(t.bundleId)],
);

export const catalogVersions = sqliteTable(
  "catalog_versions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    titleId: integer("title_id")
      .notNull()
      .references(() => catalogTitles.id, { onDelete: "cascade" }),
    version: text("version").notNull(),
    shortVersion: text("short_version"),
    minimumOsVersion: text("minimum_os_version").notNull(),
    architectures: text("architectures", { mode: "json" }).$type<Architecture[]>().notNull(),
    packageUrl: text("package_url"), // null: a placeholder package served by Pomona itself
    sizeBytes: integer("size_bytes").notNull(),
    sha256: text("sha256").notNull(), // of the whole package
    chunkSizeBytes: integer("chunk_size_bytes").notNull(), // manifest `sha256-size`
    chunkSha256s: text("chunk_sha256s", { mode: "json" }).$type<string[]>().notNull(), // manifest `sha256s`
    releasedAt: instant("released_at"),
    createdAt: instant("created_at").notNull(),
    updatedAt: instant("updated_at").notNull(),
  },
  (t) => [uniqueIndex("catalog_versions_title_version_unique").on(t.titleId, t.version)],
);

export const catalogProfiles = sqliteTable(
  "catalog_profiles",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    titleId: integer("title_id")
      .notNull()
      .references(() => catalogTitles.id, { onDelete: "cascade" }),
    identifier: text("identifier").notNull(),
    displayName: text("display_name").notNull(),
    mobileconfig: text("mobileconfig").notNull(),
    createdAt: instant("created_at").notNull(),
    updatedAt: instant("updated_at").notNull(),
  },
  (t) => [uniqueIndex("catalog_profiles_title_identifier_unique").on(t.titleId, t.identifier)],
);

// ---------------------------------------------------------------------------------------------------------
// Deployments (App Installers) and their per-computer targets
// ---------------------------------------------------------------------------------------------------------

export const deployments = sqliteTable(
  "deployments",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    titleId: integer("title_id")
      .notNull()
      .references(() => catalogTitles.id, { onDelete: "restrict" }),
    smartGroupId: integer("smart_group_id")
      .notNull()
      .references(() => smartGroups.id, { onDelete: "restrict" }),
    distributionMethod: text("distribution_method", { enum: DISTRIBUTION_METHODS }).notNull(),
    updateMethod: text("update_method", { enum: UPDATE_METHODS }).notNull(),
    // Manual: the version the admin chose. Automatic: null, the catalog's newest version is the target.
    version: text("version"),
    installSupportingProfiles: flag("install_supporting_profiles").notNull().default(false),
    enabled: flag("enabled").notNull().default(true),
    selfServiceCategory: text("self_service_category"),
    selfServiceDescription: text("self_service_description"),
    createdAt: instant("created_at").notNull(),
    updatedAt: instant("updated_at").notNull(),
  },
  (t) => [
    index("deployments_title_idx").on(t.titleId),
    check("deployments_distribution_check", inList("distribution_method", DISTRIBUTION_METHODS)),
    check("deployments_update_check", inList("update_method", UPDATE_METHODS)),
    check("deployments_manual_version_check", sql`${t.updateMethod} = 'automatic' or ${t.version} is not null`),
  ],
);

export const deploymentTargets = sqliteTable(
  "deployment_targets",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    deploymentId: integer("deployment_id")
      .notNull()
      .references(() => deployments.id, { onDelete: "cascade" }),
    computerId: integer("computer_id")
      .notNull()
      .references(() => computers.id, { onDelete: "cascade" }),
    status: text("status", { enum: TARGET_STATUSES }).notNull(),
    phase: text("phase", { enum: TARGET_PHASES }).notNull(),
    reason: text("reason").notNull(),
    targetVersion: text("target_version").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: instant("next_attempt_at"),
    lastError: text("last_error"),
    selfServiceRequestedAt: instant("self_service_requested_at"),
    // The InstalledApplicationList this target waits on (dispatch or verification), if any.
    pendingInventoryCommandUuid: text("pending_inventory_command_uuid"),
    installCommandUuid: text("install_command_uuid"), // the current attempt's install command
    statusChangedAt: instant("status_changed_at").notNull(),
    // When time alone next changes this target (a retry, a confirmation, an attempt's window ending): the
    // scheduler's pass visits targets that are due, not every target.
    dueAt: instant("due_at"),
    createdAt: instant("created_at").notNull(),
    updatedAt: instant("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("deployment_targets_unique").on(t.deploymentId, t.computerId),
    index("deployment_targets_status_idx").on(t.deploymentId, t.status),
    index("deployment_targets_computer_idx").on(t.computerId),
    index("deployment_targets_due_idx").on(t.dueAt),
    check("deployment_targets_status_check", inList("status", TARGET_STATUSES)),
    check("deployment_targets_phase_check", inList("phase", TARGET_PHASES)),
    check("deployment_targets_attempts_check", sql`${t.attempts} >= 0`),
  ],
);

// ---------------------------------------------------------------------------------------------------------
// The command queue (DESIGN §3.4, reliability-security.md §3)
// ---------------------------------------------------------------------------------------------------------

export const commands = sqliteTable(
  "commands",
  {
    uuid: text("uuid").primaryKey(),
    computerId: integer("computer_id")
      .notNull()
      .references(() => computers.id, { onDelete: "cascade" }),
    requestType: text("request_type").notNull(),
    payload: text("payload").notNull(), // the full command plist as sent to the Mac
    status: text("status", { enum: COMMAND_STATUSES }).notNull().default("queued"),
    priority: integer("priority").notNull().default(0), // higher first; FIFO within a priority
    seq: integer("seq").notNull(), // monotonic enqueue order: FIFO does not depend on clock resolution
    purpose: text("purpose", { enum: COMMAND_PURPOSES }).notNull(),
    isInstall: flag("is_install").notNull().default(false), // InstallEnterpriseApplication / InstallApplication
    deploymentId: integer("deployment_id").references(() => deployments.id, { onDelete: "set null" }),
    attempt: integer("attempt"),
    idempotencyKey: text("idempotency_key"),
    createdAt: instant("created_at").notNull(),
    sentAt: instant("sent_at"),
    completedAt: instant("completed_at"),
    notNowAt: instant("not_now_at"), // first NotNow
    notNowCount: integer("not_now_count").notNull().default(0),
    // Set when an install stops occupying the Mac's single install slot (confirmed, failed, or timed out).
    releasedAt: instant("released_at"),
    errorChain: text("error_chain", { mode: "json" }).$type<CommandErrorChainItem[]>(),
    response: text("response"), // the raw report plist
    result: text("result", { mode: "json" }).$type<Record<string, unknown>>(), // parsed response keys that matter
  },
  (t) => [
    // Partial: only commands queued with a key are in it (none of the engine's), so a fan-out's hundred
    // thousand commands do not each add a NULL entry to an index no lookup reads.
    uniqueIndex("commands_idempotency_unique").on(t.idempotencyKey).where(sql`${t.idempotencyKey} is not null`),
    uniqueIndex("commands_seq_unique").on(t.seq),
    index("commands_next_idx").on(t.computerId, t.status, t.priority, t.seq),
    index("commands_deployment_idx").on(t.deploymentId),
    // At most one install in flight per Mac (DESIGN §3.4 item 7), enforced by the database itself.
    uniqueIndex("commands_one_install_in_flight")
      .on(t.computerId)
      .where(sql`${t.isInstall} = 1 and ${t.sentAt} is not null and ${t.releasedAt} is null`),
    check("commands_status_check", inList("status", COMMAND_STATUSES)),
    check("commands_purpose_check", inList("purpose", COMMAND_PURPOSES)),
  ],
);

export type CommandErrorChainItem = {
  ErrorCode?: number;
  ErrorDomain?: string;
  LocalizedDescription?: string;
  USEnglishDescription?: string;
};

// ---------------------------------------------------------------------------------------------------------
// Events: append-only history of status changes, device traffic, admin actions and security refusals
// ---------------------------------------------------------------------------------------------------------

export const events = sqliteTable(
  "events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: instant("at").notNull(),
    category: text("category", { enum: EVENT_CATEGORIES }).notNull(),
    type: text("type").notNull(), // e.g. target.status_changed, command.acknowledged, deployment.created
    actor: text("actor").notNull(), // "system", "device", or the admin's email / token label
    computerId: integer("computer_id").references(() => computers.id, { onDelete: "set null" }),
    deploymentId: integer("deployment_id").references(() => deployments.id, { onDelete: "set null" }),
    commandUuid: text("command_uuid"),
    message: text("message").notNull(), // the human reason
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (t) => [
    // Partial: a history is read by its computer or its deployment (`computer_id = ?`, which implies not
    // null, so SQLite uses these, as does ON DELETE SET NULL's lookup), and a row without one is in neither
    // history: a Mac's enrollment writes three events with no deployment, one with no computer yet (#8's G8).
    // No index by category: nothing reads events by it, and every event paid for one.
    index("events_computer_idx").on(t.computerId, t.at).where(sql`${t.computerId} is not null`),
    index("events_deployment_idx").on(t.deploymentId, t.at).where(sql`${t.deploymentId} is not null`),
    check("events_category_check", inList("category", EVENT_CATEGORIES)),
  ],
);

// ---------------------------------------------------------------------------------------------------------
// Settings, clock, credentials
// ---------------------------------------------------------------------------------------------------------

export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value", { mode: "json" }).notNull(),
  updatedAt: instant("updated_at").notNull(),
});

/**
 * The engine's bookkeeping (one row): when the last pass ran (time-based smart group criteria are checked
 * for the computers that crossed a threshold since), which smart group definitions it compiled, and whether
 * a change that touches every target (settings, the catalog) asks for a full pass.
 */
export const engineState = sqliteTable(
  "engine_state",
  {
    id: integer("id").primaryKey(),
    lastPassAt: instant("last_pass_at"),
    groupsVersion: text("groups_version"),
    fullPassRequested: flag("full_pass_requested").notNull().default(true),
  },
  (t) => [check("engine_state_singleton", sql`${t.id} = 1`)],
);

/**
 * A title whose App Installers changed (created, edited, enabled or disabled) and whose computers the
 * engine has not all visited since (DESIGN §3): written in the admin's transaction, so the change is in
 * effect from its commit. A pass over the title's computers runs in slices behind it, in ascending computer
 * id, and moves `cursor` to the last computer of each slice it commits; a computer above the cursor that
 * checks in first is visited in its own request. The row goes with the pass's last slice; one left behind
 * by a crash is resumed from its cursor by the scheduler. `request` tells a pass whether a newer change of
 * the same title restarted the scope meanwhile (that change's own pass visits every computer again).
 */
export const pendingScopes = sqliteTable("pending_scopes", {
  titleId: integer("title_id")
    .primaryKey()
    .references(() => catalogTitles.id, { onDelete: "cascade" }),
  request: integer("request").notNull(),
  requestedAt: instant("requested_at").notNull(),
  cursor: integer("cursor").notNull().default(0),
  visited: integer("visited").notNull().default(0),
  total: integer("total"),
});

/**
 * A stamp per kind of definition the engine compiles, replaced with a fresh random value by triggers on
 * every write to the tables behind it (migration 0010). A verifying answer's slice asks whether its
 * compiled smart groups, its pass context (App Installers and the catalog) and its settings are still
 * current: one primary-key read each, where an aggregate over each table was ~3 % of the 100k drain's main
 * thread. Triggers see every writer (an admin, a script, a second process). Random, not a counter: a
 * rolled-back write restores the old value, and a counter would then hand the next committed write the
 * number a cache may have read inside the rolled-back transaction.
 */
export const changeStamps = sqliteTable("change_stamps", {
  name: text("name", { enum: ["smart_groups", "pass_context", "settings"] }).primaryKey(),
  stamp: integer("stamp").notNull(),
});

/** The simulated clock's anchor (one row), so every part of the process and a restart read the same time. */
export const clockState = sqliteTable(
  "clock_state",
  {
    id: integer("id").primaryKey(),
    simulatedMs: integer("simulated_ms").notNull(),
    realMs: integer("real_ms").notNull(),
    scale: integer("scale").notNull().default(0),
  },
  (t) => [check("clock_state_singleton", sql`${t.id} = 1`)],
);

/** Key pairs Pomona holds: its device CA, the APNs push certificate. PEM text. */
export const credentials = sqliteTable("credentials", {
  name: text("name").primaryKey(), // "device_ca", "apns_push"
  certificatePem: text("certificate_pem").notNull(),
  privateKeyPem: text("private_key_pem").notNull(),
  subject: text("subject"),
  topic: text("topic"),
  notAfter: instant("not_after"),
  createdAt: instant("created_at").notNull(),
  updatedAt: instant("updated_at").notNull(),
});

// ---------------------------------------------------------------------------------------------------------
// People and tokens
// ---------------------------------------------------------------------------------------------------------

// Admin accounts, in the tables better-auth's drizzle adapter reads (model names user/session/account/
// verification). Pomona adds the role; passwords live in account.password (provider "credential").
export const user = sqliteTable(
  "user",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    email: text("email").notNull(),
    emailVerified: flag("email_verified").notNull().default(false),
    image: text("image"),
    role: text("role", { enum: ROLES }).notNull(),
    createdAt: instant("created_at").notNull(),
    updatedAt: instant("updated_at").notNull(),
  },
  (t) => [uniqueIndex("user_email_unique").on(t.email), check("user_role_check", inList("role", ROLES))],
);

export const session = sqliteTable(
  "session",
  {
    id: text("id").primaryKey(),
    token: text("token").notNull(), // the cookie's value (signed in the cookie); 256 random bits
    userId: text("user_id")
      .notNull()
      .references(() => user.id, { onDelete: "cascade" }),
    expiresAt: instant("expires_at").notNull(),
    ipAddress: text("ip_address"),
    userAgent: text("user_agent"),
    createdAt: instant("created_at").notNull(),
    updatedAt: instant("updated_at").notNull(),
  },
  (t) => [uniqueIndex("session_token_unique").on(t.token), index("session_user_idx").on(t.userId)],
);

export const account = sqliteTable(
  "account",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    providerId: text("provider_id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => user.id, { onDelete: "cascade" }),
    accessToken: text("access_token"),
    refreshToken: text("refresh_token"),
    idToken: text("id_token"),
    accessTokenExpiresAt: instant("access_token_expires_at"),
    refreshTokenExpiresAt: instant("refresh_token_expires_at"),
    scope: text("scope"),
    password: text("password"), // scrypt$N$r$p$salt$hash (server/auth/password.ts)
    createdAt: instant("created_at").notNull(),
    updatedAt: instant("updated_at").notNull(),
  },
  (t) => [index("account_user_idx").on(t.userId)],
);

export const verification = sqliteTable("verification", {
  id: text("id").primaryKey(),
  identifier: text("identifier").notNull(),
  value: text("value").notNull(),
  expiresAt: instant("expires_at").notNull(),
  createdAt: instant("created_at").notNull(),
  updatedAt: instant("updated_at").notNull(),
});

/** Failed sign-ins per email, for throttling (server/auth/throttle.ts). Survives restarts on purpose. */
export const loginFailures = sqliteTable("login_failures", {
  email: text("email").primaryKey(),
  failures: integer("failures").notNull(),
  firstFailedAt: instant("first_failed_at").notNull(),
  lockedUntil: instant("locked_until"),
});

/**
 * The audit log: one row per successful admin mutation, written in the mutation's transaction. Append-only:
 * the migration adds triggers that abort any UPDATE or DELETE. No foreign keys, so deleting a computer or a
 * user never rewrites history.
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: instant("at").notNull(),
    actorKind: text("actor_kind", { enum: ["user", "token", "system"] }).notNull(),
    actorId: text("actor_id"), // user id or API token id
    actorName: text("actor_name").notNull(), // email, token label, or "system"
    actorRole: text("actor_role").notNull(),
    ip: text("ip"),
    action: text("action").notNull(), // e.g. deployment.created
    targetType: text("target_type").notNull(), // e.g. deployment
    targetId: text("target_id"),
    targetName: text("target_name"),
    summary: text("summary").notNull(),
    changes: text("changes", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (t) => [index("audit_log_at_idx").on(t.at), index("audit_log_action_idx").on(t.action), index("audit_log_target_idx").on(t.targetType, t.targetId), index("audit_log_actor_idx").on(t.actorName)],
);

export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    label: text("label").notNull(),
    tokenHash: text("token_hash").notNull(), // SHA-256 hex; the token itself is shown once
    role: text("role", { enum: ROLES }).notNull(),
    createdAt: instant("created_at").notNull(),
    lastUsedAt: instant("last_used_at"),
    revokedAt: instant("revoked_at"),
  },
  (t) => [uniqueIndex("api_tokens_hash_unique").on(t.tokenHash), check("api_tokens_role_check", inList("role", ROLES))],
);

export const enrollmentTokens = sqliteTable(
  "enrollment_tokens",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    label: text("label").notNull().default(""),
    tokenHash: text("token_hash").notNull(),
    createdAt: instant("created_at").notNull(),
    expiresAt: instant("expires_at"),
    revokedAt: instant("revoked_at"),
    lastUsedAt: instant("last_used_at"),
    useCount: integer("use_count").notNull().default(0),
  },
  (t) => [uniqueIndex("enrollment_tokens_hash_unique").on(t.tokenHash)],
);

// ---------------------------------------------------------------------------------------------------------
// Row types
// ---------------------------------------------------------------------------------------------------------

export type Computer = typeof computers.$inferSelect;
export type NewComputer = typeof computers.$inferInsert;
export type InstalledApp = typeof installedApps.$inferSelect;
export type NewInstalledApp = typeof installedApps.$inferInsert;
export type SmartGroup = typeof smartGroups.$inferSelect;
export type SmartGroupCriterion = typeof smartGroupCriteria.$inferSelect;
export type CatalogTitle = typeof catalogTitles.$inferSelect;
export type CatalogVersion = typeof catalogVersions.$inferSelect;
export type NewCatalogVersion = typeof catalogVersions.$inferInsert;
export type CatalogProfile = typeof catalogProfiles.$inferSelect;
export type Deployment = typeof deployments.$inferSelect;
export type NewDeployment = typeof deployments.$inferInsert;
export type DeploymentTarget = typeof deploymentTargets.$inferSelect;
export type NewDeploymentTarget = typeof deploymentTargets.$inferInsert;
export type Command = typeof commands.$inferSelect;
export type NewCommand = typeof commands.$inferInsert;
export type Event = typeof events.$inferSelect;
export type NewEvent = typeof events.$inferInsert;
export type User = typeof user.$inferSelect;
export type ApiToken = typeof apiTokens.$inferSelect;
export type EnrollmentToken = typeof enrollmentTokens.$inferSelect;
export type Credential = typeof credentials.$inferSelect;
