// RFC 4180 CSV for the per-computer table: every field quoted, quotes doubled, CRLF line ends. A field that a
// spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe: computer names come
// from the Macs themselves.

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '""';
  let text = String(value);
  if (typeof value === "string" && FORMULA_START.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export function csvRow(values: (string | number | null | undefined)[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}

/** A download filename from the installer's name: letters, digits, dot, dash and underscore; the rest becomes "-". */
export function csvFilename(name: string, suffix: string): { ascii: string; utf8: string } {
  const base = name.normalize("NFKC").trim() || "app-installer";
  const ascii = `${base.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "app-installer"}-${suffix}.csv`;
  const utf8 = [...base].map((c) => (c.charCodeAt(0) < 0x20 || '\\/:*?"<>|'.includes(c) ? "-" : c)).join("");
  return { ascii, utf8: `${utf8}-${suffix}.csv` };
}
