// Preloaded with `node --import ./bench/rss.mjs`: writes this process's peak RSS and CPU time to
// the file named by BENCH_USAGE_FILE when it exits.
import { writeFileSync } from "node:fs";

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  process.on("exit", () => {
    const u = process.resourceUsage();
    writeFileSync(
      file,
      JSON.stringify({ maxRssKb: u.maxRSS, userMs: u.userCPUTime / 1000, systemMs: u.systemCPUTime / 1000 }),
    );
  });
}
