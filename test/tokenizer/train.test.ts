/**
 * Training from files: the same tokenizer for any number of threads, domain weights and sampling, the
 * corpus reader (chunks, JSONL, invalid UTF-8), and every bad input as a clear error or a counted event.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trainTokenizer } from "../../src/tokenizer/bpe/train.js";
import { decodeCounted, expandInputs, fileChunks, safeCut } from "../../src/tokenizer/bpe/corpus.js";
import { filesUnder, npmDocsDir } from "./helpers.js";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "tok-train-"));
}

/** Arithmetic and algebra lines: a small "math" domain whose words prose never has. */
function mathText(lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const a = (i * 37) % 97, b = (i * 11) % 89;
    out.push(`\\frac{${a}}{${b}} + \\sqrt{x_${i % 9}} \\cdot \\alpha^{${i % 5}} \\leq \\int_0^1 f(t)\\,dt \\quad\\Rightarrow\\quad ${a + b}`);
  }
  return out.join("\n");
}

test("the same tokenizer for 0, 1 and 2 counting threads", async () => {
  const inputs = [npmDocsDir()];
  const runs = await Promise.all([0, 2].map((threads) => trainTokenizer({ inputs, vocabSize: 1500, threads })));
  const one = await trainTokenizer({ inputs, vocabSize: 1500, threads: 1 });
  const json = (r: { tokenizer: { toJSON(): unknown } }) => JSON.stringify(r.tokenizer.toJSON());
  assert.equal(json(runs[0]), json(runs[1]));
  assert.equal(json(runs[0]), json(one));
  assert.equal(runs[0].report.vocab_size, 1500);
  assert.equal(runs[0].report.stop, "size");
});

