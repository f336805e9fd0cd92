import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ShardError, ShardReader, ShardWriter } from "../../../src/data/tokens/shard.js";
import { domainIndex, ShardSet, SplitWriter, writeIndex, INDEX_FORMAT } from "../../../src/data/tokens/shard-set.js";
import { randomInts, seeded } from "../../helpers/random.js";

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-shard-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const meta = (vocab: number) => ({ vocab_size: vocab, tokenizer_sha256: "ab".repeat(32), domain: "web" });

for (const vocab of [300, 99000]) {
  test(`a shard round-trips documents and tokens (vocabulary ${vocab}: ${vocab > 65536 ? "uint32" : "uint16"})`, () => withDir((dir) => {
    const u = seeded(vocab);
    const docs = [5, 1, 0, 17, 3].map((n) => randomInts(u, n, vocab));
    const w = new ShardWriter(join(dir, "a.tok"), meta(vocab));
    for (const d of docs) w.add(d);
    const h = w.finish();
    assert.equal(h.dtype, vocab > 65536 ? "uint32" : "uint16");
    const r = new ShardReader(join(dir, "a.tok"));
    assert.equal(r.tokens, 26);
    assert.equal(r.documents, 5);
    assert.equal(r.header.domain, "web");
    let at = 0;
    docs.forEach((d, i) => {
      assert.deepEqual(r.document(i), [at, at + d.length]);
      const out = new Int32Array(d.length);
      r.read(at, d.length, out);
      assert.deepEqual(out, d);
      at += d.length;
    });
    const tail = new Int32Array(4);
    r.read(22, 4, tail);
    const all = docs.flatMap((d) => Array.from(d));
    assert.deepEqual(Array.from(tail), all.slice(22, 26), "a read may span documents");
    assert.throws(() => r.read(20, 10, new Int32Array(10)), /outside \[0, 26\)/);
    r.close();
  }));
}

test("bad shards: wrong magic, newer version, truncation, trailing bytes, damaged header, tokens outside the vocabulary", () => withDir((dir) => {
  const p = join(dir, "a.tok");
  const w = new ShardWriter(p, meta(300));
  w.add([1, 2, 3]);
  w.add([4]);
  w.finish();
  const good = readFileSync(p);
  const expectError = (bytes: Buffer, pattern: RegExp) => {
    writeFileSync(p, bytes);
    assert.throws(() => new ShardReader(p), (e: unknown) => e instanceof ShardError && pattern.test(e.message) && e.message.includes(p));
  };
  const wrong = Buffer.from(good);
  wrong.write("NOTTOKEN", 0, "latin1");
  expectError(wrong, /not a pretrain-ts token shard/);
  const newer = Buffer.from(good);
  newer.writeUInt32LE(7, 8);
  expectError(newer, /version 7 is newer/);
  expectError(good.subarray(0, good.length - 3), /truncated: expected \d+ bytes, the file has \d+/);
  expectError(good.subarray(0, 10), /too short/);
  expectError(Buffer.concat([good, Buffer.alloc(8)]), /unexpected bytes after/);
  const badJson = Buffer.from(good);
  badJson[17] = 0x7b;
  badJson[18] = 0x7b;
  expectError(badJson, /not valid JSON|header field|dtype/);
  assert.throws(() => new ShardReader(join(dir, "missing.tok")), /cannot open \(ENOENT\)/);
  const w2 = new ShardWriter(join(dir, "b.tok"), meta(10));
  assert.throws(() => w2.add([3, 10]), /token 10 \(document 0, position 1\) is outside the vocabulary \[0, 10\)/);
}));

test("a shard set: splits roll over at the size limit, the index is checked against the shards", () => withDir((dir) => {
  const d = join(dir, "web");
  mkdirSync(d);
  const train = new SplitWriter(d, "train", meta(300), 10);
  for (let i = 0; i < 7; i++) train.add([i, i, i, i]);
  const entries = train.close();
  assert.deepEqual(entries.map((e) => [e.file, e.tokens, e.documents]), [["train-00000.tok", 12, 3], ["train-00001.tok", 12, 3], ["train-00002.tok", 4, 1]]);
  writeIndex(dir, {
    format: INDEX_FORMAT, version: 1, vocab_size: 300, eos_id: 2, tokenizer_sha256: "ab".repeat(32),
    domains: { web: domainIndex(entries, []) },
  });
  const set = new ShardSet(dir);
  assert.deepEqual(set.domains(), ["web"]);
  assert.equal(set.domain("web").tokens.train, 28);
  assert.equal(set.shard("web", "train", 1).documents, 3);
  assert.throws(() => set.domain("code"), /no domain "code" \(domains: web\)/);
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
  index.domains.web.train[2].tokens = 5;
  writeFileSync(join(dir, "index.json"), JSON.stringify(index));
  assert.throws(() => new ShardSet(dir).shard("web", "train", 2), /holds 4 tokens and 1 documents, the index says 5 and 1/);
  set.close();
}));
