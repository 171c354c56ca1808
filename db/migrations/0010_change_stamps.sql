CREATE TABLE `change_stamps` (
	`name` text PRIMARY KEY NOT NULL,
	`stamp` integer NOT NULL
);
--> statement-breakpoint
-- A stamp per kind of definition the engine compiles (db/schema.ts `changeStamps`): every write to the
-- tables behind it, whoever writes (an admin, a script, another process), gives it a fresh random value that
-- fits a JavaScript number.
INSERT INTO `change_stamps` (`name`, `stamp`) VALUES ('smart_groups', abs(random() % 9007199254740991)), ('pass_context', abs(random() % 9007199254740991)), ('settings', abs(random() % 9007199254740991));
--> statement-breakpoint
-- Smart groups: a group's definition and its criteria; not `last_calculated_at`, which every pass stamps.
CREATE TRIGGER `smart_groups_stamp_insert` AFTER INSERT ON `smart_groups` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'smart_groups'; END;
--> statement-breakpoint
CREATE TRIGGER `smart_groups_stamp_update` AFTER UPDATE OF `id`, `name`, `description`, `created_at`, `updated_at` ON `smart_groups` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'smart_groups'; END;
--> statement-breakpoint
CREATE TRIGGER `smart_groups_stamp_delete` AFTER DELETE ON `smart_groups` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'smart_groups'; END;
--> statement-breakpoint
CREATE TRIGGER `smart_group_criteria_stamp_insert` AFTER INSERT ON `smart_group_criteria` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'smart_groups'; END;
--> statement-breakpoint
CREATE TRIGGER `smart_group_criteria_stamp_update` AFTER UPDATE ON `smart_group_criteria` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'smart_groups'; END;
--> statement-breakpoint
CREATE TRIGGER `smart_group_criteria_stamp_delete` AFTER DELETE ON `smart_group_criteria` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'smart_groups'; END;
--> statement-breakpoint
-- A pass's context: App Installers and the catalog (titles, versions, supporting profiles).
CREATE TRIGGER `deployments_stamp_insert` AFTER INSERT ON `deployments` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'pass_context'; END;
--> statement-breakpoint
CREATE TRIGGER `deployments_stamp_update` AFTER UPDATE ON `deployments` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'pass_context'; END;
--> statement-breakpoint
CREATE TRIGGER `deployments_stamp_delete` AFTER DELETE ON `deployments` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'pass_context'; END;
--> statement-breakpoint
CREATE TRIGGER `catalog_titles_stamp_insert` AFTER INSERT ON `catalog_titles` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'pass_context'; END;
--> statement-breakpoint
CREATE TRIGGER `catalog_titles_stamp_update` AFTER UPDATE ON `catalog_titles` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'pass_context'; END;
--> statement-breakpoint
CREATE TRIGGER `catalog_titles_stamp_delete` AFTER DELETE ON `catalog_titles` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'pass_context'; END;
--> statement-breakpoint
CREATE TRIGGER `catalog_versions_stamp_insert` AFTER INSERT ON `catalog_versions` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'pass_context'; END;
--> statement-breakpoint
CREATE TRIGGER `catalog_versions_stamp_update` AFTER UPDATE ON `catalog_versions` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'pass_context'; END;
--> statement-breakpoint
CREATE TRIGGER `catalog_versions_stamp_delete` AFTER DELETE ON `catalog_versions` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'pass_context'; END;
--> statement-breakpoint
CREATE TRIGGER `catalog_profiles_stamp_insert` AFTER INSERT ON `catalog_profiles` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'pass_context'; END;
--> statement-breakpoint
CREATE TRIGGER `catalog_profiles_stamp_update` AFTER UPDATE ON `catalog_profiles` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'pass_context'; END;
--> statement-breakpoint
CREATE TRIGGER `catalog_profiles_stamp_delete` AFTER DELETE ON `catalog_profiles` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'pass_context'; END;
--> statement-breakpoint
-- Settings.
CREATE TRIGGER `settings_stamp_insert` AFTER INSERT ON `settings` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'settings'; END;
--> statement-breakpoint
CREATE TRIGGER `settings_stamp_update` AFTER UPDATE ON `settings` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'settings'; END;
--> statement-breakpoint
CREATE TRIGGER `settings_stamp_delete` AFTER DELETE ON `settings` BEGIN UPDATE `change_stamps` SET `stamp` = abs(random() % 9007199254740991) WHERE `name` = 'settings'; END;
