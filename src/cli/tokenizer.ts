/**
 * `pretrain tokenizer <train|stats|encode|decode>`: train a byte-level BPE tokenizer, measure its compression,
 * and encode or decode text with it. Parsing and printing only; the work is in src/tokenizer/bpe/.
 */
import { readFileSync, statSync } from "node:fs";
import { defineCommand, formatHelp, parseCommand, UsageError, type CommandSpec } from "./args.js";
import { JSON_OPTION, note, type Command } from "./command.js";
import { Progress } from "../util/progress.js";
import { Rng } from "../util/rng.js";
import { trainTokenizer, TrainingInputError } from "../tokenizer/bpe/train.js";
import { loadTokenizer, saveTokenizer } from "../tokenizer/bpe/io.js";
import { tokenizerStats } from "../tokenizer/bpe/stats.js";
import { TokenizerFormatError } from "../tokenizer/bpe/hf-json.js";
import { CorpusError, type CorpusFile } from "../tokenizer/bpe/corpus.js";
import { encodeFile } from "../tokenizer/bpe/stream.js";
import { DEFAULT_SPECIALS } from "../tokenizer/bpe/specials.js";

const trainSpec = defineCommand({
  name: "pretrain tokenizer train",
  summary: "train a byte-level BPE tokenizer (Hugging Face tokenizer.json) on text or JSONL files",
  usage: "pretrain tokenizer train --in <files or folders>... --vocab-size <n> --out <dir> [options]",
  description:
    "Counts words (Qwen2 pre-tokenizer regex: digits one by one) on all cores, then learns merges until the " +
    "vocabulary (special tokens + 256 bytes + merges) has --vocab-size tokens. Writes tokenizer.json, " +
    "tokenizer_config.json and tokenizer_training.json (the report) into --out. Prefix an input with a domain " +
    "name (code=src/) to weight domains with --weight; invalid UTF-8 is replaced by U+FFFD and counted.",
  options: {
    in: { type: "string", multiple: true, valueName: "<[domain=]path>", description: "text/JSONL file or folder" },
    "vocab-size": { type: "integer", default: 32000, description: "total vocabulary size" },
    out: { type: "string", valueName: "<dir>", description: "output folder" },
    "min-frequency": { type: "number", default: 2, description: "merge only pairs seen at least this often" },
    weight: { type: "string", multiple: true, valueName: "<domain=w>", description: "domain weight (give every domain one)" },
    "max-bytes": { type: "string", valueName: "<size>", description: "sample about this much text, e.g. 200M (default: all)" },
    reserved: { type: "integer", default: DEFAULT_SPECIALS.reserved, description: "reserved special tokens <|reserved_N|>" },
    special: { type: "string", multiple: true, valueName: "<token>", description: "another special token, after eos" },
    bos: { type: "string", default: DEFAULT_SPECIALS.bos, description: "beginning-of-text token (id 1)" },
    eos: { type: "string", default: DEFAULT_SPECIALS.eos, description: "end-of-text token (id 2)" },
    pad: { type: "string", default: DEFAULT_SPECIALS.pad, description: "padding token (id 0)" },
    "text-field": { type: "string", default: "text", description: "JSONL field holding the text" },
    threads: { type: "integer", description: "counting threads (default: all cores; 0 = this thread)" },
    seed: { type: "integer", default: 0, description: "seed of --max-bytes sampling" },
    json: JSON_OPTION,
  },
  positionals: [],
  examples: [
    "pretrain tokenizer train --in corpus/ --vocab-size 32000 --out tok/",
    "pretrain tokenizer train --in web=web.jsonl --in code=src/ --weight web=0.7 --weight code=0.3 --vocab-size 16384 --out tok/",
  ],
});

const statsSpec = defineCommand({
  name: "pretrain tokenizer stats",
  summary: "compression per domain: UTF-8 bytes and characters per token, and vocabulary usage",
  usage: "pretrain tokenizer stats --tokenizer <dir> --in <files or folders>... [--json]",
  options: {
    tokenizer: { type: "string", valueName: "<dir>", description: "folder with tokenizer.json (or the file)" },
    in: { type: "string", multiple: true, valueName: "<[domain=]path>", description: "text/JSONL file or folder" },
    "text-field": { type: "string", default: "text", description: "JSONL field holding the text" },
    top: { type: "integer", default: 20, description: "most frequent tokens to list" },
    json: JSON_OPTION,
  },
  positionals: [],
  examples: ["pretrain tokenizer stats --tokenizer tok/ --in prose=docs/ --in code=src/"],
});

