// Preloaded into a child process with `node --import`: as the process exits, writes its peak resident
// set size in bytes to $LIFELINE_PEAK_RSS_FILE, so a test can bound the memory of a whole run.
import { writeFileSync } from 'node:fs';

const target = process.env.LIFELINE_PEAK_RSS_FILE;
if (target) process.on('exit', () => writeFileSync(target, String(process.resourceUsage().maxRSS * 1024)));
