import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng, splitmix64 } from "../../src/util/rng.js";

const take = (r: Rng, n: number) => Array.from({ length: n }, () => r.u32());

test("xoshiro128** matches the reference sequence from state [1, 2, 3, 4]", () => {
  // Worked by hand from the reference C code: out = rotl(s1·5, 7)·9, then the state update.
  const r = Rng.fromState([1, 2, 3, 4]);
  assert.deepEqual(take(r, 3), [11520, 0, 5927040]);
});

test("splitmix64 matches its published test vector", () => {
  assert.deepEqual(splitmix64(1234567n, 5), [
    6457827717110365317n, 3203168211198807973n, 9817491932198370423n, 4593380528125082431n,
    16408922859458223821n,
  ]);
});

test("the same seed gives the same sequence; different seeds differ", () => {
  assert.deepEqual(take(new Rng(42), 20), take(new Rng(42), 20));
  assert.deepEqual(take(new Rng("run-a"), 20), take(new Rng("run-a"), 20));
  assert.notDeepEqual(take(new Rng(42), 20), take(new Rng(43), 20));
  assert.notDeepEqual(take(new Rng("42"), 20), take(new Rng(42), 20), "a string seed differs from the number");
  assert.notDeepEqual(take(new Rng("a"), 20), take(new Rng("a\0"), 20));
  assert.notDeepEqual(take(new Rng(-1), 20), take(new Rng(1), 20));
  assert.notDeepEqual(take(new Rng(""), 4), [0, 0, 0, 0]);
});

test("a pinned sequence guards against accidental changes of seeding (saved runs depend on it)", () => {
  // Computed by an independent Python transcription of the seeding path (tagged splitmix64 → xoshiro128**).
  assert.deepEqual(take(new Rng(0), 4), [652183467, 1334046719, 816736460, 2298439119]);
});

test("state round trip continues identically, and state is plain JSON", () => {
  const r = new Rng("resume");
  for (let i = 0; i < 1000; i++) r.normal();
  const saved = JSON.parse(JSON.stringify(r.state())) as number[];
  const expected = [r.u32(), r.float(), r.normal(), r.int(1000), r.float32()];
  const s = Rng.fromState(saved);
  assert.deepEqual([s.u32(), s.float(), s.normal(), s.int(1000), s.float32()], expected);
  const c = s.clone();
  assert.deepEqual(take(c, 5), take(s, 5));
});

test("fromState rejects bad states with clear errors", () => {
  assert.throws(() => Rng.fromState([1, 2, 3]), /array of 4 unsigned 32-bit integers/);
  assert.throws(() => Rng.fromState("1,2,3,4"), /array of 4/);
  assert.throws(() => Rng.fromState(null), /array of 4/);
  assert.throws(() => Rng.fromState([1, 2, 3, -1]), /word 3 must be an integer in \[0, 2\^32\)/);
  assert.throws(() => Rng.fromState([1, 2, 3, 2 ** 32]), /word 3/);
  assert.throws(() => Rng.fromState([1, 2.5, 3, 4]), /word 1/);
  assert.throws(() => Rng.fromState([1, "2", 3, 4]), /word 1/);
  assert.throws(() => Rng.fromState([0, 0, 0, 0]), /all-zero/);
});

test("bad seeds and labels are refused", () => {
  assert.throws(() => new Rng(1.5), /safe integer or a string/);
  assert.throws(() => new Rng(NaN), /safe integer/);
  assert.throws(() => new Rng(2 ** 60), /safe integer/);
  assert.throws(() => new Rng(1).fork(0.5), /fork label/);
});

test("fork: deterministic, label-dependent, does not advance the parent, depends on the parent's position", () => {
  const parent = new Rng(7);
  const before = parent.state();
  const a1 = take(parent.fork("init"), 10);
  const a2 = take(parent.fork("init"), 10);
  assert.deepEqual(parent.state(), before, "forking does not draw from the parent");
  assert.deepEqual(a1, a2);
  assert.notDeepEqual(take(parent.fork("data"), 10), a1);
  assert.notDeepEqual(take(parent.fork(1), 10), take(parent.fork("1"), 10));
  assert.notDeepEqual(take(parent.fork("init"), 10), take(parent, 10), "the child is not the parent's stream");
  assert.notDeepEqual(take(parent.fork("init"), 10), a1, "after the parent advanced, the child differs");
  // Children of different labels are uncorrelated enough that their outputs rarely coincide.
  const x = take(new Rng(7).fork("x"), 1000);
  const y = new Set(take(new Rng(7).fork("y"), 1000));
  assert.ok(x.filter((v) => y.has(v)).length < 3);
});

test("float() is in [0, 1) with 53-bit resolution; float32() has 24 bits", () => {
  const r = new Rng(1);
  let sawFine = false;
  for (let i = 0; i < 10000; i++) {
    const f = r.float();
    assert.ok(f >= 0 && f < 1);
    if (!Number.isInteger(f * 2 ** 32)) sawFine = true; // more than 32 bits of resolution in use
    const g = r.float32();
    assert.ok(g >= 0 && g < 1);
    assert.ok(Number.isInteger(g * 2 ** 24));
    assert.equal(Math.fround(g), g);
  }
  assert.ok(sawFine);
});