const encodeSpec = defineCommand({
  name: "pretrain tokenizer encode",
  summary: "text → token ids",
  usage: "pretrain tokenizer encode --tokenizer <dir> (--text <text> | --file <path> | stdin) [options]",
  options: {
    tokenizer: { type: "string", valueName: "<dir>", description: "folder with tokenizer.json (or the file)" },
    text: { type: "string", description: "the text" },
    file: { type: "string", valueName: "<path>", description: "read the text from a file (UTF-8; streamed in chunks unless --json)" },
    "allow-special": { type: "boolean", description: "match special tokens such as <|endoftext|> in the text" },
    dropout: { type: "number", default: 0, description: "BPE-dropout probability (0 = normal encoding)" },
    seed: { type: "integer", default: 0, description: "seed of BPE-dropout" },
    json: { type: "boolean", description: "print {ids, tokens, count} as JSON" },
  },
  positionals: [],
  examples: ['pretrain tokenizer encode --tokenizer tok/ --text "Hello world" --json'],
});

const decodeSpec = defineCommand({
  name: "pretrain tokenizer decode",
  summary: "token ids → text",
  usage: "pretrain tokenizer decode --tokenizer <dir> <id>... | --ids <1,2,3> [options]",
  options: {
    tokenizer: { type: "string", valueName: "<dir>", description: "folder with tokenizer.json (or the file)" },
    ids: { type: "string", valueName: "<list>", description: "ids separated by commas or spaces (or JSON [..])" },
    "skip-special": { type: "boolean", description: "leave out special tokens" },
    json: { type: "boolean", description: "print {text} as JSON" },
  },
  positionals: [{ name: "id", description: "token ids", required: false, variadic: true }],
  examples: ["pretrain tokenizer decode --tokenizer tok/ 9906 4435"],
});

const SUBCOMMANDS: { name: string; spec: CommandSpec }[] = [
  { name: "train", spec: trainSpec }, { name: "stats", spec: statsSpec },
  { name: "encode", spec: encodeSpec }, { name: "decode", spec: decodeSpec },
];

function overview(): string {
  return [
    "pretrain tokenizer — byte-level BPE tokenizers (Hugging Face tokenizer.json, llama.cpp compatible)",
    "",
    "Usage: pretrain tokenizer <train|stats|encode|decode> [options]     (each has --help)",
    "",
    ...SUBCOMMANDS.map((s) => `  ${s.name.padEnd(7)} ${s.spec.summary}`),
    "",
  ].join("\n");
}

