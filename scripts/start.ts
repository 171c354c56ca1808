// `npm start` / `npm run dev`. The demo (the default; POMONA_DEMO=0 turns it off) runs on a simulated clock
// 240 times faster than real time, so a 6-hour retry shows within a minute and a half. These defaults must
// be in place before server/env.js reads the environment, hence the dynamic import.
const demo = !["0", "false"].includes((process.env.POMONA_DEMO ?? "1").trim());
if (demo && !process.env.POMONA_CLOCK) {
  process.env.POMONA_CLOCK = "simulated";
  process.env.POMONA_TIME_SCALE ||= "240";
}

await import("./serve");
