// A small leveled logger writing one line per entry; injected through deps so tests can silence or capture it.

export type LogFields = Record<string, unknown>;
export type Logger = {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
};

const LEVELS = ["debug", "info", "warn", "error"] as const;
type Level = (typeof LEVELS)[number];

function format(fields?: LogFields) {
  if (!fields) return "";
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}=${typeof v === "string" ? JSON.stringify(v) : v instanceof Error ? JSON.stringify(v.message) : JSON.stringify(v)}`)
    .join("");
}

export function createConsoleLogger(minLevel: Level = "info"): Logger {
  const min = LEVELS.indexOf(minLevel);
  const at = (level: Level) => (msg: string, fields?: LogFields) => {
    if (LEVELS.indexOf(level) < min) return;
    const line = `[pomona] ${level.toUpperCase().padEnd(5)} ${msg}${format(fields)}`;
    if (level === "error" || level === "warn") console.error(line);
    else console.log(line);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A logger that keeps entries in memory, for tests that assert what was logged. */
export function createMemoryLogger(): Logger & { entries: { level: Level; msg: string; fields?: LogFields }[] } {
  const entries: { level: Level; msg: string; fields?: LogFields }[] = [];
  const at = (level: Level) => (msg: string, fields?: LogFields) => void entries.push({ level, msg, fields });
  return { entries, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
