/** Run configurations with data.kind "text": files through a BPE tokenizer folder, end-of-text between documents. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveRunConfig } from "../../src/train/config.js";
import { openDataSource } from "../../src/data/open.js";
import { saveTokenizer } from "../../src/tokenizer/bpe/io.js";
import { smallTokenizer } from "./helpers.js";

const MODEL = { num_layers: 1, d_model: 16, ffn_size: 24, num_heads: 2, vocab_size: 1024, max_seq_len: 64, dim_model_base: 8 };

test("kind text: documents encoded with the tokenizer, eos after each, held-out bytes per token", async () => {
  const t = await smallTokenizer();
  const dir = mkdtempSync(join(tmpdir(), "tok-data-"));
  try {
    saveTokenizer(join(dir, "tok"), t);
    const a = "The first document talks about packages.\n".repeat(40);
    const b = ["second document", "third document with \u00e9"];
    writeFileSync(join(dir, "a.txt"), a);
    writeFileSync(join(dir, "b.jsonl"), b.map((x) => JSON.stringify({ body: x })).join("\n"));
    const cfg = resolveRunConfig({
      model: MODEL, train: { steps: 1 },
      data: { kind: "text", paths: ["a.txt", "b.jsonl"], tokenizer: "tok", text_field: "body", val_fraction: 0.1 },
    }, dir);
    assert.equal(cfg.data.tokenizer, join(dir, "tok"));
    const { source, tokenizer, heldOutBytesPerToken } = openDataSource(cfg);
    assert.equal(source.vocabSize, 1024);
    assert.equal(tokenizer.eosId, 2);
    const expected = [...t.encode(a), 2, ...t.encode(b[0]), 2, ...t.encode(b[1]), 2];
    // The training part is the head of the stream: one window of it must be a slice of the expected ids.
    const batch = source.next(1, 8);
    const s = expected.join(",");
    assert.ok(s.includes([...batch.ids].join(",")), "training rows come from the encoded stream");
    assert.match(source.describe(), /tokens/);
    assert.ok(heldOutBytesPerToken > 1 && heldOutBytesPerToken < 8, `${heldOutBytesPerToken}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("kind text: configuration mistakes name the key and the fix", async () => {
  const t = await smallTokenizer();
  const dir = mkdtempSync(join(tmpdir(), "tok-data-err-"));
  try {
    saveTokenizer(join(dir, "tok"), t);
    writeFileSync(join(dir, "a.txt"), "text ".repeat(100));
    const cfg = (data: Record<string, unknown>, model: Record<string, unknown> = {}) =>
      resolveRunConfig({ model: { ...MODEL, ...model }, train: { steps: 1 }, data: { kind: "text", paths: ["a.txt"], ...data } }, dir);
    assert.throws(() => cfg({}), /data.tokenizer is required/);
    assert.throws(() => openDataSource(cfg({ tokenizer: "tok" }, { vocab_size: 1000 })), /model.vocab_size 1000 is below the tokenizer's 1024 tokens.*1024/);
    assert.throws(() => openDataSource(cfg({ tokenizer: "missing" })), /data.tokenizer: .*missing does not exist/);
    assert.throws(() => openDataSource(cfg({ tokenizer: "tok" }, { eos_token_id: 256 })), /eos_token_id is 256 but the tokenizer's is 2/);
    assert.throws(() => openDataSource(cfg({ tokenizer: "tok", paths: ["nope.txt"] })), /data.paths: input .*nope.txt does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
