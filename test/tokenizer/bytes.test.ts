import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteTokenizer } from "../../src/tokenizer/bytes.js";
import { Rng } from "../../src/util/rng.js";

const tok = new ByteTokenizer();
const ids = (a: Int32Array) => [...a];

test("layout: 256 bytes, then eos, bos, pad", () => {
  assert.equal(tok.vocabSize, 259);
  assert.equal(tok.eosId, 256);
  assert.equal(tok.bosId, 257);
  assert.equal(tok.padId, 258);
  assert.deepEqual(tok.specials.map((s) => [s.id, s.content, s.role]),
    [[256, "<|endoftext|>", "eos"], [257, "<|bos|>", "bos"], [258, "<|pad|>", "pad"]]);
  assert.equal(tok.isSpecial(255), false);
  assert.equal(tok.isSpecial(256), true);
});

test("encode gives the UTF-8 bytes", () => {
  assert.deepEqual(ids(tok.encode("Hi")), [72, 105]);
  assert.deepEqual(ids(tok.encode("é")), [0xc3, 0xa9]);
  assert.deepEqual(ids(tok.encode("€")), [0xe2, 0x82, 0xac]);
  assert.deepEqual(ids(tok.encode("😀")), [0xf0, 0x9f, 0x98, 0x80]);
  assert.deepEqual(ids(tok.encode("")), []);
  assert.ok(tok.encode("x") instanceof Int32Array);
  assert.throws(() => tok.encode(42 as unknown as string), TypeError);
});

test("round trip over random Unicode strings", () => {
  const r = new Rng("unicode");
  // Pools: ASCII, control characters, Latin accents, combining marks, CJK, emoji (astral), ZWJ, RTL, BOM.
  const ranges: [number, number][] = [
    [0x20, 0x7e], [0x00, 0x1f], [0x7f, 0x9f], [0xc0, 0x17f], [0x300, 0x36f], [0x4e00, 0x9fff], [0xac00, 0xd7a3],
    [0x1f300, 0x1faff], [0x200d, 0x200d], [0x5d0, 0x5ea], [0xfeff, 0xfeff], [0x10000, 0x10ffff],
  ];
  for (let k = 0; k < 300; k++) {
    let s = "";
    const len = r.int(40);
    for (let i = 0; i < len; i++) {
      const [lo, hi] = ranges[r.int(ranges.length)];
      s += String.fromCodePoint(lo + r.int(hi - lo + 1));
    }
    const e = tok.encode(s);
    assert.equal(tok.decode(e), s);
    assert.deepEqual(tok.decodeBytes(e), new TextEncoder().encode(s));
    assert.equal(e.length, Buffer.byteLength(s, "utf8"));
  }
  const fixed = "naïve café — 東京 👩‍👩‍👧 e\u0301 \u0000\t\r\n\u001b[0m \ufeffBOM";
  assert.equal(tok.decode(tok.encode(fixed)), fixed);
});

test("special strings are plain text unless allowSpecial", () => {
  const text = "a<|endoftext|>b";
  const plain = tok.encode(text);
  assert.equal(plain.length, Buffer.byteLength(text));
  assert.ok(plain.every((id) => id < 256));
  assert.deepEqual(ids(tok.encode(text, { allowSpecial: true })), [97, 256, 98]);
  assert.deepEqual(ids(tok.encode("<|bos|>x<|pad|><|pad|><|endoftext|>", { allowSpecial: true })),
    [257, 120, 258, 258, 256]);
  assert.deepEqual(ids(tok.encode("<|bos|", { allowSpecial: true })), [...Buffer.from("<|bos|")]);
  assert.deepEqual(ids(tok.encode("<|<|bos|>|>", { allowSpecial: true })), [60, 124, 257, 124, 62]);
  assert.deepEqual(ids(tok.encode("", { allowSpecial: true })), []);
  // Decoding renders specials by name, so text with specials round-trips through allowSpecial.
  const mixed = "héllo<|endoftext|><|bos|>wörld";
  assert.equal(tok.decode(tok.encode(mixed, { allowSpecial: true })), mixed);
  assert.equal(tok.decode(tok.encode(mixed)), mixed);
});

