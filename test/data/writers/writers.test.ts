/** Writers: sharded JSONL (plain, gzip, zstd frames) and Parquet, atomic shards, read back by independent readers. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { decompress } from "fzstd";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { JsonlShardWriter } from "../../../src/data/writers/jsonl.js";
import { ParquetShardWriter } from "../../../src/data/writers/parquet.js";
import { tempDir } from "../helpers.js";

const docs = Array.from({ length: 25 }, (_, i) => ({ id: `d${i}`, text: `document ${i} — ünïcødé ${"x".repeat(i * 100)}`, meta: { source: `s${i}`, domain: "web" } }));

test("JSONL shards: rotation by document count, zstd as independent frames, gzip as members, no temporary files left", async () => {
  for (const compression of ["none", "gzip", "zstd"] as const) {
    const dir = tempDir();
    const w = await JsonlShardWriter.open({ dir, prefix: "rank-00000", compression, maxDocs: 10, blockBytes: 500 });
    for (const d of docs) w.write(d);
    w.close();
    const files = readdirSync(dir).sort();
    const ext = compression === "zstd" ? ".jsonl.zst" : compression === "gzip" ? ".jsonl.gz" : ".jsonl";
    assert.deepEqual(files, [0, 1, 2].map((i) => `rank-00000-0000${i}${ext}`), compression);
    const back = files.flatMap((f) => {
      const raw = readFileSync(join(dir, f));
      const text = compression === "zstd" ? Buffer.from(decompress(raw)).toString() : compression === "gzip" ? gunzipSync(raw).toString() : raw.toString();
      return text.trim().split("\n").map((l) => JSON.parse(l));
    });
    assert.deepEqual(back, docs, compression);
  }
});

test("Parquet shards: readable by hyparquet with zstd pages; meta kept as JSON", async () => {
  const dir = tempDir();
  const w = await ParquetShardWriter.open({ dir, prefix: "rank-00001", compression: "zstd", maxDocs: 20, rowGroupDocs: 7 });
  for (const d of docs) w.write(d);
  w.close();
  const files = readdirSync(dir).sort();
  assert.deepEqual(files, ["rank-00001-00000.parquet", "rank-00001-00001.parquet"]);
  const rows = [];
  for (const f of files) rows.push(...(await parquetReadObjects({ file: await asyncBufferFromFile(join(dir, f)), compressors })));
  assert.equal(rows.length, 25);
  assert.equal(rows[24].text, docs[24].text);
  assert.deepEqual(JSON.parse(rows[3].meta as string), docs[3].meta);
  assert.equal(rows[5].domain, "web");
});
