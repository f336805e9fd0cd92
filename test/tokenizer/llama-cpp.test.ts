/**
 * llama.cpp tokenizes like us: our vocabulary as GGUF metadata (tokenizer.ggml.*, pre-tokenizer "qwen2"),
 * loaded vocab-only by node-llama-cpp's prebuilt llama.cpp in a child process (a malformed GGUF can abort the
 * process), must give our ids on a varied corpus, and decode them back to the text.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gguf, writeGguf, type GgufValue } from "../../src/export/gguf.js";
import { readGguf } from "../../src/export/gguf-read.js";
import { ggufVocabMetadata, ggufPreTokenizer } from "../../src/tokenizer/bpe/gguf-vocab.js";
import { readFileSync } from "node:fs";
import { randomString, seeded, smallTokenizer, varietyTexts } from "./helpers.js";

const HELPER = fileURLToPath(new URL("../helpers/llama-tokenize.js", import.meta.url));

/** llama hyper-parameters: a vocab-only load does not read them, but node-llama-cpp's size estimate looks. */
const HPARAMS: [string, GgufValue][] = [
  ["general.architecture", gguf.str("llama")], ["general.name", gguf.str("pretrain-ts tokenizer")],
  ["llama.context_length", gguf.u32(2048)], ["llama.embedding_length", gguf.u32(64)], ["llama.block_count", gguf.u32(1)],
  ["llama.feed_forward_length", gguf.u32(128)], ["llama.attention.head_count", gguf.u32(4)],
  ["llama.attention.layer_norm_rms_epsilon", gguf.f32(1e-6)],
];

test("the GGUF vocabulary fields", async () => {
  const t = await smallTokenizer();
  const meta = new Map(ggufVocabMetadata(t));
  assert.equal(ggufPreTokenizer(t), "qwen2");
  const tokens = (meta.get("tokenizer.ggml.tokens") as unknown as { values: string[] }).values;
  assert.equal(tokens.length, t.vocabSize);
  assert.equal(tokens[2], "<|endoftext|>");
  const types = (meta.get("tokenizer.ggml.token_type") as unknown as { values: number[] }).values;
  assert.deepEqual([types[0], types[31], types[32], types[1023]], [3, 3, 1, 1]);
  const merges = (meta.get("tokenizer.ggml.merges") as unknown as { values: string[] }).values;
  assert.ok(merges.every((m) => m.split(" ").length === 2), "merges are \"left right\"");
  assert.equal(merges.length, 1024 - 32 - 256);
});

test("llama.cpp (node-llama-cpp, vocab only) tokenizes exactly as we do", { timeout: 60_000 }, async (ctx) => {
  const t = await smallTokenizer();
  const dir = mkdtempSync(join(tmpdir(), "tok-gguf-"));
  try {
    const path = join(dir, "vocab.gguf");
    writeGguf(path, [...HPARAMS, ...ggufVocabMetadata(t)]);
    assert.equal(readGguf(readFileSync(path)).metadata.get("tokenizer.ggml.pre"), "qwen2");
    const u = seeded(5);
    // Unassigned code points are left out: llama.cpp puts each in a word of its own, the regex does not.
    const texts = [...varietyTexts(), ...Array.from({ length: 300 }, (_, i) => randomString(u, 1 + (i % 40), false).replace(/\u0378/g, "x"))];
    writeFileSync(join(dir, "texts.json"), JSON.stringify(texts));
    const r = spawnSync(process.execPath, [HELPER, path, join(dir, "texts.json")], { encoding: "utf8", maxBuffer: 1 << 28 });
    if (r.status !== 0 && /Cannot find (module|package) 'node-llama-cpp'|no prebuilt binary/i.test(r.stderr)) {
      ctx.skip("node-llama-cpp is not available on this platform");
      return;
    }
    assert.equal(r.status, 0, `llama.cpp child failed: ${r.stderr.slice(-2000)}`);
    const out = JSON.parse(r.stdout) as { ids: number[][]; detok: string[]; bos: number; eos: number };
    assert.equal(out.bos, 1);
    assert.equal(out.eos, 2);
    texts.forEach((s, k) => {
      const mine = [...t.encode(s)];
      assert.deepEqual(out.ids[k], mine, `text ${k} ${JSON.stringify(s.slice(0, 60))}`);
      assert.equal(out.detok[k], s, `llama.cpp decode of text ${k}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