test("decode: specials by name or skipped; multi-byte sequences cut by a special become U+FFFD", () => {
  assert.equal(tok.decode([104, 256, 105]), "h<|endoftext|>i");
  assert.equal(tok.decode([257, 104, 105, 258], { skipSpecial: true }), "hi");
  assert.deepEqual([...tok.decodeBytes([104, 256])], [104, ...Buffer.from("<|endoftext|>")]);
  assert.deepEqual([...tok.decodeBytes([104, 256], { skipSpecial: true })], [104]);
  assert.equal(tok.decode([0xe2, 0x82, 256, 0xac]), "\ufffd<|endoftext|>\ufffd");
});

test("invalid UTF-8 decodes to U+FFFD as TextDecoder does", () => {
  const cases: number[][] = [[0xff], [0xc3], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x80, 0x41], [0xf0, 0x9f, 0x98]];
  for (const c of cases) assert.equal(tok.decode(c), new TextDecoder().decode(Uint8Array.from(c)));
  assert.equal(tok.decode([0xff, 0x41]), "\ufffdA");
  // A leading BOM is content, not a marker to strip.
  assert.equal(tok.decode([0xef, 0xbb, 0xbf, 0x41]), "\ufeffA");
});

test("lone surrogates are encoded as U+FFFD's bytes (as TextEncoder does)", () => {
  assert.deepEqual(ids(tok.encode("\ud800")), [0xef, 0xbf, 0xbd]);
  assert.deepEqual(ids(tok.encode("a\udc00b")), [97, 0xef, 0xbf, 0xbd, 98]);
  assert.equal(tok.decode(tok.encode("x\ud83dy")), "x\ufffdy");
  assert.deepEqual(ids(tok.encode("\ud83d\ude00")), [0xf0, 0x9f, 0x98, 0x80]); // a proper pair is fine
});

test("out-of-range ids name their position", () => {
  assert.throws(() => tok.decode([1, 2, 259]), (e: unknown) =>
    e instanceof RangeError && e.message === "token id 259 at position 2 is out of range [0, 259)");
  assert.throws(() => tok.decode([-1]), /position 0/);
  assert.throws(() => tok.decode([1.5]), /token id 1.5 at position 0/);
  assert.throws(() => tok.decodeBytes(new Int32Array([0, 5000])), /position 1/);
  assert.throws(() => tok.idToToken(300), RangeError);
});

test("decode accepts any array-like of numbers", () => {
  assert.equal(tok.decode(new Uint16Array([72, 105])), "Hi");
  assert.equal(tok.decode(new Int32Array([72, 105])), "Hi");
  assert.equal(tok.decode({ length: 1, 0: 65 }), "A");
  assert.equal(tok.decode([]), "");
});

test("idToToken", () => {
  assert.equal(tok.idToToken(65), "A");
  assert.equal(tok.idToToken(10), "<0x0A>");
  assert.equal(tok.idToToken(0xff), "<0xFF>");
  assert.equal(tok.idToToken(257), "<|bos|>");
});

test("toJSON / fromJSON", () => {
  const j = JSON.parse(JSON.stringify(tok.toJSON()));
  assert.equal(j.type, "bytes");
  assert.equal(j.vocab_size, 259);
  assert.equal(j.specials.length, 3);
  const back = ByteTokenizer.fromJSON(j);
  assert.deepEqual(ids(back.encode("ok<|pad|>", { allowSpecial: true })), [111, 107, 258]);
  assert.throws(() => ByteTokenizer.fromJSON({ ...j, type: "bpe" }), /type is "bpe"/);
  assert.throws(() => ByteTokenizer.fromJSON({ ...j, version: 2 }), /unsupported version 2/);
  assert.throws(() => ByteTokenizer.fromJSON({ ...j, vocab_size: 300 }), /another tokenizer/);
  assert.throws(() => ByteTokenizer.fromJSON({ ...j, specials: j.specials.slice(0, 2) }), /another tokenizer/);
  assert.throws(() => ByteTokenizer.fromJSON({ ...j, specials: [{ ...j.specials[0], content: "</s>" }, ...j.specials.slice(1)] }),
    /another tokenizer/);
  assert.throws(() => ByteTokenizer.fromJSON(null), /expected an object/);
  // The frozen specials cannot be changed through the instance.
  assert.throws(() => { (tok.specials[0] as { content: string }).content = "x"; }, TypeError);
});

test("encoding with specials is linear in the text length", () => {
  const big = "word <|endoftext|> ".repeat(20000);
  const t0 = performance.now();
  const e = tok.encode(big, { allowSpecial: true });
  assert.ok(performance.now() - t0 < 1000);
  assert.equal(e.filter((id) => id === 256).length, 20000);
});
