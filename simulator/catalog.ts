// What a Mac fleet looks like: real model identifiers, real macOS version/build pairs, the apps Apple
// ships and the third-party apps offices install (real bundle ids; versions as the vendors shipped them
// in late 2024, with older ones for Macs that fell behind). Each Mac is generated from its own seeded
// stream, so a fleet is reproducible from one seed.
import { rngFor, type Rng } from "./random";

export type Architecture = "arm64" | "x86_64";

export type MacModel = {
  /** Model identifier, e.g. "Mac14,2" (DeviceInformation `Model` and `ProductName`). */
  identifier: string;
  /** Marketing family, e.g. "MacBook Air" (`ModelName`). */
  name: string;
  architecture: Architecture;
  /** The macOS the model shipped with: it never runs anything older. */
  minimumOs: string;
  /** Storage in GB for DeviceCapacity. */
  capacitiesGb: readonly number[];
};

export type OsRelease = { version: string; build: string };

export type InstalledApp = {
  /** Bundle identifier; macOS omits `Identifier` for some bundles, so it may be absent. */
  identifier?: string;
  name: string;
  shortVersion: string;
  version: string;
  bundleSize: number;
};

export type MacSpec = {
  udid: string;
  serialNumber: string;
  deviceName: string;
  model: MacModel;
  os: OsRelease;
  capacityGb: number;
  apps: InstalledApp[];
};

export const MAC_MODELS: readonly MacModel[] = [
  { identifier: "Mac14,2", name: "MacBook Air", architecture: "arm64", minimumOs: "12.4", capacitiesGb: [256, 512, 1024] },
  { identifier: "Mac15,3", name: "MacBook Pro", architecture: "arm64", minimumOs: "14.1", capacitiesGb: [512, 1024] },
  { identifier: "Mac14,3", name: "Mac mini", architecture: "arm64", minimumOs: "13.2", capacitiesGb: [256, 512] },
  { identifier: "MacBookAir10,1", name: "MacBook Air", architecture: "arm64", minimumOs: "11.0", capacitiesGb: [256, 512] },
  { identifier: "MacBookPro17,1", name: "MacBook Pro", architecture: "arm64", minimumOs: "11.0", capacitiesGb: [256, 512, 1024] },
  { identifier: "MacBookPro16,1", name: "MacBook Pro", architecture: "x86_64", minimumOs: "10.15.1", capacitiesGb: [512, 1024] },
  { identifier: "MacBookAir9,1", name: "MacBook Air", architecture: "x86_64", minimumOs: "10.15.3", capacitiesGb: [256, 512] },
  { identifier: "iMac20,1", name: "iMac", architecture: "x86_64", minimumOs: "10.15.6", capacitiesGb: [256, 512] },
  { identifier: "Macmini8,1", name: "Mac mini", architecture: "x86_64", minimumOs: "10.14", capacitiesGb: [128, 256, 512] },
];

/** Real version/build pairs, weighted towards what a managed fleet runs. */
export const OS_RELEASES: readonly { release: OsRelease; weight: number }[] = [
  { release: { version: "12.7.6", build: "21H1320" }, weight: 10 },
  { release: { version: "13.6.7", build: "22G720" }, weight: 6 },
  { release: { version: "13.6.9", build: "22G830" }, weight: 10 },
  { release: { version: "14.5", build: "23F79" }, weight: 8 },
  { release: { version: "14.6.1", build: "23G93" }, weight: 16 },
  { release: { version: "14.7.1", build: "23H222" }, weight: 12 },
  { release: { version: "15.0.1", build: "24A348" }, weight: 8 },
  { release: { version: "15.1", build: "24B83" }, weight: 20 },
  { release: { version: "15.1.1", build: "24B91" }, weight: 10 },
];

