/**
 * Child process of the data benchmark: runs one pipeline file with the local executor (one worker) and prints
 * the summary and this process's peak resident memory as one JSON line. Each step runs in its own process so
 * that the peak memory belongs to it.
 */
import { runLocal } from "../src/data/pipeline/executors.js";

const [path, workers] = process.argv.slice(2);
const t0 = performance.now();
const r = await runLocal(path, { workers: Number(workers ?? 1), stream: { write: () => true } });
const wall = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ summary: r.summary, wall, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + "\n");
