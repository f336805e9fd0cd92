/**
 * The hand-written splitters against the regexes they implement, run by JavaScript's regex engine with \s
 * replaced by \p{White_Space} (Oniguruma's meaning), on fixed examples and seeded random strings.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DigitsSplitter, Ends, Gpt2Splitter, Qwen2Splitter, RegexSplitter, SequenceSplitter, type Splitter } from "../../src/tokenizer/bpe/pretokenize.js";
import { classOf, LETTER, NUMBER, OTHER, SPACE } from "../../src/tokenizer/bpe/unicode-classes.js";
import { randomString, seeded, varietyTexts } from "./helpers.js";

const WS = "\\p{White_Space}";
const NS = "\\P{White_Space}";
const QWEN2_REF = new RegExp(
  `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^${WS}\\p{L}\\p{N}]+[\\r\\n]*|${WS}*[\\r\\n]+|${WS}+(?!${NS})|${WS}+`, "gu");
const LLAMA3_REF = new RegExp(QWEN2_REF.source.replace("|\\p{N}|", "|\\p{N}{1,3}|"), "gu");
const GPT2_REF = new RegExp(`'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|${WS}+(?!${NS})|${WS}+`, "gu");

function pieces(s: Splitter, text: string): string[] {
  const ends = new Ends();
  s.split(text, 0, text.length, ends);
  const out: string[] = [];
  let from = 0;
  for (let i = 0; i < ends.n; i++) {
    out.push(text.slice(from, ends.a[i]));
    from = ends.a[i];
  }
  assert.equal(from, text.length, "pieces cover the text");
  return out;
}

function reference(re: RegExp, text: string): string[] {
  const out: string[] = [];
  let prev = 0;
  for (const m of text.matchAll(re)) {
    if (m.index! > prev) out.push(text.slice(prev, m.index)); // never happens: every character matches some branch
    out.push(m[0]);
    prev = m.index! + m[0].length;
  }
  if (prev < text.length) out.push(text.slice(prev));
  return out;
}

test("character classes follow Unicode (\\s is White_Space, as in Oniguruma)", () => {
  assert.equal(classOf(0x41), LETTER);
  assert.equal(classOf(0x4e2d), LETTER);
  assert.equal(classOf(0x1d400), LETTER); // 𝐀
  assert.equal(classOf(0x30), NUMBER);
  assert.equal(classOf(0x663), NUMBER); // ٣
  assert.equal(classOf(0x216b), NUMBER); // Ⅻ (Nl)
  assert.equal(classOf(0xbd), NUMBER); // ½ (No)
  assert.equal(classOf(0x20), SPACE);
  assert.equal(classOf(0x85), SPACE); // NEXT LINE: \s in Oniguruma, not in JavaScript
  assert.equal(classOf(0xfeff), OTHER); // BOM: \s in JavaScript, not in Oniguruma
  assert.equal(classOf(0x200b), OTHER);
  assert.equal(classOf(0x1f600), OTHER);
  assert.equal(classOf(0xd800), OTHER);
});

test("qwen2 splitter: digits one by one, letters with one leading character, newline runs", () => {
  const q = new Qwen2Splitter(1);
  assert.deepEqual(pieces(q, "Hello world 2024!"), ["Hello", " world", " ", "2", "0", "2", "4", "!"]);
  assert.deepEqual(pieces(q, "don't WE'RE"), ["don", "'t", " WE", "'RE"]);
  assert.deepEqual(pieces(q, "foo(bar) = x_1;\n\n  baz"), ["foo", "(bar", ")", " =", " x", "_", "1", ";\n\n", " ", " baz"]);
  assert.deepEqual(pieces(q, "a  \n\n  b   "), ["a", "  \n\n", " ", " b", "   "]);
  assert.deepEqual(pieces(q, "x\ttab"), ["x", "\ttab"]);
  assert.deepEqual(pieces(q, "数学 😀a b😀c"), ["数学", " 😀", "a", " b", "😀c"]);
  assert.deepEqual(pieces(new Qwen2Splitter(3), "12345"), ["123", "45"]);
  assert.deepEqual(pieces(q, ""), []);
});

test("gpt2 splitter: case-sensitive contractions, digit runs, whitespace before words", () => {
  const g = new Gpt2Splitter();
  assert.deepEqual(pieces(g, "Hello world 2024!"), ["Hello", " world", " 2024", "!"]);
  assert.deepEqual(pieces(g, "don't WE'RE"), ["don", "'t", " WE", "'", "RE"]);
  assert.deepEqual(pieces(g, "a   b"), ["a", "  ", " b"]);
});

test("splitters equal their reference regexes on seeded random strings", () => {
  const u = seeded(20261122);
  const cases: [string, Splitter, RegExp][] = [
    ["qwen2", new Qwen2Splitter(1), QWEN2_REF], ["llama3", new Qwen2Splitter(3), LLAMA3_REF], ["gpt2", new Gpt2Splitter(), GPT2_REF],
  ];
  const texts = [...varietyTexts(), ...Array.from({ length: 1500 }, (_, i) => randomString(u, 1 + (i % 60)))];
  for (const [name, splitter, re] of cases) {
    for (const t of texts) {
      const got = pieces(splitter, t);
      const want = reference(re, t);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        assert.deepEqual(got, want, `${name} on ${JSON.stringify(t).slice(0, 200)}`);
      }
    }
  }
});

test("digits, regex and sequence splitters", () => {
  assert.deepEqual(pieces(new DigitsSplitter(true), "ab12c3"), ["ab", "1", "2", "c", "3"]);
  assert.deepEqual(pieces(new DigitsSplitter(false), "ab12c3"), ["ab", "12", "c", "3"]);
  assert.deepEqual(pieces(new RegexSplitter("\\d+"), "ab12c3"), ["ab", "12", "c", "3"]);
  assert.deepEqual(pieces(new SequenceSplitter([new DigitsSplitter(true), new Gpt2Splitter()]), "x 123 yz"), ["x", " ", "1", "2", "3", " yz"]);
  assert.throws(() => new RegexSplitter("(?i:'s)"), /not a valid JavaScript regex/);
});