/** "200M" → 200e6 bytes (K, M, G: powers of 1000; KiB, MiB, GiB: of 1024). */
export function parseSize(s: string, command: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(k|m|g|kib|mib|gib|kb|mb|gb|b)?\s*$/i.exec(s);
  if (!m) throw new UsageError(command, `--max-bytes: "${s}" is not a size such as 500M or 2G`);
  const unit = (m[2] ?? "b").toLowerCase();
  const mult: Record<string, number> = { b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
  return Math.round(Number(m[1]) * mult[unit]);
}

function parseWeights(list: string[], command: string): Record<string, number> | null {
  if (list.length === 0) return null;
  const out: Record<string, number> = {};
  for (const item of list) {
    const eq = item.indexOf("=");
    const w = Number(item.slice(eq + 1));
    if (eq <= 0 || !Number.isFinite(w) || w < 0) throw new UsageError(command, `--weight: "${item}" is not domain=weight (a number ≥ 0)`);
    out[item.slice(0, eq)] = w;
  }
  return out;
}

function parseIdList(text: string, command: string): number[] {
  const t = text.trim();
  const parts = t.startsWith("[") ? (JSON.parse(t) as unknown[]).map(String) : t.split(/[\s,]+/).filter(Boolean);
  return parts.map((p, i) => {
    const v = Number(p);
    if (!Number.isInteger(v) || v < 0) throw new UsageError(command, `id "${p}" (item ${i + 1}) is not a non-negative integer`);
    return v;
  });
}

const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;

async function runTrain(argv: string[]): Promise<number> {
  const a = parseCommand(trainSpec, argv);
  if (a.help) return help(a.text);
  const o = a.values;
  if (o.in.length === 0) throw new UsageError(trainSpec.name, "give the corpus with --in <file or folder>");
  if (!o.out) throw new UsageError(trainSpec.name, "--out <dir> is required");
  let counting: Progress | null = null;
  let merging: Progress | null = null;
  const { tokenizer, report } = await trainTokenizer({
    inputs: o.in, vocabSize: o["vocab-size"], minFrequency: o["min-frequency"], weights: parseWeights(o.weight, trainSpec.name),
    maxBytes: o["max-bytes"] === undefined ? null : parseSize(o["max-bytes"], trainSpec.name), seed: o.seed,
    threads: o.threads, textField: o["text-field"],
    specials: { bos: o.bos, eos: o.eos, pad: o.pad, extra: o.special, reserved: o.reserved },
    onProgress: (phase, done, total) => {
      if (phase === "count") {
        counting ??= new Progress({ label: "counting words", total: mb(total), unit: "MB" });
        counting.update(mb(done));
      } else {
        if (counting) counting.finish();
        counting = null;
        merging ??= new Progress({ label: "learning merges", total, unit: "tokens" });
        merging.update(done);
      }
    },
  });
  (counting as Progress | null)?.finish();
  (merging as Progress | null)?.finish();
  saveTokenizer(o.out, tokenizer, report);
  if (o.json) process.stdout.write(JSON.stringify({ out: o.out, ...report }, null, 2) + "\n");
  else {
    const why = { size: "vocabulary full", "no-pairs": "no pair left to merge", "min-frequency": `no pair seen ${report.min_frequency}+ times` }[report.stop];
    process.stdout.write([
      `tokenizer: ${o.out} (vocabulary ${report.vocab_size}: ${report.specials} specials, 256 bytes, ${report.merges} merges; stopped: ${why})`,
      `corpus: ${report.files} files, ${report.domains.map((d) => `${d.domain} ${mb(d.bytes_used)} MB${d.weight !== null ? ` ×${d.scale.toFixed(2)}` : ""}`).join(", ")}; ${report.distinct_words.toLocaleString("en-US")} distinct words`,
      report.invalid_utf8_replaced || report.lone_surrogates_replaced || report.bad_jsonl_lines
        ? `input problems: ${report.invalid_utf8_replaced} invalid UTF-8 sequences replaced by U+FFFD, ${report.lone_surrogates_replaced} documents with lone surrogates replaced, ${report.bad_jsonl_lines} unusable JSONL lines skipped`
        : "input: valid UTF-8 throughout",
      `time: ${report.seconds.total.toFixed(1)} s (counting ${report.seconds.count.toFixed(1)} s on ${report.threads || 1} thread(s), merges ${report.seconds.merges.toFixed(1)} s); peak memory ${Math.round(report.peak_rss_mb)} MB`,
      report.vocab_size < report.requested_vocab_size ? `note: the corpus supported only ${report.vocab_size} tokens of the ${report.requested_vocab_size} asked for` : "",
    ].filter(Boolean).join("\n") + "\n");
  }
  return 0;
}

function runStats(argv: string[]): number {
  const a = parseCommand(statsSpec, argv);
  if (a.help) return help(a.text);
  const o = a.values;
  if (!o.tokenizer) throw new UsageError(statsSpec.name, "--tokenizer <dir> is required");
  if (o.in.length === 0) throw new UsageError(statsSpec.name, "give the text with --in <file or folder>");
  const tokenizer = loadTokenizer(o.tokenizer);
  let progress: Progress | null = null;
  const r = tokenizerStats(tokenizer, o.in, { textField: o["text-field"], top: o.top }, (done, total) => {
    progress ??= new Progress({ label: "encoding", total: mb(total), unit: "MB" });
    progress.update(mb(done));
  });
  (progress as Progress | null)?.finish();
  if (o.json) {
    process.stdout.write(JSON.stringify(r, null, 2) + "\n");
    return 0;
  }
  const rows = [...r.domains, r.total];
  const lines = [
    `vocabulary ${r.vocab_size}; ${r.never_used} ids never used on this corpus (specials not counted)`,
    "",
    "| domain | files | documents | MB | tokens | bytes/token | chars/token | ids used |",
    "|---|---|---|---|---|---|---|---|",
    ...rows.map((d) => `| ${d.domain} | ${d.files} | ${d.documents} | ${(d.bytes / 1e6).toFixed(2)} | ${d.tokens} | ${d.bytes_per_token.toFixed(3)} | ` +
      `${d.chars_per_token.toFixed(3)} | ${d.ids_used} (${(100 * d.vocab_used_share).toFixed(1)}%) |`),
    "",
    `most frequent: ${r.top_tokens.map((t) => `${JSON.stringify(t.token)} ${t.count}`).join(", ")}`,
  ];
  if (r.total.invalid_utf8_replaced || r.bad_jsonl_lines) {
    lines.push(`input problems: ${r.total.invalid_utf8_replaced} invalid UTF-8 sequences replaced by U+FFFD, ${r.bad_jsonl_lines} unusable JSONL lines skipped`);
  }
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}

function runEncode(argv: string[]): number {
  const a = parseCommand(encodeSpec, argv);
  if (a.help) return help(a.text);
  const o = a.values;
  if (!o.tokenizer) throw new UsageError(encodeSpec.name, "--tokenizer <dir> is required");
  if (o.text !== undefined && o.file !== undefined) throw new UsageError(encodeSpec.name, "give --text or --file, not both");
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new UsageError(encodeSpec.name, `--dropout must be in [0, 1), got ${o.dropout}`);
  const tokenizer = loadTokenizer(o.tokenizer);
  if (o.file !== undefined && !o.json && o.dropout === 0) {
    // Large files: read in chunks cut where the pre-tokenizer cuts anyway, ids written as they come.
    let file: CorpusFile;
    try {
      file = { path: o.file, domain: "file", format: "text", size: statSync(o.file).size };
    } catch (e) {
      throw new UsageError(encodeSpec.name, `--file ${o.file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    let first = true;
    for (const piece of encodeFile(tokenizer, file, { allowSpecial: o["allow-special"] })) {
      if (piece.ids.length === 0) continue;
      process.stdout.write((first ? "" : " ") + Array.from(piece.ids).join(" "));
      first = false;
    }
    process.stdout.write("\n");
    return 0;
  }
  let text: string;
  if (o.text !== undefined) text = o.text;
  else if (o.file !== undefined) {
    try {
      text = readFileSync(o.file, "utf8");
    } catch (e) {
      throw new UsageError(encodeSpec.name, `--file ${o.file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  } else if (!process.stdin.isTTY) text = readFileSync(0, "utf8");
  else throw new UsageError(encodeSpec.name, "give --text, --file or text on stdin");
  const rng = new Rng(o.seed);
  const ids = tokenizer.encode(text, { allowSpecial: o["allow-special"], dropout: o.dropout, uniform: () => rng.float32() });
  if (o.json) {
    const tokens = Array.from(ids, (id) => tokenizer.decode([id]));
    process.stdout.write(JSON.stringify({ ids: Array.from(ids), tokens, count: ids.length, bytes: Buffer.byteLength(text, "utf8") }) + "\n");
  } else process.stdout.write(Array.from(ids).join(" ") + "\n");
  return 0;
}

function runDecode(argv: string[]): number {
  const a = parseCommand(decodeSpec, argv);
  if (a.help) return help(a.text);
  const o = a.values;
  if (!o.tokenizer) throw new UsageError(decodeSpec.name, "--tokenizer <dir> is required");
  const source = o.ids ?? (a.positionals.id.length ? a.positionals.id.join(" ") : !process.stdin.isTTY ? readFileSync(0, "utf8") : "");
  if (!source.trim()) throw new UsageError(decodeSpec.name, "give ids as arguments, with --ids, or on stdin");
  const tokenizer = loadTokenizer(o.tokenizer);
  const ids = parseIdList(source, decodeSpec.name);
  const bad = ids.findIndex((id) => id >= tokenizer.vocabSize);
  if (bad >= 0) throw new UsageError(decodeSpec.name, `id ${ids[bad]} (item ${bad + 1}) is not below the vocabulary size ${tokenizer.vocabSize}`);
  const text = tokenizer.decode(ids, { skipSpecial: o["skip-special"] });
  process.stdout.write(o.json ? JSON.stringify({ text }) + "\n" : text + "\n");
  return 0;
}

function help(text: string): number {
  process.stdout.write(text);
  return 0;
}

export const tokenizerCommand: Command = {
  name: "tokenizer",
  summary: "train a BPE tokenizer, measure compression, encode and decode (sub-commands train|stats|encode|decode)",
  async run(argv) {
    const [sub, ...rest] = argv;
    if (!sub || sub === "--help" || sub === "-h" || sub === "help") {
      process.stdout.write(overview());
      return sub ? 0 : 2;
    }
    const found = SUBCOMMANDS.find((s) => s.name === sub);
    if (!found) {
      process.stderr.write(`pretrain tokenizer: unknown sub-command "${sub}"; choose one of ${SUBCOMMANDS.map((s) => s.name).join(", ")}\n`);
      return 2;
    }
    try {
      switch (found.name) {
        case "train": return await runTrain(rest);
        case "stats": return runStats(rest);
        case "encode": return runEncode(rest);
        default: return runDecode(rest);
      }
    } catch (e) {
      // Mistakes in the input (files, tokenizer files) are reported in one line, like the other commands' errors.
      if (e instanceof TrainingInputError || e instanceof TokenizerFormatError || e instanceof CorpusError) {
        note(`pretrain tokenizer ${found.name}: error: ${e.message}`);
        return 1;
      }
      throw e;
    }
  },
};

/** For tests: the help text of a sub-command. */
export function tokenizerHelp(sub: string): string {
  const s = SUBCOMMANDS.find((x) => x.name === sub);
  return s ? formatHelp(s.spec) : overview();
}
