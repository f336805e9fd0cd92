/**
 * Compatibility with Hugging Face: our tokenizer.json loaded by `tokenizers` (the Rust library, npm binding)
 * and by @huggingface/tokenizers (the JavaScript implementation transformers.js uses) must give our ids and our
 * text on a varied corpus; and tokenizer.json files written by `tokenizers` itself, or in the Llama 3, GPT-2
 * and StarCoder styles, must encode in our implementation exactly as `tokenizers` encodes them.
 * (`tokenizers` always matches special tokens in text, so our side uses allowSpecial: true here.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BPE, Tokenizer as RustTokenizer, byteLevelPreTokenizer } from "tokenizers";
import { Tokenizer as JsTokenizer } from "@huggingface/tokenizers";
import { saveTokenizer, loadTokenizer } from "../../src/tokenizer/bpe/io.js";
import { tokenizerFromHuggingFace } from "../../src/tokenizer/bpe/hf-json.js";
import type { BpeTokenizer } from "../../src/tokenizer/bpe/tokenizer.js";
import { ByteTokenizer } from "../../src/tokenizer/bytes.js";
import { filesUnder, npmDocsDir, randomString, seeded, smallTokenizer, varietyTexts } from "./helpers.js";

function corpus(): string[] {
  const u = seeded(11);
  // Random strings without lone surrogates: the Rust binding receives text through N-API as UTF-8.
  return [...varietyTexts(), ...Array.from({ length: 400 }, (_, i) => randomString(u, 1 + (i % 50), false))];
}

async function rustIds(rust: RustTokenizer, texts: string[]): Promise<number[][]> {
  const out: number[][] = [];
  for (const t of texts) out.push((await rust.encode(t, null, { addSpecialTokens: false })).getIds());
  return out;
}

function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i === a.length && i === b.length ? -1 : i;
}

function assertSameIds(ours: BpeTokenizer, texts: string[], theirs: number[][], who: string): void {
  texts.forEach((t, k) => {
    const mine = ours.encode(t, { allowSpecial: true });
    const at = firstDifference(mine, theirs[k]);
    if (at >= 0) {
      assert.fail(`${who} differs on text ${k} at token ${at}: ours ${[...mine.slice(at, at + 5)]} vs ${theirs[k].slice(at, at + 5)} ` +
        `near ${JSON.stringify(t.slice(0, 80))}`);
    }
  });
}

test("our tokenizer.json: Rust tokenizers and the JavaScript implementation give our ids and our text", async () => {
  const ours = await smallTokenizer();
  const dir = mkdtempSync(join(tmpdir(), "tok-hf-"));
  try {
    saveTokenizer(dir, ours);
    const texts = corpus();
    const rust = RustTokenizer.fromFile(join(dir, "tokenizer.json"));
    assert.equal(rust.getVocabSize(true), ours.vocabSize);
    const r = await rustIds(rust, texts);
    assertSameIds(ours, texts, r, "tokenizers (Rust)");
    const json = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8"));
    const config = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8"));
    const js = new JsTokenizer(json, config);
    assertSameIds(ours, texts, texts.map((t) => js.encode(t, { add_special_tokens: false }).ids), "@huggingface/tokenizers");
    for (let k = 0; k < texts.length; k += 7) {
      const ids = [...ours.encode(texts[k], { allowSpecial: true })];
      assert.equal(await rust.decode(ids, false), texts[k], `Rust decode of text ${k}`);
      assert.equal(js.decode(ids), texts[k], `JS decode of text ${k}`);
    }
    // Specials keep their ids in both.
    assert.equal(rust.tokenToId("<|endoftext|>"), 2);
    assert.equal(js.token_to_id("<|begin_of_text|>"), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a tokenizer.json trained by the tokenizers package encodes exactly as tokenizers does", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tok-hf-trained-"));
  try {
    // Its default trainer (vocab 30000, no alphabet, no specials); a small corpus stops it early.
    const text = filesUnder(npmDocsDir(), ".md").slice(0, 40).map((f) => readFileSync(f, "utf8")).join("\n");
    writeFileSync(join(dir, "corpus.txt"), text);
    const rust = new RustTokenizer(BPE.empty());
    rust.setPreTokenizer(byteLevelPreTokenizer(false, true));
    rust.train([join(dir, "corpus.txt")]);
    rust.addSpecialTokens(["<|endoftext|>"]);
    rust.save(join(dir, "tokenizer.json"), false);
    const ours = loadTokenizer(join(dir, "tokenizer.json"));
    assert.equal(ours.splitter.name, "gpt2");
    const texts = corpus();
    // Bytes the trainer never saw have no token: `tokenizers` drops them silently, and so must we.
    assertSameIds(ours, texts, await rustIds(rust, texts), "tokenizers-trained tokenizer.json");
    assert.equal(ours.eosId, rust.tokenToId("<|endoftext|>"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("Llama 3, GPT-2 (prefix space) and StarCoder style tokenizer.json variants encode as tokenizers does", async () => {
  const base = (await smallTokenizer()).toJSON() as Record<string, unknown>;
  const variants: Record<string, Record<string, unknown>> = {
    llama3: {
      ...base,
      pre_tokenizer: {
        type: "Sequence", pretokenizers: [
          { type: "Split", pattern: { Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" }, behavior: "Isolated", invert: false },
          { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
        ],
      },
      model: { ...(base.model as object), ignore_merges: true },
    },
    gpt2: { ...base, pre_tokenizer: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true } },
    starcoder: {
      ...base,
      pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Digits", individual_digits: true }, { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true }] },
    },
    nfkc: { ...base, normalizer: { type: "NFKC" } },
  };
  const texts = corpus();
  for (const [name, json] of Object.entries(variants)) {
    const rust = RustTokenizer.fromString(JSON.stringify(json));
    const ours = tokenizerFromHuggingFace(json);
    assertSameIds(ours, texts, await rustIds(rust, texts), name);
  }
});

test("tokenizer.json files we cannot read are refused with the reason", () => {
  const bad = (patch: Record<string, unknown>) => () => tokenizerFromHuggingFace({ model: { type: "BPE", vocab: { a: 0 }, merges: [] }, ...patch });
  assert.throws(() => tokenizerFromHuggingFace({ model: { type: "Unigram", vocab: [] } }), /only BPE/);
  assert.throws(bad({ pre_tokenizer: { type: "Metaspace" } }), /Metaspace.*not supported/);
  assert.throws(bad({ normalizer: { type: "BertNormalizer" } }), /BertNormalizer.*not supported/);
  assert.throws(() => tokenizerFromHuggingFace({ model: { type: "BPE", vocab: { "▁the": 0 }, merges: [] } }), /byte-level alphabet/);
  assert.throws(() => tokenizerFromHuggingFace({ model: { type: "BPE", vocab: { a: 0, b: 2 }, merges: [] } }), /no token has id 1/);
  assert.throws(() => tokenizerFromHuggingFace({ model: { type: "BPE", vocab: { a: 0, b: 1 }, merges: ["a c"] } }), /not in the vocabulary/);
});

test("the byte-level tokenizer's Hugging Face form (a BPE without merges): both implementations give its ids", async () => {
  const bytes = new ByteTokenizer();
  const { tokenizer: json, config } = bytes.toHuggingFace();
  const rust = RustTokenizer.fromString(JSON.stringify(json));
  const js = new JsTokenizer(json, config);
  const texts = corpus().slice(0, 120);
  for (const [k, t] of texts.entries()) {
    const want = Array.from(bytes.encode(t, { allowSpecial: true }));
    assert.deepEqual((await rust.encode(t, null, { addSpecialTokens: false })).getIds(), want, `Rust, text ${k}`);
    assert.deepEqual(js.encode(t, { add_special_tokens: false }).ids, want, `JS, text ${k}`);
    if (want.length) assert.equal(js.decode(want), t, `JS decode, text ${k}`);
  }
  assert.equal(rust.tokenToId("<|endoftext|>"), bytes.eosId);
  assert.equal(config.bos_token, "<|bos|>");
  // Our BPE reader takes it too, and encodes as the byte tokenizer does.
  const asBpe = tokenizerFromHuggingFace(json, config);
  assert.equal(asBpe.vocabSize, 259);
  assert.deepEqual(Array.from(asBpe.encode("héllo <|endoftext|>", { allowSpecial: true })), Array.from(bytes.encode("héllo <|endoftext|>", { allowSpecial: true })));
});
