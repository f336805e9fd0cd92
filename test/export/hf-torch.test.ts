/**
 * An exported Hugging Face folder through an independent PyTorch forward (scripts/torch/hf_llama_forward.py, which
 * reads config.json and the safetensors itself) gives our logits. Needs Debian's python3-torch at /usr/bin/python3:
 * CI installs it; elsewhere the test is skipped with a message saying what to install.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { nativeKernels } from "../../src/kernels/native.js";
import { resolveModelConfig } from "../../src/model/config.js";
import { Model } from "../../src/model/model.js";
import { headLogits } from "../../src/model/head.js";
import { foldToLlama } from "../../src/export/fold.js";
import { writeHfFolder } from "../../src/export/hf.js";
import { loadHfFolder } from "../../src/export/hf-import.js";
import { randomInts, seeded } from "../helpers/random.js";

const SCRIPT = fileURLToPath(new URL("../../../scripts/torch/hf_llama_forward.py", import.meta.url));
const probe = spawnSync("/usr/bin/python3", ["-c", "import torch"], { encoding: "utf8" });
const torchMissing = probe.status === 0 ? false
  : "needs PyTorch at /usr/bin/python3 (Debian: apt-get install python3-torch); .ci/run installs it";

test("PyTorch reading the exported folder (float32 and bfloat16) computes our logits", { skip: torchMissing }, () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-hf-torch-"));
  try {
    const k = nativeKernels();
    const m = new Model(resolveModelConfig({
      num_layers: 2, d_model: 32, ffn_size: 48, num_heads: 4, num_kv_heads: 2, vocab_size: 67, max_seq_len: 32,
      qkv_bias: true, dim_model_base: 16, scale_emb: 10, init_std: 0.05, rope_theta: 5000,
    }), k, { training: false });
    m.init(4);
    for (const t of m.layout.tensors) if (t.kind === "gate") m.params[t.offset] *= 1.3;
    const ids = randomInts(seeded(1), 12, 67);
    const logitsOf = (model: Model) => {
      model.loss({ rows: 1, seq: 12, ids, targets: new Int32Array(12).fill(-1) });
      const out = k.alloc(12 * 67);
      headLogits(model, model.activations!.h, 12, out);
      return out;
    };
    const { tensors, tied } = foldToLlama(m.config, m.layout, m.params);
    for (const dtype of ["float32", "bfloat16"] as const) {
      const out = join(dir, dtype);
      writeHfFolder(out, m.config, tensors, tied, { dtype, maxShardBytes: 1 << 30 });
      // Ours: the training-form model for float32; the folder read back (its rounded weights) for bfloat16.
      const ours = dtype === "float32" ? logitsOf(m) : logitsOf(loadHfFolder(out, k));
      const r = spawnSync("/usr/bin/python3", [SCRIPT, out, Array.from(ids).join(",")], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const torch = JSON.parse(r.stdout) as { logits: number[][] };
      let scale = 0;
      for (const v of ours) scale = Math.max(scale, Math.abs(v));
      torch.logits.forEach((row, i) => row.forEach((v, j) => {
        assert.ok(Math.abs(v - ours[i * 67 + j]) <= 1e-5 * scale, `${dtype} logit [${i}, ${j}]: torch ${v}, ours ${ours[i * 67 + j]}`);
      }));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
