/** The BPE model's merge procedure (rank order, leftmost first, long words, unknown bytes) and BPE-dropout. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { BpeModel, IdBuffer } from "../../src/tokenizer/bpe/model.js";
import { Rng } from "../../src/util/rng.js";

const bytes = (s: string) => new TextEncoder().encode(s);

/** A vocabulary of the 256 bytes (ids = byte values) plus the merges' tokens, in order. */
function model(merges: [string, string][], extra: { unkId?: number | null; fuseUnk?: boolean; ignoreMerges?: boolean; dropBytes?: number[] } = {}): { m: BpeModel; id: (s: string) => number } {
  const tokens: (Uint8Array | null)[] = [];
  const ids = new Map<string, number>();
  for (let b = 0; b < 256; b++) {
    const dropped = extra.dropBytes?.includes(b);
    tokens.push(dropped ? null : Uint8Array.of(b));
    if (!dropped) ids.set(String.fromCharCode(b), b);
  }
  const pairs: [number, number][] = [];
  for (const [a, b] of merges) {
    const joined = a + b;
    if (!ids.has(joined)) {
      ids.set(joined, tokens.length);
      tokens.push(Uint8Array.from(joined, (c) => c.charCodeAt(0)));
    }
    pairs.push([ids.get(a)!, ids.get(b)!]);
  }
  if (extra.unkId !== undefined && extra.unkId !== null) tokens.push(bytes("<unk>"));
  const m = new BpeModel({ tokens, merges: pairs, unkId: extra.unkId ?? null, fuseUnk: extra.fuseUnk, ignoreMerges: extra.ignoreMerges });
  return { m, id: (s) => ids.get(s)! };
}

function enc(m: BpeModel, s: string, dropout = 0, uniform?: () => number): number[] {
  const out = new IdBuffer();
  const b = bytes(s);
  m.encodeWord(b, b.length, out, dropout, uniform);
  return Array.from(out.take());
}

test("merges apply by rank, the leftmost occurrence first", () => {
  const plain = model([["a", "a"], ["b", "c"]]);
  assert.deepEqual(enc(plain.m, "aaa"), [plain.id("aa"), plain.id("a")]); // (aa)a, not a(aa)
  const { m, id } = model([["a", "a"], ["b", "c"], ["a", "bc"], ["aa", "a"]]);
  assert.deepEqual(enc(m, "aaa"), [id("aaa")]); // (aa)a, then "aa"+"a"
  assert.deepEqual(enc(m, "abc"), [id("abc")]); // "b"+"c" (rank 1), then "a"+"bc"
  assert.deepEqual(enc(m, "aabc"), [id("aa"), id("bc")]); // "a"+"a" first; "a"+"bc" is then no longer adjacent
  assert.deepEqual(enc(m, "xyz"), [...bytes("xyz")]);
  assert.deepEqual(enc(m, ""), []);
});

test("long words (heap path) agree with the short-word path", () => {
  const { m } = model([["a", "b"], ["ab", "ab"], ["c", "d"], ["abab", "cd"], ["e", "e"], ["ee", "ee"]]);
  const unit = "ababcdxeeeee";
  const short = enc(m, unit);
  const long = enc(m, unit.repeat(20)); // > 48 bytes: heap path
  assert.deepEqual(long, Array.from({ length: 20 }, () => short).flat());
});

test("unknown bytes are dropped without unk_token, become unk (fused) with one", () => {
  const drop = model([["a", "b"]], { dropBytes: [0x7a] }); // no token for "z"
  assert.deepEqual(enc(drop.m, "abzzab"), [drop.id("ab"), drop.id("ab")]);
  const unk = model([["a", "b"]], { dropBytes: [0x7a], unkId: 257 });
  assert.deepEqual(enc(unk.m, "abzzab"), [unk.id("ab"), 257, 257, unk.id("ab")]);
  const fused = model([["a", "b"]], { dropBytes: [0x7a], unkId: 257, fuseUnk: true });
  assert.deepEqual(enc(fused.m, "abzzab"), [fused.id("ab"), 257, fused.id("ab")]);
});

test("ignore_merges emits a whole-word token directly", () => {
  // "abc" exists only through merges whose order would not produce it ("b"+"c" first, then "a"+"b" never fires).
  const { m, id } = model([["b", "c"], ["a", "b"], ["ab", "c"]]);
  assert.deepEqual(enc(m, "abc"), [id("a"), id("bc")]);
  const ig = model([["b", "c"], ["a", "b"], ["ab", "c"]], { ignoreMerges: true });
  assert.deepEqual(enc(ig.m, "abc"), [ig.id("abc")]);
});

test("BPE-dropout: p = 0 is the normal encoding, larger p gives more tokens, seeded runs repeat", () => {
  const merges: [string, string][] = [["t", "h"], ["th", "e"], ["e", "r"], ["the", "r"], ["i", "n"], ["in", "g"]];
  const { m } = model(merges);
  const word = "thethering";
  const normal = enc(m, word);
  const rng = new Rng(1);
  assert.deepEqual(enc(m, word, 0, () => rng.float32()), normal);
  const all = enc(m, word, 0.999999, () => 0); // every candidate skipped
  assert.deepEqual(all, [...bytes(word)]);
  const a = new Rng(7), b = new Rng(7);
  const runsA = Array.from({ length: 50 }, () => enc(m, word, 0.3, () => a.float32()));
  const runsB = Array.from({ length: 50 }, () => enc(m, word, 0.3, () => b.float32()));
  assert.deepEqual(runsA, runsB);
  const mean = runsA.reduce((s, r) => s + r.length, 0) / runsA.length;
  assert.ok(mean > normal.length && mean < word.length, `mean length ${mean}`);
  for (const r of runsA) assert.equal(new TextDecoder().decode(Uint8Array.from(r.flatMap((id) => id < 256 ? [id] : [...bytes(idToString(merges, id))]))), word);
});

/** The text of a merge-made id in model() (ids after 255, in order of first appearance). */
function idToString(merges: [string, string][], id: number): string {
  const seen: string[] = [];
  for (const [a, b] of merges) if (!seen.includes(a + b)) seen.push(a + b);
  return seen[id - 256];
}

test("a merge must produce a token of the vocabulary", () => {
  const tokens = [Uint8Array.of(97), Uint8Array.of(98)];
  assert.throws(() => new BpeModel({ tokens, merges: [[0, 1]] }), /not in the vocabulary/);
  assert.throws(() => new BpeModel({ tokens, merges: [[0, 5]] }), /not a BPE token/);
});
