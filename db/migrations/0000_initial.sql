CREATE TABLE `api_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`label` text NOT NULL,
	`token_hash` text NOT NULL,
	`role` text NOT NULL,
	`created_by_user_id` integer,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "api_tokens_role_check" CHECK(role in ('admin', 'auditor'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `catalog_profiles` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`title_id` integer NOT NULL,
	`identifier` text NOT NULL,
	`display_name` text NOT NULL,
	`mobileconfig` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`title_id`) REFERENCES `catalog_titles`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `catalog_profiles_title_identifier_unique` ON `catalog_profiles` (`title_id`,`identifier`);--> statement-breakpoint
CREATE TABLE `catalog_titles` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`bundle_id` text NOT NULL,
	`publisher` text NOT NULL,
	`category` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `catalog_titles_bundle_unique` ON `catalog_titles` (`bundle_id`);--> statement-breakpoint
CREATE TABLE `catalog_versions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`title_id` integer NOT NULL,
	`version` text NOT NULL,
	`short_version` text,
	`minimum_os_version` text NOT NULL,
	`architectures` text NOT NULL,
	`package_url` text,
	`size_bytes` integer NOT NULL,
	`sha256` text NOT NULL,
	`chunk_size_bytes` integer NOT NULL,
	`chunk_sha256s` text NOT NULL,
	`released_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`title_id`) REFERENCES `catalog_titles`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `catalog_versions_title_version_unique` ON `catalog_versions` (`title_id`,`version`);--> statement-breakpoint
CREATE TABLE `clock_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`simulated_ms` integer NOT NULL,
	`real_ms` integer NOT NULL,
	`scale` integer DEFAULT 0 NOT NULL,
	CONSTRAINT "clock_state_singleton" CHECK("clock_state"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE `commands` (
	`uuid` text PRIMARY KEY NOT NULL,
	`computer_id` integer NOT NULL,
	`request_type` text NOT NULL,
	`payload` text NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`priority` integer DEFAULT 0 NOT NULL,
	`seq` integer NOT NULL,
	`purpose` text NOT NULL,
	`is_install` integer DEFAULT false NOT NULL,
	`deployment_id` integer,
	`attempt` integer,
	`idempotency_key` text,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	`completed_at` integer,
	`not_now_at` integer,
	`not_now_count` integer DEFAULT 0 NOT NULL,
	`released_at` integer,
	`error_chain` text,
	`response` text,
	`result` text,
	FOREIGN KEY (`computer_id`) REFERENCES `computers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`deployment_id`) REFERENCES `deployments`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "commands_status_check" CHECK(status in ('queued', 'sent', 'acknowledged', 'error', 'command_format_error', 'not_now', 'canceled')),
	CONSTRAINT "commands_purpose_check" CHECK(purpose in ('device_information', 'inventory', 'verify', 'profile', 'install', 'admin'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `commands_computer_uuid_unique` ON `commands` (`computer_id`,`uuid`);--> statement-breakpoint
CREATE UNIQUE INDEX `commands_idempotency_unique` ON `commands` (`idempotency_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `commands_seq_unique` ON `commands` (`seq`);--> statement-breakpoint
CREATE INDEX `commands_next_idx` ON `commands` (`computer_id`,`status`,`priority`,`seq`);--> statement-breakpoint
CREATE INDEX `commands_deployment_idx` ON `commands` (`deployment_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `commands_one_install_in_flight` ON `commands` (`computer_id`) WHERE "commands"."is_install" = 1 and "commands"."sent_at" is not null and "commands"."released_at" is null;--> statement-breakpoint
CREATE TABLE `computers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`udid` text NOT NULL,
	`serial_number` text,
	`name` text DEFAULT '' NOT NULL,
	`model` text,
	`model_name` text,
	`product_name` text,
	`os_version` text,
	`build_version` text,
	`architecture` text,
	`enrolled` integer DEFAULT false NOT NULL,
	`enrolled_at` integer,
	`unenrolled_at` integer,
	`last_checkin_at` integer,
	`last_inventory_at` integer,
	`device_information_at` integer,
	`push_token` text,
	`push_magic` text,
	`push_topic` text,
	`push_token_invalid_at` integer,
	`identity_cert_sha256` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "computers_architecture_check" CHECK("computers"."architecture" is null or architecture in ('arm64', 'x86_64'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `computers_udid_unique` ON `computers` (`udid`);--> statement-breakpoint
CREATE INDEX `computers_name_idx` ON `computers` (`name`);--> statement-breakpoint
CREATE INDEX `computers_serial_idx` ON `computers` (`serial_number`);--> statement-breakpoint
CREATE TABLE `credentials` (
	`name` text PRIMARY KEY NOT NULL,
	`certificate_pem` text NOT NULL,
	`private_key_pem` text NOT NULL,
	`subject` text,
	`topic` text,
	`not_after` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `deployment_targets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`deployment_id` integer NOT NULL,
	`computer_id` integer NOT NULL,
	`status` text NOT NULL,
	`phase` text NOT NULL,
	`reason` text NOT NULL,
	`target_version` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`last_error` text,
	`self_service_requested_at` integer,
	`pending_inventory_command_uuid` text,
	`install_command_uuid` text,
	`status_changed_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`deployment_id`) REFERENCES `deployments`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`computer_id`) REFERENCES `computers`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "deployment_targets_status_check" CHECK(status in ('in_progress', 'self_service_available', 'installed', 'unqualified', 'failed')),
	CONSTRAINT "deployment_targets_phase_check" CHECK(phase in ('waiting_for_inventory', 'waiting_for_device_information', 'waiting_for_device', 'waiting_for_install_slot', 'profiles_sent', 'install_sent', 'not_now', 'acknowledged', 'verifying', 'waiting_for_next_attempt', 'waiting_for_user', 'done')),
	CONSTRAINT "deployment_targets_attempts_check" CHECK("deployment_targets"."attempts" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deployment_targets_unique` ON `deployment_targets` (`deployment_id`,`computer_id`);--> statement-breakpoint
CREATE INDEX `deployment_targets_status_idx` ON `deployment_targets` (`deployment_id`,`status`);--> statement-breakpoint
CREATE INDEX `deployment_targets_computer_idx` ON `deployment_targets` (`computer_id`);--> statement-breakpoint
CREATE INDEX `deployment_targets_due_idx` ON `deployment_targets` (`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `deployments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`title_id` integer NOT NULL,
	`smart_group_id` integer NOT NULL,
	`distribution_method` text NOT NULL,
	`update_method` text NOT NULL,
	`version` text,
	`install_supporting_profiles` integer DEFAULT false NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`self_service_category` text,
	`self_service_description` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`title_id`) REFERENCES `catalog_titles`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`smart_group_id`) REFERENCES `smart_groups`(`id`) ON UPDATE no action ON DELETE restrict,
	CONSTRAINT "deployments_distribution_check" CHECK(distribution_method in ('install_automatically', 'self_service')),
	CONSTRAINT "deployments_update_check" CHECK(update_method in ('automatic', 'manual')),
	CONSTRAINT "deployments_manual_version_check" CHECK("deployments"."update_method" = 'automatic' or "deployments"."version" is not null)
);
--> statement-breakpoint
CREATE INDEX `deployments_title_idx` ON `deployments` (`title_id`);--> statement-breakpoint
CREATE TABLE `enrollment_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`label` text DEFAULT '' NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`revoked_at` integer,
	`last_used_at` integer,
	`use_count` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `enrollment_tokens_hash_unique` ON `enrollment_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`category` text NOT NULL,
	`type` text NOT NULL,
	`actor` text NOT NULL,
	`computer_id` integer,
	`deployment_id` integer,
	`command_uuid` text,
	`message` text NOT NULL,
	`data` text,
	FOREIGN KEY (`computer_id`) REFERENCES `computers`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`deployment_id`) REFERENCES `deployments`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "events_category_check" CHECK(category in ('status', 'device', 'admin', 'security', 'system'))
);
--> statement-breakpoint
CREATE INDEX `events_computer_idx` ON `events` (`computer_id`,`at`);--> statement-breakpoint
CREATE INDEX `events_deployment_idx` ON `events` (`deployment_id`,`at`);--> statement-breakpoint
CREATE INDEX `events_category_idx` ON `events` (`category`,`at`);--> statement-breakpoint
CREATE TABLE `installed_apps` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`computer_id` integer NOT NULL,
	`bundle_id` text,
	`name` text DEFAULT '' NOT NULL,
	`version` text,
	`short_version` text,
	`bundle_size` integer,
	`installing` integer DEFAULT false NOT NULL,
	FOREIGN KEY (`computer_id`) REFERENCES `computers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `installed_apps_computer_idx` ON `installed_apps` (`computer_id`,`bundle_id`);--> statement-breakpoint
CREATE INDEX `installed_apps_bundle_idx` ON `installed_apps` (`bundle_id`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` integer NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `smart_group_criteria` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`smart_group_id` integer NOT NULL,
	`position` integer NOT NULL,
	`joiner` text DEFAULT 'and' NOT NULL,
	`open_paren` integer DEFAULT false NOT NULL,
	`field` text NOT NULL,
	`operator` text NOT NULL,
	`value` text DEFAULT '' NOT NULL,
	`close_paren` integer DEFAULT false NOT NULL,
	FOREIGN KEY (`smart_group_id`) REFERENCES `smart_groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `smart_group_criteria_position_unique` ON `smart_group_criteria` (`smart_group_id`,`position`);--> statement-breakpoint
CREATE TABLE `smart_group_members` (
	`smart_group_id` integer NOT NULL,
	`computer_id` integer NOT NULL,
	`added_at` integer NOT NULL,
	PRIMARY KEY(`smart_group_id`, `computer_id`),
	FOREIGN KEY (`smart_group_id`) REFERENCES `smart_groups`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`computer_id`) REFERENCES `computers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `smart_group_members_computer_idx` ON `smart_group_members` (`computer_id`);--> statement-breakpoint
CREATE TABLE `smart_groups` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`last_calculated_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `smart_groups_name_unique` ON `smart_groups` (`name`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`role` text NOT NULL,
	`password_hash` text NOT NULL,
	`disabled` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "users_role_check" CHECK(role in ('admin', 'auditor'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);