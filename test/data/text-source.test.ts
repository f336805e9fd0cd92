import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readByteCorpus, TokenStreamSource } from "../../src/data/text-source.js";

const stream = Int32Array.from({ length: 1001 }, (_, i) => i % 250);

test("rows are windows of seq+1 tokens; targets are the next tokens; an epoch visits each window once", () => {
  const unique = Int32Array.from({ length: 1001 }, (_, i) => i);
  const s = new TokenStreamSource(unique, 1001, 7, 0);
  const starts: number[] = [];
  for (let i = 0; i < 10; i++) {
    const b = s.next(10, 10);
    for (let r = 0; r < 10; r++) {
      const first = b.ids[r * 10];
      assert.equal(first % 10, 0, "windows start at multiples of seq");
      for (let j = 0; j < 10; j++) {
        assert.equal(b.ids[r * 10 + j], first + j);
        assert.equal(b.targets[r * 10 + j], first + j + 1);
      }
      starts.push(first);
    }
  }
  assert.deepEqual([...starts].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i * 10));
  assert.notDeepEqual(starts.slice(0, 10), starts.slice(0, 10).sort((a, b) => a - b), "shuffled");
  assert.deepEqual(s.state(), { kind: "token-stream", seq: 10, epoch: 0, index: 100 });
  s.next(1, 10);
  assert.deepEqual(s.state(), { kind: "token-stream", seq: 10, epoch: 1, index: 1 });
});

test("the order depends on the seed, and a restored state continues identically", () => {
  const a = new TokenStreamSource(stream, 259, 1, 0);
  const b = new TokenStreamSource(stream, 259, 2, 0);
  assert.notDeepEqual(Array.from(a.next(4, 8).ids), Array.from(b.next(4, 8).ids));
  for (let i = 0; i < 40; i++) a.next(4, 8); // crosses an epoch boundary (125 windows)
  const saved = JSON.parse(JSON.stringify(a.state()));
  const want = Array.from(a.next(4, 8).ids);
  const c = new TokenStreamSource(stream, 259, 1, 0);
  c.restore(saved);
  assert.deepEqual(Array.from(c.next(4, 8).ids), want);
  assert.throws(() => c.restore({ kind: "shards" }), /cannot restore/);
});

test("validation batches come from the held-out tail and are the same every time", () => {
  const s = new TokenStreamSource(stream, 259, 1, 0.2);
  const v1 = s.validation(2, 10, 3);
  assert.equal(v1.length, 3);
  assert.deepEqual(v1, s.validation(2, 10, 3));
  assert.equal(v1[0].ids[0], stream[800]);
  assert.equal(s.validation(2, 500, 3).length, 0, "too small for one batch");
  assert.throws(() => new TokenStreamSource(stream.subarray(0, 5), 259, 1, 0).next(1, 10), /cannot fill one row/);
});

test("byte corpus: raw bytes (invalid UTF-8 kept), EOS after each file, clear errors for missing or empty files", () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-corpus-"));
  try {
    writeFileSync(join(dir, "a.txt"), Buffer.from([0x68, 0x69, 0xff]));
    writeFileSync(join(dir, "b.txt"), "é");
    writeFileSync(join(dir, "empty.txt"), "");
    assert.deepEqual(Array.from(readByteCorpus([join(dir, "a.txt"), join(dir, "b.txt")], 256)), [0x68, 0x69, 0xff, 256, 0xc3, 0xa9, 256]);
    assert.throws(() => readByteCorpus([join(dir, "empty.txt")], 256), /empty\.txt is empty/);
    assert.throws(() => readByteCorpus([join(dir, "nope.txt")], 256), /nope\.txt does not exist/);
    assert.throws(() => readByteCorpus([], 256), /data\.paths is empty/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
