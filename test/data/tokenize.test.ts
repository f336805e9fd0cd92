/**
 * `pretrain data tokenize`: multi-domain inputs (JSONL, gzip JSONL, Parquet, text folders, broken records) are
 * tokenized, then read back through ShardSet/ShardReader and checked against the tokenizer run here on the main
 * thread, the documented split rule recomputed here, and the planted rejections. Then the command line: help,
 * JSON, table and error messages.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { parquetWriteBuffer } from "hyparquet-writer";
import { prose, tempDir } from "./helpers.js";
import { smallTokenizer } from "../tokenizer/helpers.js";
import { Rng } from "../../src/util/rng.js";
import { saveTokenizer } from "../../src/tokenizer/bpe/io.js";
import type { BpeTokenizer } from "../../src/tokenizer/bpe/tokenizer.js";
import { ShardSet, type Split } from "../../src/data/tokens/shard-set.js";
import { tokenizeCorpus, type TokenizeOptions } from "../../src/data/tokenize/run.js";
import { parseInSpecs } from "../../src/data/tokenize/inputs.js";
import type { TokenizeStats } from "../../src/data/tokenize/stats.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const SEED = 7;
const VALID = 0.3;
const SHARD_TOKENS = 2000;

let root: string;
let tokDir: string;
let tokenizer: BpeTokenizer;
/** the texts each domain must yield, in input order */
const expected: Record<string, string[]> = { web: [], "books/en": [] };
let inputs: { domain: string; paths: string[] }[];

function pretrain(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, "data", ...args], { encoding: "utf8" });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  root = tempDir("pretrain-tokenize-");
  tokenizer = await smallTokenizer();
  tokDir = join(root, "tok");
  saveTokenizer(tokDir, tokenizer);
  const rng = new Rng(11);
  const web = join(root, "web");
  const books = join(root, "books");
  mkdirSync(web);
  mkdirSync(join(books, "sub"), { recursive: true });

  // web/a.jsonl: good records around malformed ones
  const a: (string | Buffer)[] = [];
  const good = (text: string, extra: Record<string, unknown> = {}) => {
    a.push(JSON.stringify({ ...extra, text }) + "\n");
    expected.web.push(text);
  };
  good(prose(rng, 120));
  good(prose(rng, 80), { id: "x1", score: 3 });
  a.push('{"text": "a broken line\n'); // line 3
  a.push(JSON.stringify({ body: "no text field here" }) + "\n"); // line 4
  a.push(JSON.stringify({ text: 42 }) + "\n"); // line 5
  a.push(JSON.stringify({ text: " \n", meta: { source: "cleaned-from.jsonl:99" } }) + "\n"); // line 6
  good("Special-looking text is plain text: <|endoftext|> and <|pad|> stay characters.");
  for (let i = 0; i < 20; i++) good(prose(rng, 40 + 15 * (i % 7)));
  good(prose(rng, 1800)); // longer than a shard: a shard of its own
  a.push(Buffer.concat([Buffer.from('{"text": "bad bytes '), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')])); // line 29
  a.push("\n"); // a blank line is no record
  writeFileSync(join(web, "a.jsonl"), Buffer.concat(a.map((x) => (typeof x === "string" ? Buffer.from(x) : x))));

  // web/b.jsonl.gz: compressed, with a copy of the first text (copies must land on the same side)
  const b: string[] = [expected.web[0], ...Array.from({ length: 8 }, () => prose(rng, 60))];
  writeFileSync(join(web, "b.jsonl.gz"), gzipSync(b.map((t) => JSON.stringify({ text: t })).join("\n") + "\n"));
  expected.web.push(...b);

  // web/c.parquet: one row with invalid UTF-8
  const c = [prose(rng, 50), prose(rng, 30)];
  const buf = parquetWriteBuffer({ columnData: [
    { name: "id", data: ["p0", "p1", "p2"], type: "STRING" },
    { name: "text", data: [Buffer.from(c[0]), new Uint8Array([0xc3, 0x28, 0x41]), Buffer.from(c[1])], type: "BYTE_ARRAY" },
  ] });
  writeFileSync(join(web, "c.parquet"), new Uint8Array(buf));
  expected.web.push(...c);

  // web/d.jsonl.gz: gzip magic, then garbage
  writeFileSync(join(web, "d.jsonl.gz"), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9]));

  // books/: a text folder; hidden and unknown files are skipped, broken files rejected
  const t = (name: string, text: string) => {
    writeFileSync(join(books, name), text);
    expected["books/en"].push(text);
  };
  t("01.txt", prose(rng, 300));
  t("02.md", "# A heading\n\n" + prose(rng, 100) + "\n\n```ts\nconst x = 1;\n```\n");
  t("03.txt", "Grüße, Καλημέρα, こんにちは — " + prose(rng, 40) + " 😀👍🏽\n");
  writeFileSync(join(books, "04.txt"), Buffer.from([0x61, 0xff, 0x62]));
  symlinkSync(join(root, "nowhere.txt"), join(books, "05.txt"));
  writeFileSync(join(books, ".hidden.txt"), "not read");
  writeFileSync(join(books, "notes.csv"), "a,b\n1,2\n");
  t(join("sub", "06.txt"), prose(rng, 70));
  const extra = join(root, "extra.text");
  writeFileSync(extra, prose(rng, 90));
  expected["books/en"].push(readFileSync(extra, "utf8"));

  inputs = parseInSpecs([`web=${web}`, `books/en=${books}`, `books/en=${extra}`]);
});

