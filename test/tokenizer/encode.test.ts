/**
 * Encoding and decoding with a trained tokenizer: the round-trip property over random Unicode, lone surrogates,
 * invalid UTF-8, special tokens only when allowed, BPE-dropout, streaming and batch encoding, and reloading
 * from the saved JSON (as checkpoints do).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../../src/util/rng.js";
import { tokenizerFromJSON } from "../../src/tokenizer/index.js";
import { BpeTokenizer } from "../../src/tokenizer/bpe/tokenizer.js";
import { encodeFile } from "../../src/tokenizer/bpe/stream.js";
import { expandInputs } from "../../src/tokenizer/bpe/corpus.js";
import { EncodePool } from "../../src/tokenizer/bpe/workers.js";
import { randomString, seeded, smallTokenizer, varietyTexts } from "./helpers.js";

const wellFormed = (s: string) => s.replace(/[\ud800-\udfff]/gu, "\ufffd");

test("layout: specials first (pad 0, bos 1, eos 2, reserved), then the 256 bytes, then merges", async () => {
  const t = await smallTokenizer();
  assert.equal(t.vocabSize, 1024);
  assert.deepEqual([t.padId, t.bosId, t.eosId], [0, 1, 2]);
  assert.equal(t.idToToken(0), "<|pad|>");
  assert.equal(t.idToToken(1), "<|begin_of_text|>");
  assert.equal(t.idToToken(2), "<|endoftext|>");
  assert.equal(t.idToToken(3), "<|reserved_0|>");
  assert.equal(t.idToToken(31), "<|reserved_28|>");
  assert.equal(t.idToToken(32 + 0x20), "Ġ"); // byte 0x20 in the GPT-2 alphabet
  assert.equal(t.idToToken(32 + 0x41), "A");
  assert.deepEqual([...t.tokenBytes(32 + 0x0a)], [0x0a]);
  assert.ok(t.isSpecial(31) && !t.isSpecial(32));
});

test("decode(encode(s)) === s for seeded random Unicode strings", async () => {
  const t = await smallTokenizer();
  const u = seeded(7);
  for (let i = 0; i < 3000; i++) {
    const s = randomString(u, 1 + (i % 80), false);
    const ids = t.encode(s);
    const back = t.decode(ids);
    if (back !== s) assert.equal(back, s, `round trip of ${JSON.stringify(s)}`);
  }
  for (const s of varietyTexts()) assert.equal(t.decode(t.encode(s)), s);
  const long = " ".repeat(5000) + "x" + "\n".repeat(3000) + "é".repeat(4000);
  assert.equal(t.decode(t.encode(long)), long);
});

test("lone surrogates are encoded as U+FFFD (documented policy)", async () => {
  const t = await smallTokenizer();
  const u = seeded(99);
  for (let i = 0; i < 500; i++) {
    const s = randomString(u, 1 + (i % 40), true);
    assert.equal(t.decode(t.encode(s)), wellFormed(s));
  }
  assert.deepEqual(t.encode("a\ud800b"), t.encode("a\ufffdb"));
});

test("ids whose bytes are not valid UTF-8 decode with U+FFFD; decodeBytes gives the raw bytes", async () => {
  const t = await smallTokenizer();
  const byte = (b: number) => 32 + b;
  assert.equal(t.decode([byte(0x61), byte(0xff), byte(0x62)]), "a\ufffdb");
  assert.equal(t.decode([byte(0xe4), byte(0xb8)]), "\ufffd"); // a cut 3-byte sequence: one replacement
  assert.deepEqual([...t.decodeBytes([byte(0xe4), byte(0xb8)])], [0xe4, 0xb8]);
  assert.throws(() => t.decode([1024]), RangeError);
  assert.throws(() => t.decode([-1]), RangeError);
});

test("special tokens are matched only with allowSpecial", async () => {
  const t = await smallTokenizer();
  const text = "hi<|endoftext|>there<|reserved_5|>";
  const plain = [...t.encode(text)];
  assert.ok(!plain.includes(2) && !plain.some((id) => id < 32), "no special ids from user text");
  assert.equal(t.decode(plain), text);
  const allowed = [...t.encode(text, { allowSpecial: true })];
  assert.ok(allowed.includes(2) && allowed.includes(3 + 5));
  assert.equal(t.decode(allowed), text);
  assert.equal(t.decode(allowed, { skipSpecial: true }), "hithere");
});

test("BPE-dropout: p = 0 is exact, p > 0 still round-trips, is seeded, and gives more tokens", async () => {
  const t = await smallTokenizer();
  const text = varietyTexts()[0];
  const normal = t.encode(text);
  const r0 = new Rng(3);
  assert.deepEqual(t.encode(text, { dropout: 0, uniform: () => r0.float32() }), normal);
  const a = new Rng(5), b = new Rng(5);
  const da = t.encode(text, { dropout: 0.1, uniform: () => a.float32() });
  const db = t.encode(text, { dropout: 0.1, uniform: () => b.float32() });
  assert.deepEqual(da, db);
  assert.equal(t.decode(da), text);
  assert.ok(da.length > normal.length * 1.05, `${da.length} vs ${normal.length}`);
  assert.throws(() => t.encode(text, { dropout: 0.1 }), /uniform/);
  assert.throws(() => t.encode(text, { dropout: 1 }), RangeError);
  assert.deepEqual(t.encode(text), normal, "the cache is untouched by dropout");
});

test("streaming a file in small chunks gives the ids of the whole text", async () => {
  const t = await smallTokenizer();
  const dir = mkdtempSync(join(tmpdir(), "tok-stream-"));
  try {
    const text = varietyTexts().join("\n");
    writeFileSync(join(dir, "a.txt"), text);
    writeFileSync(join(dir, "b.jsonl"), varietyTexts().slice(0, 5).map((s) => JSON.stringify({ text: s })).join("\n") + "\n");
    const [txt, jsonl] = expandInputs([join(dir, "a.txt"), join(dir, "b.jsonl")]);
    const pieces = [...encodeFile(t, txt, { chunkBytes: 1000 })];
    assert.ok(pieces.length > 20, `${pieces.length} chunks`);
    const ids = pieces.flatMap((p) => [...p.ids]);
    assert.deepEqual(ids, [...t.encode(text)]);
    assert.deepEqual(pieces.map((p) => p.endOfDocument).filter(Boolean).length, 1);
    const docs = [...encodeFile(t, jsonl, { chunkBytes: 100 })];
    assert.deepEqual(docs.map((d) => [...d.ids]), varietyTexts().slice(0, 5).map((s) => [...t.encode(s)]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("batch encoding on worker threads equals encoding one by one, in order", async () => {
  const t = await smallTokenizer();
  const texts = [...varietyTexts(), ...Array.from({ length: 200 }, (_, i) => randomString(seeded(i), 50, false))];
  const pool = await EncodePool.create(t.toJSON(), t.toHuggingFace().config, 2);
  try {
    const got = await pool.encodeBatch(texts, {}, 5000);
    assert.equal(got.length, texts.length);
    texts.forEach((s, i) => assert.deepEqual(got[i], t.encode(s)));
    const special = await pool.encodeBatch(["a<|endoftext|>b"], { allowSpecial: true });
    assert.deepEqual(special[0], t.encode("a<|endoftext|>b", { allowSpecial: true }));
  } finally {
    await pool.close();
  }
});

test("toJSON is a Hugging Face tokenizer.json that tokenizerFromJSON reads back identically", async () => {
  const t = await smallTokenizer();
  const json = JSON.parse(JSON.stringify(t.toJSON()));
  assert.equal(json.model.type, "BPE");
  assert.equal(json.added_tokens.length, 32);
  const back = tokenizerFromJSON(json);
  assert.ok(back instanceof BpeTokenizer);
  assert.equal(back.vocabSize, t.vocabSize);
  assert.equal(back.eosId, 2);
  assert.equal(back.bosId, 1);
  for (const s of varietyTexts()) assert.deepEqual(back.encode(s), t.encode(s));
  assert.throws(() => tokenizerFromJSON({ type: "sentencepiece" }), /unknown tokenizer/);
});
