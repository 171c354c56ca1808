CREATE TABLE `engine_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`last_pass_at` integer,
	`groups_version` text,
	`full_pass_requested` integer DEFAULT true NOT NULL,
	CONSTRAINT "engine_state_singleton" CHECK("engine_state"."id" = 1)
);
--> statement-breakpoint
DROP INDEX `deployment_targets_due_idx`;--> statement-breakpoint
ALTER TABLE `deployment_targets` ADD `due_at` integer;--> statement-breakpoint
CREATE INDEX `deployment_targets_due_idx` ON `deployment_targets` (`due_at`);--> statement-breakpoint
ALTER TABLE `computers` ADD `engine_dirty` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `computers_engine_dirty_idx` ON `computers` (`engine_dirty`) WHERE "computers"."engine_dirty" > 0;--> statement-breakpoint
CREATE INDEX `computers_last_inventory_idx` ON `computers` (`last_inventory_at`);