after(() => rmSync(root, { recursive: true, force: true }));

function run(out: string, threads: number, extra: Partial<TokenizeOptions> = {}): Promise<TokenizeStats> {
  return tokenizeCorpus({
    tokenizer: tokDir, inputs, out, validFraction: VALID, shardTokens: SHARD_TOKENS, threads, seed: SEED,
    progress: null, log: () => undefined, ...extra,
  });
}

/** Every document of a domain's split, read back through the index. */
function readDocs(set: ShardSet, domain: string, split: Split): Int32Array[] {
  const docs: Int32Array[] = [];
  set.domain(domain)[split].forEach((_, i) => {
    const r = set.shard(domain, split, i);
    for (let d = 0; d < r.documents; d++) {
      const [s, e] = r.document(d);
      const ids = new Int32Array(e - s);
      r.read(s, e - s, ids);
      docs.push(ids);
    }
  });
  return docs;
}

/** The documented split rule, computed here without the library. */
function heldOutHere(text: string, seed: number, fraction: number): boolean {
  const d = createHash("sha256").update(`pretrain-ts split ${seed}\n` + text, "utf8").digest();
  return d.readUIntBE(0, 6) / 2 ** 48 < fraction;
}

function filesUnder(dir: string, rel = ""): string[] {
  return readdirSync(join(dir, rel)).sort().flatMap((n) => {
    const r = rel ? `${rel}/${n}` : n;
    return statSync(join(dir, r)).isDirectory() ? filesUnder(dir, r) : [r];
  });
}

test("documents come back as encode(text) + end-of-text, split by the documented rule, in shards within the limit", async () => {
  const out = join(root, "out1");
  const stats = await run(out, 1);
  const set = new ShardSet(out);
  const eos = tokenizer.eosId!;
  const sha = createHash("sha256").update(readFileSync(join(tokDir, "tokenizer.json"))).digest("hex");
  assert.equal(set.index.tokenizer_sha256, sha);
  assert.equal(set.index.eos_id, eos);
  assert.equal(set.index.vocab_size, tokenizer.vocabSize);
  assert.deepEqual(set.domains(), ["books/en", "web"]);

  for (const [domain, texts] of Object.entries(expected)) {
    const train = readDocs(set, domain, "train");
    const valid = readDocs(set, domain, "valid");
    let ti = 0, vi = 0;
    const bytes = { train: 0, valid: 0 };
    for (const text of texts) {
      const want = Int32Array.from([...tokenizer.encode(text), eos]);
      const held = heldOutHere(text, SEED, VALID);
      if (held) assert.deepEqual(valid[vi++], want, `${domain}: held-out document ${vi - 1}`);
      else assert.deepEqual(train[ti++], want, `${domain}: training document ${ti - 1}`);
      bytes[held ? "valid" : "train"] += Buffer.byteLength(text);
    }
    assert.equal(ti, train.length, `${domain}: no extra training documents`);
    assert.equal(vi, valid.length, `${domain}: no extra held-out documents`);
    assert.ok(ti > 0 && vi > 0, `${domain}: both splits used (${ti} / ${vi})`);

    const d = set.domain(domain);
    for (const split of ["train", "valid"] as Split[]) {
      const docs = split === "train" ? train : valid;
      const tokens = docs.reduce((s, x) => s + x.length, 0);
      assert.equal(d.tokens[split], tokens, `${domain}/${split}: index token total = shard contents`);
      assert.equal(d.documents[split], docs.length);
      assert.equal(stats.domains[domain][split].tokens, tokens);
      assert.equal(stats.domains[domain][split].documents, docs.length);
      assert.equal(stats.domains[domain][split].bytes, bytes[split]);
      d[split].forEach((e, i) => {
        const r = set.shard(domain, split, i);
        assert.equal(r.header.dtype, "uint16");
        assert.equal(r.header.domain, domain);
        assert.ok(e.tokens <= SHARD_TOKENS || e.documents === 1, `${domain}/${e.file}: ${e.tokens} tokens in ${e.documents} documents`);
      });
    }
  }
  assert.ok(set.domain("web").train.length >= 3, "the web domain spans several shards");
  assert.ok(set.domain("web").train.some((e) => e.documents === 1 && e.tokens > SHARD_TOKENS), "a long document has a shard of its own");
  // special-token text was encoded as text: the only end-of-text is the one appended
  const special = expected.web[2];
  const ids = tokenizer.encode(special);
  assert.ok(!ids.includes(eos) && ids.length > 10);
  set.close();

  assert.deepEqual(JSON.parse(readFileSync(join(out, "tokenize-stats.json"), "utf8")), JSON.parse(JSON.stringify(stats)));
  assert.equal(stats.documents, expected.web.length + expected["books/en"].length);
  assert.equal(stats.files, 10);
});

