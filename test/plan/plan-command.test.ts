/** `pretrain plan` on the YuLan-Mini 2.4B recipe and the demo recipe: totals, phases, FLOPs, memory and time. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadRunConfig } from "../../src/train/config.js";
import { planReport } from "../../src/plan/report.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

test("the YuLan-Mini 2.4B plan: 27 phases, 1.085T tokens, the §13 FLOPs, the annealing at 28K context with θ 490000", () => {
  const cfg = loadRunConfig(`${root}recipes/yulan-mini-2.4b.yaml`);
  const r = planReport(cfg, { devices: 56, flopsPerSecond: 8.9e15 });
  assert.equal(r.phases.length, 27);
  assert.ok(Math.abs(r.totals.tokens / 1.085e12 - 1) < 2e-3, `${r.totals.tokens}`);
  assert.equal(r.totals.steps, cfg.train.steps);
  assert.ok(Math.abs(r.flopsPerToken.yulan / 2.243e10 - 1) < 5e-4);
  assert.ok(Math.abs(r.parameters / 2.23e9 - 1) < 0.01, `${r.parameters}`);
  const last = r.phases[26];
  assert.equal(last.seq, 28672);
  assert.equal(last.ropeTheta, 490000);
  assert.ok(last.anneal && r.phases[25].anneal && !r.phases[24].anneal);
  assert.equal(r.decayStart, 243198);
  assert.ok(last.lrEnd > 0.005 && last.lrEnd < 0.0055, `the clamp leaves λ ≈ 0.0052 at the end, got ${last.lrEnd}`);
  assert.equal(r.phases[0].lrStart, 0, "warmup starts at 0");
  // Time = FLOPs / FLOP/s.
  assert.ok(Math.abs(r.time.seconds! - r.totals.flops / 8.9e15) < 1);
  assert.equal(r.memory.rowsPerDevice, Math.ceil(148 / 56));
});

test("pretrain plan: table, JSON and mistakes", () => {
  const run = (args: string[]) => spawnSync(process.execPath, [MAIN, "plan", ...args], { encoding: "utf8" });
  const t = run([`${root}recipes/demo.yaml`, "--tokens-per-second", "7000"]);
  assert.equal(t.status, 0, t.stderr);
  // the demo recipe's phases, planned before its data exists (pretrain run writes it)
  assert.match(t.stdout, /\| stable-1 \| 1–200 \(200\) \| 819k \| 16 × 256 \| 10000 \|/);
  assert.match(t.stdout, /\| anneal \| 351–450 \(100\) \| 410k \| 8 × 512 \| 40000 \| 1\.000 → 0\.005 \|/);
  assert.match(t.stdout, /time: \d+ min at 7\.00k tokens\/s/);
  const j = run([`${root}recipes/yulan-mini-2.4b.yaml`, "--json"]);
  assert.equal(j.status, 0, j.stderr);
  assert.equal(JSON.parse(j.stdout).phases.length, 27);
  const bad = run([`${root}recipes/demo.yaml`, "--set", "train.stpes=3"]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /unknown key "train\.stpes"/);
  assert.equal(run([`${root}recipes/demo.yaml`, "--devices", "0"]).status, 2);
  assert.match(run(["--help"]).stdout, /Usage: pretrain plan/);
});
