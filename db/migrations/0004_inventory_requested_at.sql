ALTER TABLE `computers` ADD `inventory_requested_at` integer;--> statement-breakpoint
CREATE INDEX `computers_inventory_checked_idx` ON `computers` (max(coalesce("last_inventory_at", 0), coalesce("inventory_requested_at", 0)));