test("domain weights give a small domain its share of the merges", async () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, "math.txt"), mathText(40));
    const inputs = [`prose=${npmDocsDir()}`, `math=${join(dir, "math.txt")}`];
    const plain = await trainTokenizer({ inputs, vocabSize: 500, threads: 0 });
    const weighted = await trainTokenizer({ inputs, vocabSize: 500, threads: 0, weights: { prose: 1, math: 1 } });
    const has = (t: typeof plain, s: string) => t.tokenizer.tokenToId(s) !== undefined;
    assert.ok(!has(plain, "\\frac") && !has(plain, "\\quad"), "unweighted: 5 KB of math is drowned by 0.6 MB of prose");
    assert.ok(has(weighted, "\\frac") && has(weighted, "\\quad"));
    const math = weighted.report.domains.find((d) => d.domain === "math")!;
    const prose = weighted.report.domains.find((d) => d.domain === "prose")!;
    assert.equal(prose.scale, 1);
    assert.ok(Math.abs(math.scale - prose.bytes_used / math.bytes_used) < 1e-9 * math.scale, `scale ${math.scale}`);
    const mathTokens = (t: typeof plain) => t.tokenizer.encode(mathText(20)).length;
    assert.ok(mathTokens(weighted) < 0.7 * mathTokens(plain), `${mathTokens(weighted)} vs ${mathTokens(plain)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("max-bytes samples each domain down to its share, reproducibly", async () => {
  const dir = tmp();
  try {
    const lines = readFileSync(filesUnder(npmDocsDir(), ".md")[5], "utf8").split("\n");
    writeFileSync(join(dir, "docs.jsonl"), Array.from({ length: 2000 }, (_, i) => JSON.stringify({ text: `${lines[i % lines.length]} #${i}` })).join("\n"));
    const opts = { inputs: [join(dir, "docs.jsonl")], vocabSize: 400, threads: 0, maxBytes: 20_000 };
    const a = await trainTokenizer(opts);
    const b = await trainTokenizer(opts);
    const c = await trainTokenizer({ ...opts, seed: 1 });
    const used = a.report.domains[0].bytes_used;
    assert.ok(used > 12_000 && used < 30_000, `used ${used} bytes of a 20000 budget`);
    assert.equal(used, b.report.domains[0].bytes_used);
    assert.notEqual(used, c.report.domains[0].bytes_used);
    assert.equal(JSON.stringify(a.tokenizer.toJSON()), JSON.stringify(b.tokenizer.toJSON()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("invalid UTF-8, lone surrogates and bad JSONL lines are replaced or skipped, and counted", async () => {
  const dir = tmp();
  try {
    // 3 invalid sequences: a lone continuation byte, a cut 2-byte sequence, 0xFF; plus a genuine U+FFFD.
    writeFileSync(join(dir, "bad.txt"), Buffer.concat([Buffer.from("ok text \ufffd "), Buffer.from([0x80]), Buffer.from(" x "), Buffer.from([0xc3]), Buffer.from(" y "), Buffer.from([0xff]), Buffer.from(" end\n".repeat(50))]));
    writeFileSync(join(dir, "docs.jsonl"), ['{"text": "fine document"}', "not json", '{"body": "no text field"}', '{"text": "lone \\ud800 surrogate"}', "", '{"text": 5}'].join("\n") + "\n");
    const { report } = await trainTokenizer({ inputs: [dir], vocabSize: 300, threads: 0 });
    assert.equal(report.invalid_utf8_replaced, 3);
    assert.equal(report.lone_surrogates_replaced, 1);
    assert.equal(report.bad_jsonl_lines, 3);
    assert.equal(decodeCounted(Buffer.from([0x61, 0xe2, 0x82]), false).replaced, 1);
    assert.equal(decodeCounted(Buffer.from("\ufeffbom"), true).text, "bom");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad input: clear errors that say what is wrong", async () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, "empty.txt"), "");
    mkdirSync(join(dir, "nothing"));
    writeFileSync(join(dir, "nothing", "image.png"), "x");
    writeFileSync(join(dir, "a.txt"), "some text here and there\n".repeat(20));
    const train = (o: Partial<Parameters<typeof trainTokenizer>[0]>) => trainTokenizer({ inputs: [join(dir, "a.txt")], vocabSize: 400, threads: 0, ...o });
    await assert.rejects(train({ inputs: [join(dir, "empty.txt")] }), /corpus is empty/);
    await assert.rejects(train({ inputs: [join(dir, "missing.txt")] }), /missing\.txt does not exist/);
    await assert.rejects(train({ inputs: [join(dir, "nothing")] }), /holds no text files/);
    await assert.rejects(train({ inputs: [] }), /no input given/);
    await assert.rejects(train({ vocabSize: 200 }), /vocabulary size 200 is too small: .* at least 288/);
    await assert.rejects(train({ vocabSize: 270, specials: { reserved: 20 } }), /at least 279/);
    await assert.rejects(train({ specials: { eos: "eos" } }), /"eos" is a single word/);
    await assert.rejects(train({ specials: { bos: "<|x|>", eos: "<|x|>" } }), /given twice/);
    await assert.rejects(train({ weights: { other: 1 } }), /not in the input/);
    await assert.rejects(train({ inputs: [`a=${join(dir, "a.txt")}`, `b=${join(dir, "a.txt")}`], weights: { a: 1 } }), /no weight given for domain\(s\) b/);
    await assert.rejects(train({ minFrequency: 0 }), /at least 1/);
    // A file that cannot be read (here a folder in the place of a file; permissions do not stop root).
    assert.throws(() => [...fileChunks({ path: join(dir, "nothing"), domain: "x", format: "text", size: 1 })], /cannot read .*nothing: EISDIR/);
    // A corpus too small for the vocabulary: fewer tokens, reported, ids still contiguous.
    const small = await train({ vocabSize: 5000 });
    assert.ok(small.report.vocab_size < 5000);
    assert.equal(small.tokenizer.vocabSize, small.report.vocab_size);
    assert.notEqual(small.report.stop, "size");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("corpus chunks end where the pre-tokenizer cuts, and reassemble the file", () => {
  const dir = tmp();
  try {
    const text = "first line\n  indented\n\nÉtoile\n123\n中文\n".repeat(300);
    writeFileSync(join(dir, "t.txt"), text);
    const [file] = expandInputs([`dom=${join(dir, "t.txt")}`]);
    assert.equal(file.domain, "dom");
    const chunks = [...fileChunks(file, 97)];
    assert.ok(chunks.length > 50);
    assert.equal(Buffer.concat(chunks.map((c) => c.bytes)).toString("utf8"), text);
    for (const c of chunks.slice(0, -1)) {
      const s = Buffer.from(c.bytes).toString("utf8");
      assert.ok(s.endsWith("\n"), "cut after a newline");
    }
    const b = Buffer.from("ab\n  cd\nÉx");
    assert.equal(safeCut(b, b.length, "text"), b.indexOf("É"));
    assert.equal(safeCut(Buffer.from("ab\n 1\n"), 6, "text"), -1);
    assert.equal(safeCut(Buffer.from("{}\n{}"), 5, "jsonl"), 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
