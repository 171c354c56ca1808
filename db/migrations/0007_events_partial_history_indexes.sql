DROP INDEX `events_computer_idx`;--> statement-breakpoint
DROP INDEX `events_deployment_idx`;--> statement-breakpoint
CREATE INDEX `events_computer_idx` ON `events` (`computer_id`,`at`) WHERE "events"."computer_id" is not null;--> statement-breakpoint
CREATE INDEX `events_deployment_idx` ON `events` (`deployment_id`,`at`) WHERE "events"."deployment_id" is not null;