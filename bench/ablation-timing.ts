/**
 * Step time of each ablation recipe, measured in alternation so that a shared machine's drift hits every recipe
 * alike (the `time` column of `pretrain ablation` is wall time of whole runs, taken one after another).
 *
 *   npm run build && node dist/bench/ablation-timing.js [--steps 12] [--rounds 3] [--threads 2] [recipes-dir]
 *
 * Each round trains every recipe for a few steps on synthetic bytes (the monitor on, as in the recipes) and
 * records the median step time after the first two steps; the table gives the median over rounds and the ratio to
 * the first recipe.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadNative, nativeKernels } from "../src/kernels/native.js";
import { loadRunConfig } from "../src/train/config.js";
import { ablationRecipes } from "../src/train/ablation.js";
import { train } from "../src/train/trainer.js";
import { TokenStreamSource } from "../src/data/text-source.js";
import { readMetrics } from "../src/util/metrics.js";
import { Rng } from "../src/util/rng.js";

const argv = process.argv.slice(2);
const opt = (name: string, def: number) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : def);
const steps = opt("steps", 12);
const rounds = opt("rounds", 3);
const threads = opt("threads", 2);
const dir = argv.find((a, i) => !a.startsWith("--") && !(i > 0 && argv[i - 1].startsWith("--"))) ?? "recipes/ablation";

loadNative().setThreads(threads);
const k = nativeKernels();
const rng = new Rng(3);
const bytes = Int32Array.from({ length: 400_000 }, () => 32 + rng.int(95));
const recipes = ablationRecipes(dir);
const times = new Map<string, number[]>();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

for (let r = 0; r < rounds; r++) {
  for (const recipe of recipes) {
    const out = mkdtempSync(join(tmpdir(), "pretrain-abl-timing-"));
    try {
      const cfg = loadRunConfig(recipe, ['data.paths=["synthetic"]', `out_dir=${JSON.stringify(out)}`, `train.steps=${steps}`,
        "train.eval_batches=1", "train.checkpoint_every=0"]);
      train({ config: cfg, kernels: k, source: new TokenStreamSource(bytes, 259, 1, 0.02), progress: null, log: () => {} });
      const st = readMetrics(join(out, "metrics.jsonl")).filter((x) => x.type === "train").slice(2).map((x) => x.step_seconds as number);
      const name = recipe.split("/").pop()!.replace(/\.ya?ml$/, "");
      times.set(name, [...(times.get(name) ?? []), median(st)]);
      process.stderr.write(`round ${r + 1}: ${name} ${(1000 * median(st)).toFixed(0)} ms/step\n`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
}
const base = median([...times.values()][0]);
console.log(`| recipe | ms per step (median of ${rounds} rounds) | relative |`);
console.log("|---|---|---|");
for (const [name, ts] of times) console.log(`| ${name} | ${(1000 * median(ts)).toFixed(0)} | ${(median(ts) / base).toFixed(2)} |`);