/** Numeric comparison per dot: 13.10 > 13.9. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map((p) => parseInt(p, 10) || 0);
  const pb = b.split(".").map((p) => parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export const osMajor = (version: string) => parseInt(version.split(".")[0] ?? "0", 10);

// ---------------------------------------------------------------------------------------------------------
// Apps
// ---------------------------------------------------------------------------------------------------------

type AppleApp = { identifier: string; name: string | ((major: number) => string); versions: Record<number, [short: string, version: string]>; size: number; share?: number };

// Keyed by macOS major (12 Monterey, 13 Ventura, 14 Sonoma, 15 Sequoia); older majors use the 12 entry.
const APPLE_APPS: readonly AppleApp[] = [
  { identifier: "com.apple.Safari", name: "Safari", size: 93_671_424, versions: { 12: ["17.6", "17618.3.11.11.7"], 13: ["17.6", "18618.3.11.11.7"], 14: ["17.6", "19618.3.11.11.5"], 15: ["18.1", "20619.2.8.11.10"] } },
  { identifier: "com.apple.mail", name: "Mail", size: 32_776_192, versions: { 12: ["15.0", "3696.120.41.1.8"], 13: ["16.0", "3731.700.6"], 14: ["16.0", "3774.600.62"], 15: ["16.0", "3826.200.121"] } },
  { identifier: "com.apple.MobileSMS", name: "Messages", size: 18_034_688, versions: { 12: ["14.0", "6015.0.10"], 13: ["14.0", "1186.700.5"], 14: ["14.0", "1216.600.51"], 15: ["14.0", "1320.200.121"] } },
  { identifier: "com.apple.FaceTime", name: "FaceTime", size: 12_648_448, versions: { 12: ["5.0", "5.0"], 13: ["5.0", "5.0"], 14: ["5.0", "5.0"], 15: ["5.0", "5.0"] } },
  { identifier: "com.apple.Maps", name: "Maps", size: 21_987_328, versions: { 12: ["3.0", "2946.8.11.30.6"], 13: ["3.0", "3093.5.7.30.8"], 14: ["3.0", "3205.8.5.30.4"], 15: ["3.0", "3349.2.11.30.5"] } },
  { identifier: "com.apple.Photos", name: "Photos", size: 41_517_056, versions: { 12: ["7.0", "525.0.180"], 13: ["8.0", "570.8.120"], 14: ["9.0", "660.0.115"], 15: ["10.0", "740.0.120"] } },
  { identifier: "com.apple.Music", name: "Music", size: 110_338_048, versions: { 12: ["1.2.6", "1.2.6.1"], 13: ["1.3.6", "1.3.6.1"], 14: ["1.4.5", "1.4.5.7"], 15: ["1.5.1", "1.5.1.4"] } },
  { identifier: "com.apple.TV", name: "TV", size: 64_831_488, versions: { 12: ["1.2.6", "1.2.6.1"], 13: ["1.3.6", "1.3.6.1"], 14: ["1.4.5", "1.4.5.7"], 15: ["1.5.1", "1.5.1.4"] } },
  { identifier: "com.apple.Notes", name: "Notes", size: 26_279_936, versions: { 12: ["4.9", "2397.120.7"], 13: ["4.10", "2453.700.6"], 14: ["4.11", "2598.600.5"], 15: ["4.12", "2698.200.121"] } },
  { identifier: "com.apple.reminders", name: "Reminders", size: 18_882_560, versions: { 12: ["7.0", "2163.4.7"], 13: ["7.0", "2251.700.6"], 14: ["7.0", "2315.0.10"], 15: ["7.0", "2451.200.121"] } },
  { identifier: "com.apple.iCal", name: "Calendar", size: 20_561_920, versions: { 12: ["11.0", "2811.6.1"], 13: ["11.0", "2855.700.6"], 14: ["14.0", "2970"], 15: ["15.0", "3011.200.121"] } },
  { identifier: "com.apple.AddressBook", name: "Contacts", size: 17_563_648, versions: { 12: ["13.0", "2498.5.1"], 13: ["14.0", "2593.700.6"], 14: ["14.0", "2657.600.2"], 15: ["14.0", "2718.200.121"] } },
  { identifier: "com.apple.Preview", name: "Preview", size: 31_850_496, versions: { 12: ["11.0", "1056.5.1"], 13: ["11.0", "1069.700.6"], 14: ["11.0", "1056.5.1"], 15: ["11.0", "1069.7.1"] } },
  { identifier: "com.apple.calculator", name: "Calculator", size: 5_439_488, versions: { 12: ["10.16", "197"], 13: ["10.16", "197"], 14: ["10.16", "197"], 15: ["11.0", "228"] } },
  { identifier: "com.apple.AppStore", name: "App Store", size: 15_941_632, versions: { 12: ["3.0", "1132.6.4"], 13: ["3.0", "1163.700.3"], 14: ["3.0", "1214.6.1"], 15: ["3.0", "1269.2.3"] } },
  { identifier: "com.apple.systempreferences", name: (major) => (major >= 13 ? "System Settings" : "System Preferences"), size: 9_543_680, versions: { 12: ["11.0", "18"], 13: ["15.0", "15.0"], 14: ["15.0", "15.0"], 15: ["15.0", "15.0"] } },
  { identifier: "com.apple.TextEdit", name: "TextEdit", size: 6_922_240, versions: { 12: ["1.17", "365"], 13: ["1.18", "377"], 14: ["1.19", "386"], 15: ["1.20", "391"] } },
  { identifier: "com.apple.Terminal", name: "Terminal", size: 10_620_928, versions: { 12: ["2.12.7", "445"], 13: ["2.13", "447"], 14: ["2.14", "453"], 15: ["2.14", "455.1"] } },
  { identifier: "com.apple.iWork.Pages", name: "Pages", size: 548_405_248, share: 0.6, versions: { 12: ["13.2", "7031.0.102"], 13: ["14.2", "7041.0.109"], 14: ["14.2", "7041.0.109"], 15: ["14.2", "7041.0.109"] } },
  { identifier: "com.apple.iWork.Numbers", name: "Numbers", size: 491_876_352, share: 0.55, versions: { 12: ["13.2", "7031.0.102"], 13: ["14.2", "7041.0.109"], 14: ["14.2", "7041.0.109"], 15: ["14.2", "7041.0.109"] } },
  { identifier: "com.apple.iWork.Keynote", name: "Keynote", size: 729_825_280, share: 0.5, versions: { 12: ["13.2", "7031.0.102"], 13: ["14.2", "7041.0.109"], 14: ["14.2", "7041.0.109"], 15: ["14.2", "7041.0.109"] } },
];

type ThirdPartyApp = {
  identifier: string;
  name: string;
  /** Share of Macs that have it. */
  share: number;
  /** Newest first: [ShortVersion, Version]. The first is current; the others are Macs that fell behind. */
  versions: readonly [short: string, version: string][];
  size: number;
  /** Only on Apple silicon. */
  armOnly?: boolean;
};

