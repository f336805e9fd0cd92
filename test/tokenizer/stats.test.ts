/** Compression metrics per domain: bytes and characters per token, vocabulary usage, counted input problems. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tokenizerStats } from "../../src/tokenizer/bpe/stats.js";
import { smallTokenizer } from "./helpers.js";

test("bytes/token and chars/token per domain, totals, and vocabulary usage", async () => {
  const t = await smallTokenizer();
  const dir = mkdtempSync(join(tmpdir(), "tok-stats-"));
  try {
    const prose = "The package manager installs the dependencies listed in package.json.\n".repeat(30);
    const cjk = "数学和物理是科学的基础。\n".repeat(20);
    writeFileSync(join(dir, "prose.txt"), prose);
    writeFileSync(join(dir, "cjk.jsonl"), [JSON.stringify({ text: cjk }), JSON.stringify({ text: cjk }), "{broken"].join("\n"));
    writeFileSync(join(dir, "bad.txt"), Buffer.from([0x61, 0xff, 0x62]));
    const r = tokenizerStats(t, [join(dir, "prose.txt"), `zh=${join(dir, "cjk.jsonl")}`, `bad=${join(dir, "bad.txt")}`]);
    const by = Object.fromEntries(r.domains.map((d) => [d.domain, d]));
    assert.deepEqual(Object.keys(by), ["bad", "prose", "zh"]);
    assert.equal(by.prose.bytes, Buffer.byteLength(prose));
    assert.equal(by.prose.tokens, t.encode(prose).length);
    assert.equal(by.prose.bytes_per_token, by.prose.bytes / by.prose.tokens);
    assert.equal(by.prose.chars_per_token, by.prose.bytes_per_token); // ASCII: one byte per character
    assert.equal(by.zh.documents, 2);
    assert.equal(by.zh.bytes, 2 * Buffer.byteLength(cjk));
    assert.equal(by.zh.chars, 2 * [...cjk].length);
    assert.ok(by.zh.bytes_per_token > by.zh.chars_per_token, "three UTF-8 bytes per CJK character");
    assert.equal(by.bad.invalid_utf8_replaced, 1);
    assert.equal(r.bad_jsonl_lines, 1);
    assert.equal(r.total.tokens, by.prose.tokens + by.zh.tokens + by.bad.tokens);
    assert.equal(r.total.bytes, by.prose.bytes + by.zh.bytes + by.bad.bytes);
    assert.ok(by.prose.ids_used > 10 && by.prose.ids_used <= t.vocabSize);
    assert.ok(r.never_used > 0 && r.never_used < t.vocabSize - 32);
    assert.equal(r.top_tokens[0].count, Math.max(...r.top_tokens.map((x) => x.count)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
