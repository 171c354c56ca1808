DROP INDEX `commands_computer_uuid_unique`;--> statement-breakpoint
DROP INDEX `commands_idempotency_unique`;--> statement-breakpoint
CREATE UNIQUE INDEX `commands_idempotency_unique` ON `commands` (`idempotency_key`) WHERE "commands"."idempotency_key" is not null;