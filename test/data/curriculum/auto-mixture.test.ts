/**
 * The automatic mixture rule: the pure rule on numbers, and the CurriculumSource that applies it once at the first
 * step of each later phase, feeds the adjusted mixture, and keeps it in its (resumable) state.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { domainIndex, INDEX_FORMAT, makeDomainDir, ShardSet, SplitWriter, writeIndex, type DomainIndex } from "../../../src/data/tokens/shard-set.js";
import { autoShares, resolvePhases, shares } from "../../../src/data/curriculum/phases.js";
import { planCurriculum } from "../../../src/data/curriculum/plan.js";
import { CurriculumSource, type CurriculumState } from "../../../src/data/curriculum/source.js";
import type { AutoMixtureConfig } from "../../../src/data/curriculum/config.js";
import { resolveCurriculum } from "../../../src/data/curriculum/config.js";

const close = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) < 1e-12, msg ?? `${a} vs ${b}`);
const sum = (xs: [string, number][]) => xs.reduce((a, [, s]) => a + s, 0);

test("the rule: strength 0 keeps the declared shares, strength 1 gives the loss-weighted ones", () => {
  const declared: [string, number][] = [["code", 0.2], ["math", 0.3], ["web", 0.5]];
  const losses = { code: 2, math: 4, web: 1 };
  assert.deepEqual(autoShares(declared, losses, 0, 0.5), declared);
  // q_d = s_d·L_d / Σ s_e·L_e: 0.4, 1.2, 0.5 over 2.1
  const q = autoShares(declared, losses, 1, 0);
  assert.deepEqual(q.map(([d]) => d), ["code", "math", "web"], "the declared order");
  close(q[0][1], 0.4 / 2.1);
  close(q[1][1], 1.2 / 2.1);
  close(q[2][1], 0.5 / 2.1);
  // Halfway: the mean of declared and q (already summing to 1: no renormalization needed).
  const h = autoShares(declared, losses, 0.5, 0);
  h.forEach(([, s], i) => close(s, (declared[i][1] + q[i][1]) / 2));
  close(sum(h), 1);
  // Equal losses: the declared mixture whatever the strength.
  autoShares(declared, { code: 3, math: 3, web: 3 }, 1, 0).forEach(([, s], i) => close(s, declared[i][1]));
});

test("the rule: the floor at min_share · declared, then renormalization", () => {
  const declared: [string, number][] = [["a", 0.5], ["b", 0.5]];
  // q = 0.9, 0.1; floor at 0.8 · 0.5 = 0.4 lifts b to 0.4, then 0.9 + 0.4 = 1.3 is renormalized.
  const r = autoShares(declared, { a: 9, b: 1 }, 1, 0.8);
  close(r[0][1], 0.9 / 1.3);
  close(r[1][1], 0.4 / 1.3);
  close(sum(r), 1);
  assert.ok(r[1][1] < 0.5 && r[1][1] > 0.3, "the floor binds before the renormalization, which may lower it a little");
  // No floor: b goes to q.
  close(autoShares(declared, { a: 9, b: 1 }, 1, 0)[1][1], 0.1);
  // min_share 1: b is held at its declared share before the renormalization, which then lowers it.
  const held = autoShares(declared, { a: 9, b: 1 }, 1, 1);
  close(held[0][1], 0.9 / 1.4);
  close(held[1][1], 0.5 / 1.4);
});

test("the rule: a domain without a held-out loss keeps its share; zero shares stay zero", () => {
  const declared: [string, number][] = [["a", 0.25], ["b", 0.25], ["c", 0.5]];
  // c has no validation data: a and b share their 0.5 by loss (q = 0.5 · 0.75, 0.5 · 0.25), c keeps 0.5.
  const r = autoShares(declared, { a: 3, b: 1 }, 1, 0);
  close(r[0][1], 0.375);
  close(r[1][1], 0.125);
  close(r[2][1], 0.5);
  const partial = autoShares(declared, { a: 3, b: 1, c: Number.NaN }, 0.5, 0);
  close(partial[2][1], 0.5, "a NaN loss counts as none");
  close(partial[0][1], 0.3125);
  // The floor renormalizes every share, c's included.
  const floored = autoShares(declared, { a: 100, b: 0 }, 1, 0.4);
  close(floored[1][1], 0.1 / 1.1);
  close(floored[2][1], 0.5 / 1.1);
  // No losses at all: as declared.
  assert.deepEqual(autoShares(declared, {}, 1, 0), declared);
  // Zero shares are dropped by shares() before the rule, so they can never gain rows.
  const p = resolvePhases([{ name: "x", tokens: 10, mixture: { a: 1, b: 0 } }])[0];
  assert.deepEqual(autoShares(shares(p), { a: 1, b: 5 }, 1, 0), [["a", 1]]);
});

test("the configuration: enabled is accepted, strength and min_share are checked", () => {
  const phases = [{ name: "a", tokens: 10, mixture: { x: 1 } }];
  assert.deepEqual(resolveCurriculum({ phases }).auto_mixture, { enabled: false, strength: 0.5, min_share: 0.5 });
  assert.deepEqual(resolveCurriculum({ phases, auto_mixture: { enabled: true, strength: 0.2 } }).auto_mixture,
    { enabled: true, strength: 0.2, min_share: 0.5 });
  assert.throws(() => resolveCurriculum({ phases, auto_mixture: { enabled: true, strength: 1.5 } }), /curriculum\.auto_mixture\.strength/);
  assert.throws(() => resolveCurriculum({ phases, auto_mixture: { enabled: true, min_share: 2 } }), /curriculum\.auto_mixture\.min_share/);
});

const DOMAINS = ["code", "web"];

/** Domain k's documents are filled with k·1000 + i, so every token says where it came from. */
function withCorpus(fn: (set: ShardSet) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-auto-mixture-"));
  try {
    const domains: Record<string, DomainIndex> = {};
    DOMAINS.forEach((d, k) => {
      const ddir = makeDomainDir(dir, d);
      const meta = { vocab_size: 4000, tokenizer_sha256: "00".repeat(32), domain: d };
      const train = new SplitWriter(ddir, "train", meta, 400);
      const valid = new SplitWriter(ddir, "valid", meta, 400);
      for (let i = 0; i < 300; i++) train.add(new Int32Array(5 + (i % 11)).fill(k * 1000 + i));
      for (let i = 0; i < 10; i++) valid.add(new Int32Array(10).fill(k * 1000 + 900 + i));
      domains[d] = domainIndex(train.close(), valid.close());
    });
    writeIndex(dir, { format: INDEX_FORMAT, version: 1, vocab_size: 4000, eos_id: 1, tokenizer_sha256: "00".repeat(32), domains });
    const set = new ShardSet(dir);
    try {
      fn(set);
    } finally {
      set.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PHASES = resolvePhases([
  { name: "one", tokens: 4 * 8 * 10, mixture: { web: 3, code: 1 } },
  { name: "two", tokens: 4 * 8 * 25, mixture: { web: 1, code: 1 } },
]);
const DEFAULTS = { seq_len: 8, batch_size: 4, grad_accum: 1, rope_theta: 10000 };
const AUTO: AutoMixtureConfig = { enabled: true, strength: 1, min_share: 0.2 };
const LOSSES = { code: 3, web: 1 };

/** Rows by domain of one batch (the first token of a row says its domain). */
function countRows(b: { rows: number; seq: number; ids: Int32Array }, into: Record<string, number>): void {
  for (let r = 0; r < b.rows; r++) {
    const d = DOMAINS[Math.floor(b.ids[r * b.seq] / 1000)];
    into[d] = (into[d] ?? 0) + 1;
  }
}

test("the source adjusts a later phase once, at its first step, and feeds the adjusted mixture to within a row", () => withCorpus((set) => {
  const plan = planCurriculum(PHASES, DEFAULTS);
  const off = new CurriculumSource(set, plan, PHASES, 1);
  assert.equal(off.adjustMixture(10, () => assert.fail("no measuring when the rule is off")), null);
  const src = new CurriculumSource(set, plan, PHASES, 1, {}, AUTO);
  let measured = 0;
  const measure = () => (measured++, LOSSES);
  const phase2: Record<string, number> = {};
  for (let s = 0; s < plan.totalSteps; s++) {
    const r = src.adjustMixture(s, measure);
    if (s === 10) {
      // q = 0.5·3 / 2, 0.5·1 / 2 = 0.75, 0.25; strength 1; the floor 0.2 · 0.5 does not bind.
      assert.deepEqual(r, { phase: "two", shares: { code: 0.75, web: 0.25 }, declared: { code: 0.5, web: 0.5 }, losses: LOSSES });
    } else assert.equal(r, null, `step ${s}`);
    const b = src.next(s);
    if (s >= 10) countRows(b, phase2);
  }
  assert.equal(measured, 1, "measured once");
  assert.equal(src.adjustMixture(10, measure), null, "a phase is adjusted only once");
  // 25 steps × 4 rows = 100 rows at 0.75 / 0.25
  assert.ok(Math.abs(phase2.code - 75) <= 1 && Math.abs(phase2.web - 25) <= 1, JSON.stringify(phase2));
  assert.deepEqual(src.sharesOf(1), [["code", 0.75], ["web", 0.25]]);
  assert.deepEqual(src.sharesOf(0), shares(PHASES[0]));
}));

test("the adjusted shares are part of the state: a restored source continues identically and does not measure again", () => withCorpus((set) => {
  const plan = planCurriculum(PHASES, DEFAULTS);
  const ids = (src: CurriculumSource, from: number, to: number): string[] => {
    const out: string[] = [];
    for (let s = from; s < to; s++) {
      src.adjustMixture(s, () => LOSSES);
      out.push(Array.from(src.next(s).ids).join(","));
    }
    return out;
  };
  const straight = ids(new CurriculumSource(set, plan, PHASES, 5, {}, AUTO), 0, plan.totalSteps);
  for (const cut of [4, 10, 11, 17]) {
    const first = new CurriculumSource(set, plan, PHASES, 5, {}, AUTO);
    ids(first, 0, cut);
    const saved = JSON.parse(JSON.stringify(first.state())) as CurriculumState;
    if (cut > 10) assert.deepEqual(saved.adjusted, { 1: { code: 0.75, web: 0.25 } });
    else assert.deepEqual(saved.adjusted, {});
    const second = new CurriculumSource(set, plan, PHASES, 5, {}, AUTO);
    second.restore(saved);
    const rest: string[] = [];
    for (let s = cut; s < plan.totalSteps; s++) {
      // Past the phase's first step nothing is measured; at a boundary checkpoint the same losses give the same shares.
      second.adjustMixture(s, () => (cut > 10 ? assert.fail(`measured again after a resume at ${cut}`) : LOSSES));
      rest.push(Array.from(second.next(s).ids).join(","));
    }
    assert.deepEqual(rest, straight.slice(cut), `cut ${cut}`);
  }
  // A state from before the rule existed (no `adjusted`) restores as no adjustment: the declared mixture.
  const old = new CurriculumSource(set, plan, PHASES, 5);
  for (let s = 0; s < 12; s++) old.next(s);
  const state = JSON.parse(JSON.stringify(old.state())) as CurriculumState;
  delete state.adjusted;
  const restored = new CurriculumSource(set, plan, PHASES, 5, {}, AUTO);
  restored.restore(state);
  assert.deepEqual(restored.sharesOf(1), shares(PHASES[1]));
  const rows: Record<string, number> = {};
  for (let s = 12; s < plan.totalSteps; s++) {
    assert.equal(restored.adjustMixture(s, () => assert.fail("not at a phase's first step")), null);
    countRows(restored.next(s), rows);
  }
  assert.ok(Math.abs(rows.code - rows.web) <= 2, JSON.stringify(rows));
}));