test("uniform mean and variance", () => {
  const r = new Rng(3);
  const n = 100000;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const x = r.float();
    s += x;
    s2 += x * x;
  }
  const mean = s / n;
  assert.ok(Math.abs(mean - 0.5) < 0.005, `mean ${mean}`);
  assert.ok(Math.abs(s2 / n - mean * mean - 1 / 12) < 0.003);
});

test("normal(): mean, variance, tails and skew on 1e5 samples", () => {
  const r = new Rng("normal");
  const n = 100000;
  let s = 0, s2 = 0, s3 = 0, s4 = 0, beyond2 = 0;
  for (let i = 0; i < n; i++) {
    const x = r.normal();
    assert.ok(Number.isFinite(x));
    s += x;
    s2 += x * x;
    s3 += x * x * x;
    s4 += x * x * x * x;
    if (Math.abs(x) > 2) beyond2++;
  }
  const mean = s / n;
  const variance = s2 / n - mean * mean;
  // Standard errors: mean 1/√n ≈ 0.0032, variance √(2/n) ≈ 0.0045; tolerances are ~4σ.
  assert.ok(Math.abs(mean) < 0.013, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
  assert.ok(Math.abs(s3 / n) < 0.04, `third moment ${s3 / n}`);
  assert.ok(Math.abs(s4 / n - 3) < 0.1, `fourth moment ${s4 / n}`);
  assert.ok(Math.abs(beyond2 / n - 0.0455) < 0.004, `P(|x|>2) = ${beyond2 / n}`);
  const m = new Rng(5);
  let t = 0;
  for (let i = 0; i < 10000; i++) t += m.normal(10, 0.5);
  assert.ok(Math.abs(t / 10000 - 10) < 0.03);
});

test("int(n) is uniform (chi-square) and in range", () => {
  const r = new Rng(11);
  for (const k of [2, 7, 10, 100]) {
    const counts = new Array<number>(k).fill(0);
    const n = 20000 * (k <= 10 ? 1 : 5);
    for (let i = 0; i < n; i++) {
      const x = r.int(k);
      assert.ok(Number.isInteger(x) && x >= 0 && x < k);
      counts[x]++;
    }
    const e = n / k;
    const chi2 = counts.reduce((acc, c) => acc + ((c - e) ** 2) / e, 0);
    // df = k − 1; mean df, sd √(2df): allow df + 5·sd, failures are then ~1e-6 events.
    const df = k - 1;
    assert.ok(chi2 < df + 5 * Math.sqrt(2 * df), `k=${k}: chi2 ${chi2.toFixed(1)} (df ${df})`);
  }
  // A bound where plain modulo would be visibly biased: 3·2³⁰ (the low third would be twice as likely).
  const big = 3 * 2 ** 30;
  let low = 0;
  const n = 30000;
  for (let i = 0; i < n; i++) if (r.int(big) < 2 ** 30) low++;
  assert.ok(Math.abs(low / n - 1 / 3) < 0.02, `low third ${low / n}`);
  // Above 2³² the 53-bit path is used.
  for (let i = 0; i < 1000; i++) {
    const x = r.int(2 ** 40 + 3);
    assert.ok(Number.isInteger(x) && x >= 0 && x < 2 ** 40 + 3);
  }
  assert.equal(r.int(1), 0);
  const top = r.int(Number.MAX_SAFE_INTEGER);
  assert.ok(Number.isSafeInteger(top) && top >= 0);
});

test("int(n) refuses bad bounds", () => {
  const r = new Rng(1);
  for (const bad of [0, -1, 1.5, NaN, Infinity, 2 ** 53 + 2]) assert.throws(() => r.int(bad), RangeError);
});

test("shuffle is an in-place permutation, deterministic, and uniform over positions", () => {
  const a = Array.from({ length: 50 }, (_, i) => i);
  const r = new Rng(9);
  assert.equal(r.shuffle(a), a);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(new Rng(9).shuffle(Array.from({ length: 50 }, (_, i) => i)), a);
  const typed = new Int32Array([1, 2, 3, 4, 5]);
  new Rng(2).shuffle(typed);
  assert.deepEqual([...typed].sort(), [1, 2, 3, 4, 5]);
  assert.deepEqual(new Rng(1).shuffle([]), []);
  // Where element 0 lands: uniform over 4 positions.
  const counts = [0, 0, 0, 0];
  const s = new Rng(12);
  for (let i = 0; i < 20000; i++) counts[s.shuffle([0, 1, 2, 3]).indexOf(0)]++;
  for (const c of counts) assert.ok(Math.abs(c / 20000 - 0.25) < 0.02, `counts ${counts}`);
});