export const THIRD_PARTY_APPS: readonly ThirdPartyApp[] = [
  { identifier: "com.google.Chrome", name: "Google Chrome", share: 0.8, size: 1_210_056_704, versions: [["131.0.6778.86", "131.0.6778.86"], ["130.0.6723.117", "130.0.6723.117"], ["128.0.6613.138", "128.0.6613.138"], ["124.0.6367.208", "124.0.6367.208"]] },
  { identifier: "org.mozilla.firefox", name: "Firefox", share: 0.25, size: 412_385_280, versions: [["133.0", "133.0"], ["132.0.2", "132.0.2"], ["128.4.0", "128.4.0"]] },
  { identifier: "com.microsoft.edgemac", name: "Microsoft Edge", share: 0.15, size: 1_093_664_768, versions: [["131.0.2903.70", "131.0.2903.70"], ["130.0.2849.80", "130.0.2849.80"]] },
  { identifier: "com.microsoft.Word", name: "Microsoft Word", share: 0.55, size: 2_385_715_200, versions: [["16.91", "16.91.24111020"], ["16.90", "16.90.24101317"], ["16.88", "16.88.24081116"], ["16.78", "16.78.23100802"]] },
  { identifier: "com.microsoft.Excel", name: "Microsoft Excel", share: 0.5, size: 2_189_647_872, versions: [["16.91", "16.91.24111020"], ["16.90", "16.90.24101317"], ["16.88", "16.88.24081116"]] },
  { identifier: "com.microsoft.Powerpoint", name: "Microsoft PowerPoint", share: 0.45, size: 1_821_765_632, versions: [["16.91", "16.91.24111020"], ["16.90", "16.90.24101317"], ["16.88", "16.88.24081116"]] },
  { identifier: "com.microsoft.Outlook", name: "Microsoft Outlook", share: 0.45, size: 2_063_597_568, versions: [["16.91", "16.91.24111020"], ["16.90", "16.90.24101317"], ["16.88", "16.88.24081116"]] },
  { identifier: "com.microsoft.teams2", name: "Microsoft Teams", share: 0.4, size: 634_388_480, versions: [["24295.605.3225.8804", "24295.605.3225.8804"], ["24277.3507.3205.5228", "24277.3507.3205.5228"], ["24215.1007.3082.1590", "24215.1007.3082.1590"]] },
  { identifier: "com.microsoft.OneDrive", name: "OneDrive", share: 0.3, size: 362_807_296, versions: [["24.226.1110.0004", "24.226.1110.0004"], ["24.211.1020.0001", "24.211.1020.0001"]] },
  { identifier: "com.tinyspeck.slackmacgap", name: "Slack", share: 0.7, size: 478_150_656, versions: [["4.41.105", "4.41.105"], ["4.41.97", "4.41.97"], ["4.40.128", "4.40.128"], ["4.36.140", "4.36.140"]] },
  { identifier: "us.zoom.xos", name: "zoom.us", share: 0.6, size: 290_455_552, versions: [["6.2.11", "6.2.11.43613"], ["6.2.10", "6.2.10.43047"], ["5.17.11", "5.17.11.31580"]] },
  { identifier: "com.1password.1password", name: "1Password", share: 0.4, size: 396_361_728, versions: [["8.10.54", "8.10.54"], ["8.10.50", "8.10.50"], ["8.10.36", "8.10.36"]] },
  { identifier: "com.microsoft.VSCode", name: "Visual Studio Code", share: 0.3, size: 602_931_200, versions: [["1.95.3", "1.95.3"], ["1.95.2", "1.95.2"], ["1.90.2", "1.90.2"]] },
  { identifier: "com.docker.docker", name: "Docker", share: 0.15, size: 2_155_872_256, versions: [["4.36.0", "4.36.0"], ["4.34.3", "4.34.3"], ["4.30.0", "4.30.0"]] },
  { identifier: "com.figma.Desktop", name: "Figma", share: 0.2, size: 424_673_280, versions: [["124.6.5", "124.6.5"], ["124.4.7", "124.4.7"], ["116.18.6", "116.18.6"]] },
  { identifier: "notion.id", name: "Notion", share: 0.3, size: 392_167_424, versions: [["3.18.0", "3.18.0"], ["3.17.0", "3.17.0"], ["3.9.1", "3.9.1"]] },
  { identifier: "com.spotify.client", name: "Spotify", share: 0.35, size: 346_030_080, versions: [["1.2.52.442", "1.2.52.442"], ["1.2.50.335", "1.2.50.335"], ["1.2.31.1205", "1.2.31.1205"]] },
  { identifier: "com.adobe.Reader", name: "Adobe Acrobat Reader", share: 0.3, size: 1_089_470_464, versions: [["24.005.20320", "24.005.20320"], ["24.004.20272", "24.004.20272"]] },
  { identifier: "com.getdropbox.dropbox", name: "Dropbox", share: 0.15, size: 601_882_624, versions: [["212.4.5767", "212.4.5767"], ["211.4.6008", "211.4.6008"]] },
  { identifier: "org.videolan.vlc", name: "VLC", share: 0.2, size: 194_117_632, versions: [["3.0.21", "3.0.21"], ["3.0.20", "3.0.20"], ["3.0.18", "3.0.18"]] },
  { identifier: "com.googlecode.iterm2", name: "iTerm", share: 0.1, size: 96_468_992, versions: [["3.5.10", "3.5.10"], ["3.5.4", "3.5.4"]] },
  { identifier: "com.postmanlabs.mac", name: "Postman", share: 0.08, size: 541_065_216, versions: [["11.22.0", "11.22.0"], ["11.18.0", "11.18.0"]] },
  { identifier: "com.openai.chat", name: "ChatGPT", share: 0.12, size: 258_998_272, armOnly: true, versions: [["1.2024.340", "1.2024.340"], ["1.2024.317", "1.2024.317"]] },
  { identifier: "com.knollsoft.Rectangle", name: "Rectangle", share: 0.1, size: 14_680_064, versions: [["0.85", "95"], ["0.84", "94"]] },
];

