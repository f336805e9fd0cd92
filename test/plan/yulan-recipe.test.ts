/** recipes/yulan-mini-2.4b.yaml against the curriculum file it was transcribed from. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { resolvePhases } from "../../src/data/curriculum/phases.js";
import { planCurriculum } from "../../src/data/curriculum/plan.js";
import { resolveModelConfig } from "../../src/model/config.js";
import { parameterCount } from "../../src/model/layout.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

test("the YuLan-Mini 2.4B recipe: 27 phases, 1.085T tokens, the mixture of every phase as in the data-mix files", () => {
  const recipe = parse(readFileSync(`${root}recipes/yulan-mini-2.4b.yaml`, "utf8"));
  const curriculum = JSON.parse(readFileSync(`${root}recipes/data/yulan-mini-curriculum.json`, "utf8"));
  const source = curriculum.phases.filter((p: { file: string }) => p.file !== "26_20241127_205447.json");
  const phases = resolvePhases(recipe.curriculum.phases, "curriculum.phases");
  assert.equal(phases.length, 27);
  const total = phases.reduce((a, p) => a + p.tokens, 0);
  let selected = 0;
  for (const p of source) for (const v of Object.values(p.selected_B as Record<string, number>)) selected += Math.round(v * 1e9);
  assert.equal(total, selected);
  assert.ok(Math.abs(total / 1.085e12 - 1) < 1e-3, `total ${total}`);
  phases.forEach((p, i) => {
    const want = source[i].selected_B as Record<string, number>;
    assert.deepEqual(Object.keys(p.mixture).sort(), Object.keys(want).sort(), p.name);
    for (const [k, v] of Object.entries(want)) assert.equal(p.mixture[k], Math.round(v * 1e9), `${p.name} ${k}`);
  });
  const model = resolveModelConfig(recipe.model);
  assert.equal(parameterCount(model), 2_234_188_098);
  const plan = planCurriculum(phases, { seq_len: 4096, batch_size: 1008, grad_accum: 1, rope_theta: 10000 });
  // Phases 1–25 at 1008 × 4096 tokens per step: ≈243.3k steps (the real run reached 243,198: spec §5.4).
  const stable = plan.phases[24].endStep;
  assert.ok(stable > 243_000 && stable < 243_500, `${stable}`);
  assert.deepEqual([plan.phases[25].seq, plan.phases[25].rows, plan.phases[25].ropeTheta], [28672, 148, 490000]);
  assert.ok(plan.phases[25].anneal && plan.phases[26].anneal && !plan.phases[24].anneal);
  assert.equal(recipe.schedule.decay_start, 243198);
});
