/**
 * Folding invariance: the training-form model and the exported plain Llama give the same logits; export → import →
 * export reproduces the files; sharded folders load; models that cannot be plain Llama are refused.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { referenceKernels } from "../../src/kernels/reference.js";
import { nativeKernels } from "../../src/kernels/native.js";
import type { Kernels } from "../../src/kernels/types.js";
import { resolveModelConfig, type ModelConfigInput } from "../../src/model/config.js";
import { Model } from "../../src/model/model.js";
import { headLogits } from "../../src/model/head.js";
import { foldToLlama } from "../../src/export/fold.js";
import { writeHfFolder, type ExportDtype } from "../../src/export/hf.js";
import { loadHfFolder } from "../../src/export/hf-import.js";
import { gaussian, randomInts, seeded } from "../helpers/random.js";

function perturbed(input: ModelConfigInput, k: Kernels): Model {
  const m = new Model(resolveModelConfig(input), k, { training: false });
  m.init(3);
  const u = seeded(17);
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

function logits(m: Model, ids: Int32Array): Float64Array {
  m.loss({ rows: 1, seq: ids.length, ids, targets: new Int32Array(ids.length).fill(-1) });
  const out = m.k.alloc(ids.length * m.config.vocab_size);
  headLogits(m, m.activations!.h, ids.length, out);
  return Float64Array.from(out);
}

function exportTo(m: Model, dir: string, dtype: ExportDtype = "float32", maxShardBytes = 1 << 30): string[] {
  const { tensors, tied } = foldToLlama(m.config, m.layout, m.params);
  return writeHfFolder(dir, m.config, tensors, tied, { dtype, maxShardBytes });
}

const YULAN: ModelConfigInput = {
  num_layers: 2, d_model: 32, ffn_size: 48, num_heads: 4, num_kv_heads: 2, vocab_size: 67, max_seq_len: 32,
  tie_embeddings: true, qkv_bias: true, dim_model_base: 16, scale_emb: 10, init_std: 0.05, z_loss: 1e-4,
};
const PLAIN: ModelConfigInput = {
  num_layers: 2, d_model: 32, ffn_size: 64, num_heads: 4, vocab_size: 61, max_seq_len: 32, tie_embeddings: false,
  qkv_bias: false, wesar: false, scale_emb: 1, residual_multiplier: 1, init_std: 0.05,
};
const SCALES: ModelConfigInput = {
  ...YULAN, tie_embeddings: false, attention_scale_base: 2, logit_scale_base: 8, mup_init_rule: "minicpm",
};

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-export-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const [name, input] of Object.entries({ yulan: YULAN, plain: PLAIN, scales: SCALES })) {
  for (const [kname, make] of [["reference-f64", () => referenceKernels("f64")], ["native", () => nativeKernels()]] as const) {
    test(`folding invariance (${name}, ${kname}): training form and exported Llama give the same logits`, () => withDir((dir) => {
      const k = make();
      const m = perturbed(input, k);
      const ids = randomInts(seeded(2), 20, m.config.vocab_size);
      const want = logits(m, ids);
      exportTo(m, dir);
      const plain = loadHfFolder(dir, k);
      assert.equal(plain.config.wesar, false);
      const got = logits(plain, ids);
      let scale = 0;
      for (const v of want) scale = Math.max(scale, Math.abs(v));
      const tol = kname === "native" ? 1e-5 : 1e-6; // f64 models still export float32 weights
      for (let i = 0; i < want.length; i++) {
        assert.ok(Math.abs(got[i] - want[i]) <= tol * scale, `logit ${i}: ${got[i]} vs ${want[i]} (scale ${scale})`);
      }
    }));
  }
}

test("export → import → export gives identical files (float32 and bfloat16), tied and untied", () => withDir((dir) => {
  for (const [name, input] of [["yulan", YULAN], ["plain", PLAIN]] as const) {
    for (const dtype of ["float32", "bfloat16"] as const) {
      const a = join(dir, `${name}-${dtype}-a`);
      const b = join(dir, `${name}-${dtype}-b`);
      exportTo(perturbed(input, referenceKernels("f32")), a, dtype);
      const imported = loadHfFolder(a, referenceKernels("f32"), { wesar: true });
      assert.equal(imported.config.wesar, true, "gates exist, at 1");
      exportTo(imported, b, dtype);
      for (const f of readdirSync(a)) {
        assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${name} ${dtype}: ${f} differs`);
      }
    }
  }
}));

test("large models are sharded with an index, and the shards load back", () => withDir((dir) => {
  const m = perturbed(PLAIN, referenceKernels("f32"));
  const files = exportTo(m, dir, "float32", 20000);
  assert.ok(files.includes("model.safetensors.index.json"));
  const shards = files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
  assert.ok(shards.length > 3, `${shards.length} shards`);
  const index = JSON.parse(readFileSync(join(dir, "model.safetensors.index.json"), "utf8"));
  assert.equal(Object.keys(index.weight_map).length, foldToLlama(m.config, m.layout, m.params).tensors.length);
  const back = loadHfFolder(dir, referenceKernels("f32"));
  const ids = randomInts(seeded(9), 10, 61);
  assert.deepEqual(logits(back, ids), logits(m, ids));
}));

test("a model with QK-LayerNorm is refused with a clear reason", () => {
  const m = new Model(resolveModelConfig({ ...YULAN, qk_layernorm: true }), referenceKernels("f32"), { training: false });
  assert.throws(() => foldToLlama(m.config, m.layout, m.params), /QK-LayerNorm/);
});
