/** Readers: JSONL (plain, gzip, zstd), Parquet and text files; broken records become rejected records. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, mkdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { readJsonl } from "../../../src/data/readers/jsonl.js";
import { readLines } from "../../../src/data/readers/lines.js";
import { listInputFiles, readInputFile, type InputConfig } from "../../../src/data/readers/index.js";
import { ensureZstd, zstdFrame } from "../../../src/data/writers/zstd.js";
import { ParquetShardWriter } from "../../../src/data/writers/parquet.js";
import { parquetWriteBuffer } from "hyparquet-writer";
import type { ReadItem } from "../../../src/data/document.js";
import { tempDir } from "../helpers.js";

const OPTS = { textField: "text", idField: "id", domain: "web", domainField: null, metaFields: null, maxLineBytes: 1 << 20 };

async function collect(it: AsyncIterable<ReadItem>): Promise<ReadItem[]> {
  const out: ReadItem[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function brokenJsonl(): Buffer {
  return Buffer.concat([
    Buffer.from(JSON.stringify({ id: "a", text: "first document", lang: "en" }) + "\n"),
    Buffer.from("{not json\n"),
    Buffer.from(JSON.stringify({ id: "c", body: "no text field" }) + "\n"),
    Buffer.from('{"id": "d", "text": "bad \\u00e9 then '), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n'),
    Buffer.from(JSON.stringify({ id: "e", text: 42 }) + "\n"),
    Buffer.from("\n"),
    Buffer.from(JSON.stringify({ text: "no id here", meta: { source: "elsewhere", domain: "code" } }) + "\r\n"),
    Buffer.from(JSON.stringify({ id: "g", text: "last line without newline" })),
  ]);
}

function check(items: ReadItem[], rel: string): void {
  const docs = items.filter((i) => "doc" in i).map((i) => (i as { doc: { id: string; text: string; meta: Record<string, unknown> } }).doc);
  const rej = items.filter((i) => "rejected" in i).map((i) => (i as { rejected: { line: number; reason: string; file: string } }).rejected);
  assert.deepEqual(docs.map((d) => d.id), ["a", `${rel}:7`, "g"]);
  assert.equal(docs[0].meta.lang, "en");
  assert.equal(docs[0].meta.source, `${rel}:1`);
  assert.equal(docs[0].meta.domain, "web");
  assert.equal(docs[1].meta.source, "elsewhere", "a record's own meta is kept");
  assert.equal(docs[1].meta.domain, "code");
  assert.equal(docs[2].text, "last line without newline");
  assert.deepEqual(rej.map((r) => [r.line, r.reason.split(" (")[0]]), [
    [2, "invalid json"], [3, 'missing text field "text"'], [4, "invalid utf-8"], [5, 'text field "text" is not a string'],
  ]);
  assert.ok(rej.every((r) => r.file === rel));
}

test("JSONL: plain, gzip and zstd give the same documents and the same rejected records", async () => {
  const dir = tempDir();
  const raw = brokenJsonl();
  await ensureZstd();
  // zstd as several independent frames, as our writer produces
  const half = raw.length >> 1;
  const z = Buffer.concat([zstdFrame(raw.subarray(0, half)), zstdFrame(raw.subarray(half))]);
  for (const [name, bytes] of [["a.jsonl", raw], ["a.jsonl.gz", gzipSync(raw)], ["a.jsonl.zst", z]] as const) {
    writeFileSync(join(dir, name), bytes);
    check(await collect(readJsonl(join(dir, name), name, OPTS)), name);
  }
});

test("lines: a line longer than the limit is skipped and reported without being held", async () => {
  const dir = tempDir();
  const p = join(dir, "long.jsonl");
  writeFileSync(p, `{"text":"ok"}\n{"text":"${"x".repeat(5000)}"}\n{"text":"after"}\n`);
  const lines = [];
  for await (const l of readLines(p, { maxLineBytes: 1000, chunkBytes: 64 })) lines.push(l);
  assert.deepEqual(lines.map((l) => l.error ?? l.text), ['{"text":"ok"}', "line too long", '{"text":"after"}']);
  assert.equal(lines[1].lineNo, 2);
  assert.equal(lines.reduce((a, l) => a + l.bytes, 0), 14 + 5012 + 17);
});

test("lines: a corrupt zstd stream ends the file with one reported problem", async () => {
  const dir = tempDir();
  await ensureZstd();
  const good = zstdFrame(Buffer.from('{"text":"one"}\n{"text":"two"}\n'));
  const bad = Buffer.concat([good, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3, 4, 5, 6, 7, 8])]);
  writeFileSync(join(dir, "x.jsonl.zst"), bad);
  const items = await collect(readJsonl(join(dir, "x.jsonl.zst"), "x.jsonl.zst", OPTS));
  assert.equal(items.filter((i) => "doc" in i).length, 2);
  const rej = items.filter((i) => "rejected" in i);
  assert.equal(rej.length, 1);
  assert.match((rej[0] as { rejected: { reason: string } }).rejected.reason, /zstd stream error/);
});

test("Parquet: documents by row in batches, our own output read back with its meta", async () => {
  const dir = tempDir();
  await ensureZstd();
  const w = ParquetShardWriter.create({ dir, prefix: "docs", compression: "zstd", rowGroupDocs: 3 });
  for (let i = 0; i < 7; i++) w.write({ id: `d${i}`, text: `text number ${i} é`, meta: { source: `s${i}`, domain: "math", score: i / 2 } });
  w.close();
  const files = listInputFiles(cfg([dir]), dir);
  assert.deepEqual(files.map((f) => [f.rel, f.format]), [["docs-00000.parquet", "parquet"]]);
  const items = await collect(readInputFile(files[0], cfg([dir])));
  const docs = items.map((i) => (i as { doc: { id: string; text: string; meta: Record<string, unknown> } }).doc);
  assert.deepEqual(docs.map((d) => d.id), ["d0", "d1", "d2", "d3", "d4", "d5", "d6"]);
  assert.equal(docs[3].text, "text number 3 é");
  assert.deepEqual(docs[3].meta, { source: "s3", domain: "math", score: 1.5 });
});

test("Parquet: invalid UTF-8 in the text column is rejected with its row, not replaced", async () => {
  const dir = tempDir();
  const buf = parquetWriteBuffer({ columnData: [
    { name: "id", data: ["x", "y"], type: "STRING" },
    { name: "text", data: [new Uint8Array([104, 105]), new Uint8Array([0xff, 0x61])], type: "BYTE_ARRAY" },
  ] });
  writeFileSync(join(dir, "bad.parquet"), new Uint8Array(buf));
  const files = listInputFiles(cfg([dir]), dir);
  const items = await collect(readInputFile(files[0], cfg([dir])));
  assert.equal((items[0] as { doc: { text: string } }).doc.text, "hi");
  assert.deepEqual({ ...(items[1] as { rejected: object }).rejected, sample: undefined }, { file: "bad.parquet", line: 1, reason: "invalid utf-8", sample: undefined });
});

test("text folders: one document per file, invalid UTF-8 and empty files rejected, sorted and filtered by extension", async () => {
  const dir = tempDir();
  mkdirSync(join(dir, "b"), { recursive: true });
  writeFileSync(join(dir, "b", "two.txt"), "second file");
  writeFileSync(join(dir, "a.txt"), "first file");
  writeFileSync(join(dir, "latin1.txt"), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
  writeFileSync(join(dir, "empty.txt"), "  \n");
  writeFileSync(join(dir, "skip.bin"), "binary");
  const c = cfg([dir], "text");
  const files = listInputFiles(c, dir);
  assert.deepEqual(files.map((f) => f.rel), ["a.txt", "b/two.txt", "empty.txt", "latin1.txt"]);
  const items = (await Promise.all(files.map((f) => collect(readInputFile(f, c))))).flat();
  assert.deepEqual(items.filter((i) => "doc" in i).map((i) => (i as { doc: { id: string } }).doc.id), ["a.txt", "b/two.txt"]);
  assert.deepEqual(items.filter((i) => "rejected" in i).map((i) => (i as { rejected: { reason: string; file: string } }).rejected.reason + ":" + (i as { rejected: { file: string } }).rejected.file),
    ["empty file:empty.txt", "invalid utf-8:latin1.txt"]);
});

function cfg(paths: string[], format: InputConfig["format"] = "auto"): InputConfig {
  return {
    paths, format, text_field: "text", id_field: "id", domain: "web", domain_field: null, meta_fields: null,
    text_extensions: [".txt"], max_line_bytes: 1 << 20, max_file_bytes: 1 << 20, parquet_batch_rows: 2,
  };
}
