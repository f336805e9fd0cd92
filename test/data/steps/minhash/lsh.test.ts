import { test } from "node:test";
import assert from "node:assert/strict";
import { candidateProbability, estimate, jaccard, optimalBands, permutationSeeds, shingles, signature, bandHash } from "../../../../src/data/steps/minhash/lsh.js";
import { resolveBanding } from "../../../../src/data/steps/minhash/step.js";
import { Rng } from "../../../../src/util/rng.js";
import { mutate, proseDoc } from "../../helpers.js";

test("bands × rows from the threshold: the S-curve's midpoint sits near the threshold; overrides are checked", () => {
  for (const [t, k] of [[0.8, 128], [0.7, 128], [0.9, 256], [0.5, 64]] as const) {
    const { bands, rows } = optimalBands(t, k);
    assert.ok(bands * rows <= k);
    const mid = Math.pow(1 / bands, 1 / rows);
    assert.ok(Math.abs(mid - t) < 0.1, `t=${t}: ${bands}×${rows}, midpoint ${mid}`);
    assert.ok(candidateProbability(t + 0.15 > 1 ? 1 : t + 0.15, bands, rows) > 0.9);
    assert.ok(candidateProbability(t - 0.3, bands, rows) < 0.1);
  }
  assert.deepEqual(resolveBanding({ bands: 16, rows: 8, num_perm: 128, threshold: 0.8 }), { bands: 16, rows: 8 });
  assert.throws(() => resolveBanding({ bands: 20, rows: 8, num_perm: 128, threshold: 0.8 }), /exceeds num_perm/);
  assert.throws(() => resolveBanding({ bands: 20, rows: null, num_perm: 128, threshold: 0.8 }), /both bands and rows/);
});

test("signatures estimate the exact Jaccard similarity without bias (error ≈ binomial)", () => {
  const rng = new Rng(1);
  const seeds = permutationSeeds(256, 1);
  const errors: number[] = [];
  for (let i = 0; i < 60; i++) {
    const a = proseDoc(rng, 2, 100);
    const b = mutate(rng, a, 0.01 + 0.01 * (i % 10));
    const o = { unit: "word" as const, ngram: 5, lowercase: true };
    const sa = shingles(a, o);
    const sb = shingles(b, o);
    errors.push(estimate(signature(sa, seeds), signature(sb, seeds)) - jaccard(sa, sb));
  }
  const mean = errors.reduce((x, y) => x + y, 0) / errors.length;
  const rms = Math.sqrt(errors.reduce((x, y) => x + y * y, 0) / errors.length);
  assert.ok(Math.abs(mean) < 0.01, `bias ${mean}`);
  assert.ok(rms < 0.04, `rms error ${rms}`);
  // shingles: case and punctuation do not matter; identical texts have identical band hashes
  const o = { unit: "word" as const, ngram: 3, lowercase: true };
  assert.deepEqual(shingles("Hello, World! This is it.", o), shingles("hello world this is it", o));
  assert.equal(shingles("", o).length, 0);
  assert.equal(shingles("two words", o).length, 1, "shorter than n: one shingle of all words");
  const c = shingles("abcdefgh", { unit: "char", ngram: 5, lowercase: true });
  assert.equal(c.length, 4);
  const s1 = signature(shingles("same text here again", o), seeds);
  const h1 = new Uint32Array(2);
  const h2 = new Uint32Array(2);
  bandHash(s1, 3, 8, h1);
  bandHash(Int32Array.from(s1), 3, 8, h2);
  assert.deepEqual(h1, h2);
});