/** Share of installed third-party apps that lag behind the current version. */
const OUTDATED_SHARE = 0.35;

function appleAppsFor(os: OsRelease, rng: Rng): InstalledApp[] {
  const major = Math.max(12, Math.min(15, osMajor(os.version)));
  const out: InstalledApp[] = [];
  for (const app of APPLE_APPS) {
    if (app.share !== undefined && !rng.chance(app.share)) continue;
    const [shortVersion, version] = app.versions[major] ?? app.versions[12]!;
    const name = typeof app.name === "function" ? app.name(major) : app.name;
    out.push({ identifier: app.identifier, name, shortVersion, version, bundleSize: app.size });
  }
  return out;
}

function thirdPartyAppsFor(architecture: Architecture, rng: Rng): InstalledApp[] {
  const out: InstalledApp[] = [];
  for (const app of THIRD_PARTY_APPS) {
    if (app.armOnly && architecture !== "arm64") continue;
    if (!rng.chance(app.share)) continue;
    const outdated = app.versions.length > 1 && rng.chance(OUTDATED_SHARE);
    const [shortVersion, version] = outdated ? app.versions[rng.int(1, app.versions.length - 1)]! : app.versions[0]!;
    // Sizes differ a little between Macs (caches, language packs).
    const bundleSize = Math.round(app.size * rng.between(0.97, 1.03));
    out.push({ identifier: app.identifier, name: app.name, shortVersion, version, bundleSize });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Names, serials, UDIDs
// ---------------------------------------------------------------------------------------------------------

const FIRST_NAMES = ["Jamie", "Alex", "Priya", "Mateo", "Sofia", "Noah", "Amara", "Kenji", "Lena", "Omar", "Chloé", "Björn", "Aisha", "Lucas", "Mei", "Daniel", "Zoë", "Ravi", "Hannah", "Tomás", "Ingrid", "Kwame", "Yuki", "Elena"];
const ROOMS = ["Design Lab", "Front Desk", "Studio", "Finance", "Library", "Reception", "Newsroom", "Edit Suite", "Classroom 4B", "Sales", "Support", "Research"];
const SHORT_KIND: Record<string, string> = { "MacBook Air": "Air", "MacBook Pro": "MacBook Pro", "Mac mini": "Mac mini", iMac: "iMac" };
const HOST_KIND: Record<string, string> = { "MacBook Air": "mba", "MacBook Pro": "mbp", "Mac mini": "mini", iMac: "imac" };
const SERIAL_ALPHABET = "0123456789CDFGHJKLMNPQRTVWXY";

function deviceNameFor(model: MacModel, rng: Rng): string {
  const style = rng.next();
  // macOS names a Mac "<first name>’s <model>" with a typographic apostrophe.
  if (style < 0.55) return `${rng.pick(FIRST_NAMES)}’s ${model.name}`;
  if (style < 0.85) return `${rng.pick(ROOMS)} ${rng.next() < 0.5 ? "Mac" : SHORT_KIND[model.name] ?? "Mac"} ${String(rng.int(1, 40)).padStart(2, "0")}`;
  const first = rng.pick(FIRST_NAMES).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  return `${first}-${HOST_KIND[model.name] ?? "mac"}-${rng.int(2019, 2024)}`;
}

/** Apple silicon Macs have 10-character randomised serials; Intel ones the older 12-character form. */
function serialFor(model: MacModel, rng: Rng): string {
  if (model.architecture === "arm64") return rng.chars(SERIAL_ALPHABET, 10);
  return `C02${rng.chars(SERIAL_ALPHABET, 9)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------------------------

export type SpecOptions = {
  /** Share of Apple silicon Macs (default 0.7). */
  appleSiliconShare?: number;
};

const GOLDEN = 0.6180339887498949;

/**
 * Generates `count` Mac specs from `seed`. The Apple silicon share follows a low-discrepancy sequence (a
 * seeded phase plus i × golden ratio), so any fleet size is within a device or two of the share; everything
 * else comes from each device's own stream. UDIDs and serials are unique within the fleet.
 */
export function generateMacSpecs(seed: number, count: number, options: SpecOptions = {}): MacSpec[] {
  const share = options.appleSiliconShare ?? 0.7;
  const phase = rngFor(seed, "arch-phase").next();
  const arm = MAC_MODELS.filter((m) => m.architecture === "arm64");
  const intel = MAC_MODELS.filter((m) => m.architecture === "x86_64");
  const udids = new Set<string>();
  const serials = new Set<string>();
  const specs: MacSpec[] = [];
  for (let i = 0; i < count; i++) {
    const rng = rngFor(seed, "mac", i);
    const isArm = (phase + i * GOLDEN) % 1 < share;
    const model = rng.pick(isArm ? arm : intel);
    const eligible = OS_RELEASES.filter((r) => compareVersions(r.release.version, model.minimumOs) >= 0);
    const os = rng.weighted(eligible.map((r) => ({ value: r.release, weight: r.weight })));
    let udid = rng.uuid();
    while (udids.has(udid)) udid = rng.uuid();
    udids.add(udid);
    let serialNumber = serialFor(model, rng);
    while (serials.has(serialNumber)) serialNumber = serialFor(model, rng);
    serials.add(serialNumber);
    const deviceName = deviceNameFor(model, rng);
    const capacityGb = rng.pick(model.capacitiesGb);
    const apps = [...appleAppsFor(os, rng), ...thirdPartyAppsFor(model.architecture, rng)];
    specs.push({ udid, serialNumber, deviceName, model, os, capacityGb, apps });
  }
  return specs;
}

export function findModel(identifier: string): MacModel | undefined {
  return MAC_MODELS.find((m) => m.identifier === identifier);
}
