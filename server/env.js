// The one place that reads process.env (STYLE §3.10). Plain JS because next.config.js imports it.
import { z } from "zod";

const toggle = (/** @type {string} */ name) =>
  z.enum(["0", "1", "true", "false"], { message: `${name} must be 0, 1, true or false` }).transform((v) => v === "1" || v === "true");

export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number({ message: "PORT must be a number" }).int().min(1).max(65535).default(3000),
  POMONA_DB: z.string().default("./data/pomona.db"),
  POMONA_CLOCK: z.enum(["system", "simulated"], { message: "POMONA_CLOCK must be 'system' or 'simulated'" }).default("system"),
  POMONA_TIME_SCALE: z.coerce
    .number({ message: "POMONA_TIME_SCALE must be a number (simulated seconds per real second)" })
    .min(0, "POMONA_TIME_SCALE must be 0 or more")
    .max(1_000_000, "POMONA_TIME_SCALE must be at most 1000000")
    .optional(),
  POMONA_CATALOG_FEED: z.string().optional(),
  POMONA_API_TOKEN: z.string().min(16, "POMONA_API_TOKEN must be at least 16 characters").optional(),
  POMONA_ENROLL_TOKEN: z.string().min(16, "POMONA_ENROLL_TOKEN must be at least 16 characters").optional(),
  POMONA_PUBLIC_URL: z.url({ protocol: /^https?$/, message: "POMONA_PUBLIC_URL must be an http(s) URL" }).optional(),
  POMONA_DEMO: toggle("POMONA_DEMO").default(true),
  POMONA_DEVICE_AUTH: z.enum(["signature", "none"], { message: "POMONA_DEVICE_AUTH must be 'signature' or 'none'" }).default("signature"),
});

/** @typedef {z.infer<typeof envSchema>} Env */

/**
 * Parses an environment, treating empty strings as missing, and throws one error listing every problem.
 * @param {Record<string, string | undefined>} source
 * @returns {Env}
 */
export function parseEnv(source) {
  /** @type {Record<string, string>} */
  const present = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = source[key];
    if (value !== undefined && value.trim() !== "") present[key] = value;
  }
  const result = envSchema.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  - ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new Error(`Invalid environment (${lines.length} problem${lines.length === 1 ? "" : "s"}):\n${lines.join("\n")}`);
  }
  return result.data;
}

/** The URL Macs reach Pomona at (DESIGN §4.3). */
export function publicUrl(/** @type {Env} */ e) {
  return (e.POMONA_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, "");
}

export const env = parseEnv(process.env);
