/** Learning merges from word counts: the textbook example, ties, overlaps, stopping rules, determinism. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { learnMerges } from "../../src/tokenizer/bpe/merges.js";

const str = (t: Uint8Array) => new TextDecoder().decode(t);

function learn(counts: Record<string, number>, maxTokens: number, minFrequency = 1) {
  const words = Object.keys(counts).sort();
  const r = learnMerges(words, words.map((w) => counts[w]), { maxTokens, minFrequency });
  return { ...r, names: r.merges.map(([a, b]) => `${str(r.tokens[a])}+${str(r.tokens[b])}`) };
}

/** Naive reference: recount every pair of every word after each merge (quadratic, obviously right). */
function naive(counts: Record<string, number>, merges: number, minFrequency = 1): string[] {
  const words = Object.keys(counts).sort().map((w) => ({ syms: [...new TextEncoder().encode(w)].map((b) => String.fromCharCode(b)), f: counts[w] }));
  const out: string[] = [];
  const ids = new Map<string, number>();
  for (let b = 0; b < 256; b++) ids.set(String.fromCharCode(b), b);
  for (let k = 0; k < merges; k++) {
    const pc = new Map<string, number>();
    for (const w of words) for (let i = 0; i + 1 < w.syms.length; i++) {
      const key = JSON.stringify([w.syms[i], w.syms[i + 1]]);
      pc.set(key, (pc.get(key) ?? 0) + w.f);
    }
    let best: [string, string] | null = null;
    let bestC = 0;
    for (const [key, c] of pc) {
      const [a, b] = JSON.parse(key) as [string, string];
      const better = c > bestC || (c === bestC && best !== null && (ids.get(a)! < ids.get(best[0])! || (ids.get(a) === ids.get(best[0]) && ids.get(b)! < ids.get(best[1])!)));
      if (better) { best = [a, b]; bestC = c; }
    }
    if (!best || bestC < minFrequency) break;
    const z = best[0] + best[1];
    if (!ids.has(z)) ids.set(z, ids.size);
    out.push(`${best[0]}+${best[1]}`); // symbols are latin1 views of bytes
    for (const w of words) {
      const s: string[] = [];
      for (let i = 0; i < w.syms.length; i++) {
        if (i + 1 < w.syms.length && w.syms[i] === best[0] && w.syms[i + 1] === best[1]) { s.push(z); i++; } else s.push(w.syms[i]);
      }
      w.syms = s;
    }
  }
  return out;
}

test("the textbook example (Sennrich et al.)", () => {
  const r = learn({ "low": 5, "lower": 2, "newest": 6, "widest": 3 }, 256 + 6);
  // Pair counts: es 9, st 9, we 8, lo 7, ow 7; the tie es/st goes to the lower ids ('e' < 's'), then est 9.
  assert.deepEqual(r.names.slice(0, 4), ["e+s", "es+t", "l+o", "lo+w"]);
  assert.equal(r.tokens.length, 262);
  assert.equal(r.stop, "size");
});

test("agrees with a naive recount on a mixed corpus, overlapping pairs included", () => {
  const counts: Record<string, number> = {
    " the": 50, " then": 12, "aaaa": 7, "aaa": 5, "banana": 9, " bandana": 4, "12": 3, "x": 100, "éé": 6, " ééé": 2, "ab": 1,
  };
  const r = learn(counts, 256 + 30);
  const got = r.merges.map(([a, b]) => `${Buffer.from(r.tokens[a]).toString("latin1")}+${Buffer.from(r.tokens[b]).toString("latin1")}`);
  const want = naive(Object.fromEntries(Object.entries(counts)), got.length);
  assert.deepEqual(got, want);
  assert.ok(got.length > 10);
});

test("stops at min frequency, or when no pair is left", () => {
  const r = learn({ "ab": 3, "cd": 1 }, 300, 2);
  assert.deepEqual(r.names, ["a+b"]);
  assert.equal(r.stop, "min-frequency");
  const r2 = learn({ "abc": 1 }, 300, 1);
  assert.equal(r2.stop, "no-pairs");
  assert.equal(r2.tokens.length, 258);
});

test("no two tokens have the same bytes", () => {
  const r = learn({ "abc": 10, "ab": 8, "bcx": 6, "xbc": 6, "aaaa": 5, "aaa": 4, "aaaaa": 3 }, 300);
  const strings = r.tokens.map((t) => Buffer.from(t).toString("latin1"));
  assert.equal(new Set(strings).size, strings.length);
});

test("the result does not depend on the order of the words", () => {
  const counts: Record<string, number> = {};
  for (let i = 0; i < 300; i++) counts[`w${(i * 7919) % 1000}x${i % 13}`] = 1 + (i % 17);
  const words = Object.keys(counts);
  const a = learnMerges(words, words.map((w) => counts[w]), { maxTokens: 400, minFrequency: 1 });
  const rev = [...words].reverse();
  const b = learnMerges(rev, rev.map((w) => counts[w]), { maxTokens: 400, minFrequency: 1 });
  assert.deepEqual(a.merges, b.merges);
});
