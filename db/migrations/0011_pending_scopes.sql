CREATE TABLE `pending_scopes` (
	`title_id` integer PRIMARY KEY NOT NULL,
	`request` integer NOT NULL,
	`requested_at` integer NOT NULL,
	`cursor` integer DEFAULT 0 NOT NULL,
	`visited` integer DEFAULT 0 NOT NULL,
	`total` integer,
	FOREIGN KEY (`title_id`) REFERENCES `catalog_titles`(`id`) ON UPDATE no action ON DELETE cascade
);