test("rejected records are listed with file, line and reason, and counted", async () => {
  const out = join(root, "out1");
  const lines = readFileSync(join(out, "rejected.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const got = lines.map((r) => [r.domain, String(r.file).split("/").slice(-1)[0], r.line, r.reason]).sort();
  const want = [
    ["books/en", "04.txt", null, "invalid utf-8"],
    ["books/en", "05.txt", null, "unreadable file"],
    ["web", "a.jsonl", 3, "invalid json"],
    ["web", "a.jsonl", 29, "invalid utf-8"],
    ["web", "a.jsonl", 4, 'missing text field "text"'],
    ["web", "a.jsonl", 5, 'text field "text" is not a string (number)'],
    ["web", "a.jsonl", 6, "empty text"],
    ["web", "c.parquet", 1, "invalid utf-8"],
  ].sort();
  const gz = got.filter((r) => r[1] === "d.jsonl.gz");
  assert.equal(gz.length, 1);
  assert.match(String(gz[0][3]), /gzip stream error/);
  assert.deepEqual(got.filter((r) => r[1] !== "d.jsonl.gz"), want);
  assert.ok(lines.find((r) => r.reason === "invalid json").sample.startsWith('{"text": "a broken'));
  const stats = JSON.parse(readFileSync(join(out, "tokenize-stats.json"), "utf8")) as TokenizeStats;
  assert.equal(stats.rejected, 9);
  assert.equal(stats.rejected_by_reason["invalid utf-8"], 3);
  assert.equal(stats.domains["books/en"].rejected, 2);
});

test("the output is byte-identical with 1 and 2 threads; another seed moves documents", async () => {
  const one = join(root, "out1");
  const two = join(root, "out2");
  await run(two, 2);
  const files = filesUnder(one).filter((f) => f !== "tokenize-stats.json");
  assert.deepEqual(filesUnder(two).filter((f) => f !== "tokenize-stats.json"), files);
  assert.ok(files.filter((f) => f.endsWith(".tok")).length >= 6);
  for (const f of files) assert.ok(readFileSync(join(one, f)).equals(readFileSync(join(two, f))), `${f} differs`);

  const other = await run(join(root, "out-seed"), 2, { seed: SEED + 1 });
  const held = (seed: number) => expected.web.filter((t) => heldOutHere(t, seed, VALID)).length;
  assert.equal(other.domains.web.valid.documents, held(SEED + 1));
  assert.notDeepEqual(expected.web.map((t) => heldOutHere(t, SEED, VALID)), expected.web.map((t) => heldOutHere(t, SEED + 1, VALID)));
});

test("a domain name must be a folder path; --in needs domain=path", () => {
  assert.deepEqual(parseInSpecs(["a/b=x", "c=y=z", "a/b=w"]), [{ domain: "a/b", paths: ["x", "w"] }, { domain: "c", paths: ["y=z"] }]);
  assert.throws(() => parseInSpecs(["data/web.jsonl"]), /--in "data\/web.jsonl" is not <domain>=<path>/);
  assert.throws(() => parseInSpecs(["=x"]), /has no domain/);
  assert.throws(() => parseInSpecs(["web="]), /has no path/);
  assert.throws(() => parseInSpecs(["we b=x"]), /a domain name must be '\/'-separated segments/);
  assert.throws(() => parseInSpecs(["../up=x"]), /a domain name must be/);
  assert.throws(() => parseInSpecs(["index.json=x"]), /taken by a file of the output folder/);
});

test("CLI: --help, the table, --json, and errors that say what to do", () => {
  const help = pretrain(["tokenize", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: pretrain data tokenize --tokenizer <dir> --in <domain>=<path>/);
  for (const o of ["--valid-fraction", "--shard-tokens", "--text-field", "--threads", "--seed", "--force", "--json"]) assert.ok(help.stdout.includes(o), o);
  assert.match(pretrain(["--help"]).stdout, /tokenize --in/);

  const src = join(root, "cli-in");
  mkdirSync(src);
  const texts = ["first document, in the content field", "second one", "third and last"];
  writeFileSync(join(src, "x.jsonl"), texts.map((t) => JSON.stringify({ content: t })).join("\n") + "\n");
  const out = join(root, "cli-out");
  const base = ["tokenize", "--tokenizer", tokDir, "--in", `notes/v1=${src}`, "--text-field", "content", "--threads", "1"];
  const j = pretrain([...base, "--out", out, "--json", "--valid-fraction", "0"]);
  assert.equal(j.code, 0, j.stderr);
  const stats = JSON.parse(j.stdout) as TokenizeStats;
  assert.equal(stats.domains["notes/v1"].train.documents, 3);
  assert.equal(stats.tokens, texts.reduce((s, t) => s + tokenizer.encode(t).length + 1, 0));
  assert.match(j.stderr, /^tokenize .*bytes.*100\.0%/m, "progress on stderr");
  assert.ok(existsSync(join(out, "notes", "v1", "train-00000.tok")));

  const exists = pretrain([...base, "--out", out]);
  assert.equal(exists.code, 1);
  assert.match(exists.stderr, /error: the output folder .*cli-out is not empty .*give --force/);
  const forced = pretrain([...base, "--out", out, "--force"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /^domain +split +documents +tokens +MB +bytes\/token +shards$/m);
  assert.match(forced.stdout, /^notes\/v1 +train +3 /m);
  writeFileSync(join(out, "mine.txt"), "precious");
  const foreign = pretrain([...base, "--out", out, "--force"]);
  assert.equal(foreign.code, 1);
  assert.match(foreign.stderr, /did not write \(mine\.txt\); refusing to delete them/);
  assert.ok(existsSync(join(out, "mine.txt")));

  const noTok = pretrain(["tokenize", "--tokenizer", join(root, "no-such-tok"), "--in", `web=${src}`, "--out", join(root, "o-none")]);
  assert.equal(noTok.code, 1);
  assert.match(noTok.stderr, /tokenizer .*no-such-tok does not exist/);
  assert.ok(!existsSync(join(root, "o-none")), "nothing is written when the tokenizer is missing");
  const badIn = pretrain(["tokenize", "--tokenizer", tokDir, "--in", src, "--out", join(root, "o-none")]);
  assert.equal(badIn.code, 2);
  assert.match(badIn.stderr, /is not <domain>=<path> \(e\.g\. --in web=data\/web\.jsonl\); run `pretrain data tokenize --help`/);
  const missing = pretrain(["tokenize", "--tokenizer", tokDir, "--in", `web=${join(root, "nope")}`, "--out", join(root, "o-none")]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /input path ".*nope" does not exist/);
  const noOut = pretrain(["tokenize", "--tokenizer", tokDir, "--in", `web=${src}`]);
  assert.equal(noOut.code, 2);
  assert.match(noOut.stderr, /give --out <dir>/);
  const frac = pretrain(["tokenize", "--tokenizer", tokDir, "--in", `web=${src}`, "--out", join(root, "o-none"), "--valid-fraction", "1.5"]);
  assert.equal(frac.code, 2);
  assert.match(frac.stderr, /--valid-fraction must be in \[0, 1\], got 1.5/);
  assert.ok(!existsSync(join(root, "o-none")));
});
