/**
 * GGUF export checked by llama.cpp itself: node-llama-cpp's prebuilt llama.cpp loads our file in a child process (a
 * malformed GGUF can abort a process) and its next-token distributions at every position of a text equal our
 * model's (F32 weights and KV cache: within 2e-5 in log-probability; measured 1.7e-6), for a YuLan-style model (μP, WeSaR gates,
 * q/k/v biases, GQA, an embedding with more rows than the tokenizer has tokens) with our BPE tokenizer, and for a
 * byte-level model; its tokenization of the text equals ours. F16 and Q8_0 files stay close. The file is read
 * back to check the Q/K permutation and the metadata, and a truncated file is refused with a clear error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { nativeKernels } from "../../src/kernels/native.js";
import { resolveModelConfig, type ModelConfigInput } from "../../src/model/config.js";
import { Model } from "../../src/model/model.js";
import { headLogits } from "../../src/model/head.js";
import { foldToLlama } from "../../src/export/fold.js";
import { ggufModel, permuteForLlamaCpp, writeGgufModel, type GgufFileType } from "../../src/export/gguf-model.js";
import { GgufFormatError, ggufTensorData, readGguf } from "../../src/export/gguf-read.js";
import { ByteTokenizer } from "../../src/tokenizer/bytes.js";
import type { Tokenizer } from "../../src/tokenizer/index.js";
import { gaussian, seeded } from "../helpers/random.js";
import { smallTokenizer } from "../tokenizer/helpers.js";

const HELPER = fileURLToPath(new URL("../helpers/llama-logits.js", import.meta.url));
const TEXT = "The package.json file lists a project's dependencies; npm install reads it.\nIt also runs scripts.";

function yulanModel(vocab: number, seed: number): Model {
  const input: ModelConfigInput = {
    num_layers: 2, d_model: 64, ffn_size: 128, num_heads: 4, num_kv_heads: 2, vocab_size: vocab, max_seq_len: 128,
    tie_embeddings: true, qkv_bias: true, dim_model_base: 16, scale_emb: 10, init_std: 0.05, rope_theta: 5000,
    norm_eps: 1e-5,
  };
  const m = new Model(resolveModelConfig(input), nativeKernels(), { training: false });
  m.init(seed);
  // Move every gate, norm gain and bias away from its initial value, so a missed fold would show.
  const u = seeded(seed + 1);
  for (const t of m.layout.tensors) {
    const v = m.params.subarray(t.offset, t.offset + t.size);
    for (let i = 0; i < t.size; i++) {
      if (t.kind === "norm") v[i] += 0.2 * gaussian(u);
      else if (t.kind === "bias") v[i] = 0.05 * gaussian(u);
      else if (t.kind === "gate") v[i] *= 1 + 0.3 * gaussian(u);
    }
  }
  return m;
}

/** Our log-softmax of the logits at every position. */
function ourLogprobs(m: Model, ids: Int32Array): Float64Array[] {
  const n = ids.length;
  const V = m.config.vocab_size;
  m.loss({ rows: 1, seq: n, ids, targets: new Int32Array(n).fill(-1) });
  const logits = m.k.alloc(n * V);
  headLogits(m, m.activations!.h, n, logits);
  const out: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const row = Float64Array.from(logits.subarray(i * V, (i + 1) * V));
    let max = -Infinity;
    for (const x of row) max = Math.max(max, x);
    let sum = 0;
    for (const x of row) sum += Math.exp(x - max);
    const lse = max + Math.log(sum);
    out.push(row.map((x) => x - lse));
  }
  return out;
}

interface LlamaResult {
  tokens: number[];
  logprobs: ([number, number][] | null)[];
}

