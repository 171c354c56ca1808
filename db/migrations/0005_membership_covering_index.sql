DROP INDEX `smart_group_members_computer_idx`;--> statement-breakpoint
CREATE INDEX `smart_group_members_computer_group_idx` ON `smart_group_members` (`computer_id`,`smart_group_id`);