function runLlama(path: string, dir: string, text: string, ids: Int32Array): LlamaResult | "unavailable" {
  const input = join(dir, "input.json");
  writeFileSync(input, JSON.stringify({ text, ids: Array.from(ids) }));
  const r = spawnSync(process.execPath, [HELPER, path, input], { encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0 && /Cannot find (module|package) 'node-llama-cpp'|no prebuilt binary/i.test(r.stderr)) return "unavailable";
  assert.equal(r.status, 0, `llama.cpp child failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout) as LlamaResult;
}

/** Largest |Δ log p| over every position and every token of the vocabulary. */
function maxDifference(ours: Float64Array[], theirs: LlamaResult, V: number): number {
  let worst = 0;
  theirs.logprobs.forEach((row, i) => {
    assert.ok(row, `llama.cpp gave no distribution at position ${i}`);
    assert.equal(row.length, V, `position ${i}: the distribution covers the whole vocabulary`);
    for (const [token, lp] of row) worst = Math.max(worst, Math.abs(lp - ours[i][token]));
  });
  return worst;
}

async function exportAndCompare(name: string, tokenizer: Tokenizer, vocab: number,
  ctx: { skip(m: string): void; diagnostic(m: string): void }, tolerances: Partial<Record<GgufFileType, number>>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `gguf-llama-${name}-`));
  try {
    const m = yulanModel(vocab, 11);
    const ids = tokenizer.encode(TEXT);
    const ours = ourLogprobs(m, ids);
    for (const fileType of Object.keys(tolerances) as GgufFileType[]) {
      const path = join(dir, `${name}-${fileType}.gguf`);
      writeGgufModel(path, m.config, m.layout, m.params, tokenizer, { fileType, name });
      const llama = runLlama(path, dir, TEXT, ids);
      if (llama === "unavailable") {
        ctx.skip("node-llama-cpp has no prebuilt llama.cpp for this platform");
        return;
      }
      assert.deepEqual(llama.tokens, Array.from(ids), `${name}: llama.cpp tokenizes the text as we do`);
      const worst = maxDifference(ours, llama, vocab);
      ctx.diagnostic(`${name} ${fileType}: max |Δ log p| over ${ids.length} positions × ${vocab} tokens = ${worst.toExponential(2)}`);
      assert.ok(worst <= tolerances[fileType]!, `${name} ${fileType}: max |Δ log p| ${worst} > ${tolerances[fileType]}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("llama.cpp runs our GGUF (BPE tokenizer, YuLan-style model): same tokens, same next-token log-probabilities",
  { timeout: 120_000 }, async (ctx) => {
    const tok = await smallTokenizer();
    // 1024 tokens, 1088 embedding rows: the unused rows get placeholder tokens.
    await exportAndCompare("bpe", tok, 1088, ctx, { f32: 2e-5, f16: 5e-3, q8_0: 8e-2 });
  });

test("llama.cpp runs our GGUF of a byte-level model (bytes as a BPE without merges)", { timeout: 120_000 }, async (ctx) => {
  await exportAndCompare("bytes", new ByteTokenizer(), 320, ctx, { f32: 2e-5 });
});

test("the GGUF file: llama metadata, llama.cpp names, Q/K rows permuted to adjacent RoPE pairs, norms in F32", async () => {
  const tok = await smallTokenizer();
  const m = yulanModel(1088, 5);
  const { tensors: plain, tied } = foldToLlama(m.config, m.layout, m.params);
  const dir = mkdtempSync(join(tmpdir(), "gguf-read-"));
  try {
    const path = join(dir, "m.gguf");
    writeGgufModel(path, m.config, m.layout, m.params, tok, { fileType: "f32", name: "probe" });
    const bytes = readFileSync(path);
    const f = readGguf(bytes);
    const meta = f.metadata;
    assert.equal(meta.get("general.architecture"), "llama");
    assert.equal(meta.get("llama.block_count"), 2);
    assert.equal(meta.get("llama.attention.head_count_kv"), 2);
    assert.equal(meta.get("llama.rope.dimension_count"), 16);
    assert.ok(Math.abs((meta.get("llama.rope.freq_base") as number) - 5000) < 1e-3);
    assert.equal(meta.get("tokenizer.ggml.pre"), "qwen2");
    const tokens = meta.get("tokenizer.ggml.tokens") as string[];
    assert.equal(tokens.length, 1088);
    assert.equal(tokens[1087], "<|unused_1087|>");
    assert.equal((meta.get("tokenizer.ggml.token_type") as number[])[1087], 5);
    assert.equal(tied, false, "scale_emb 10 makes the head differ from the embedding");
    assert.ok(f.tensors.some((t) => t.name === "output.weight"));
    const q = plain.find((t) => t.name === "model.layers.1.self_attn.q_proj.weight")!;
    const qInfo = f.tensors.find((t) => t.name === "blk.1.attn_q.weight")!;
    assert.deepEqual(qInfo.dims, [64, 64], "ne0 = in features");
    assert.deepEqual(Array.from(ggufTensorData(bytes, f, "blk.1.attn_q.weight")), Array.from(permuteForLlamaCpp(q.data, 4, 16)));
    // The permutation within one head of 4: rows 0,1,2,3 → 0,2,1,3.
    assert.deepEqual(Array.from(permuteForLlamaCpp(Float32Array.from([0, 1, 2, 3]), 1, 4)), [0, 2, 1, 3]);
    const kb = plain.find((t) => t.name === "model.layers.0.self_attn.k_proj.bias")!;
    assert.deepEqual(Array.from(ggufTensorData(bytes, f, "blk.0.attn_k.bias")), Array.from(permuteForLlamaCpp(kb.data, 2, 16)));
    const e = ggufModel(m.config, m.layout, m.params, tok, { fileType: "q8_0" });
    assert.equal(e.tensors.find((t) => t.name === "blk.0.attn_norm.weight")!.type, 0, "norms stay F32");
    assert.equal(e.tensors.find((t) => t.name === "blk.0.ffn_down.weight")!.type, 8, "matrices are Q8_0");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a truncated GGUF is refused with an error naming the tensor; llama.cpp's failure stays in its child process", async () => {
  const tok = new ByteTokenizer();
  const m = yulanModel(320, 7);
  const dir = mkdtempSync(join(tmpdir(), "gguf-trunc-"));
  try {
    const path = join(dir, "m.gguf");
    writeGgufModel(path, m.config, m.layout, m.params, tok, { fileType: "f16" });
    const bytes = readFileSync(path);
    const cut = bytes.subarray(0, bytes.length - 1000);
    assert.throws(() => readGguf(cut), (e: Error) => e instanceof GgufFormatError && /runs past the end of the file/.test(e.message));
    assert.throws(() => readGguf(bytes.subarray(0, 100)), GgufFormatError);
    const cutPath = join(dir, "cut.gguf");
    writeFileSync(cutPath, cut);
    writeFileSync(join(dir, "input.json"), JSON.stringify({ text: "a", ids: [97] }));
    const r = spawnSync(process.execPath, [HELPER, cutPath, join(dir, "input.json")], { encoding: "utf8" });
    assert.notEqual(r.status, 0, "llama.cpp refuses the truncated file");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
