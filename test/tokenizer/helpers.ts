/** Shared material for the tokenizer tests: real text found on the machine, random strings, a small tokenizer. */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { seeded } from "../helpers/random.js";
import { trainTokenizer } from "../../src/tokenizer/bpe/train.js";
import type { BpeTokenizer } from "../../src/tokenizer/bpe/tokenizer.js";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** npm's markdown docs (about 0.6 MB of English), present wherever npm is. */
export function npmDocsDir(): string {
  const r = spawnSync("npm", ["root", "-g"], { encoding: "utf8" });
  const candidates = [join(r.stdout?.trim() ?? "", "npm", "docs", "content"), join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "docs", "content")];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error("npm's docs not found");
  return found;
}

export function filesUnder(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, ext));
    else if (name.endsWith(ext)) out.push(p);
  }
  return out;
}

/** TypeScript's lib .d.ts files: code with JSDoc prose. */
export function typescriptLib(): string {
  return join(ROOT, "node_modules", "typescript", "lib");
}

/** A varied corpus: prose, code, numbers, whitespace runs, Unicode of many scripts, awkward characters. */
export function varietyTexts(): string[] {
  const docs = filesUnder(npmDocsDir(), ".md").slice(0, 12).map((f) => readFileSync(f, "utf8"));
  const code = readFileSync(join(typescriptLib(), "lib.es5.d.ts"), "utf8");
  return [
    ...docs,
    code.slice(0, 60_000),
    code.slice(120_000, 150_000),
    "3.14159 + 2.71828 = 5.85987; 1,000,000 × 42 = 42000000; 0x1F 0b1010 1e-9 ½ ¾ ٣٤٥ ४२ Ⅻ ①②",
    "if (x <= 10) {\n\t\treturn [a, b];\n    }\n\n\n        // deep\r\n\r\n\t \t \n" + " ".repeat(40) + "end\n" + "\n".repeat(7),
    "Grüße, Καλημέρα, Здравствуйте, こんにちは世界, 你好，世界！ مرحبا بالعالم שלום עולם नमस्ते 안녕하세요",
    "emoji 😀👍🏽👨‍👩‍👧‍👦 🇫🇷 flags ✨ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝐀𝐁𝐂 combining e\u0301 a\u0300\u0316 Z\u0351\u0352\u0353",
    "control \u0000\u0001\u0007\u001b[31m red \u007f \u0085 next line \u00a0nbsp \u2028\u2029 \ufeffbom \u200b zwsp \u00ad shy",
    "contractions: don't I'M we'RE they've she'll he'd it's 'S 'T ''s '' 'x",
    "   leading spaces", "trailing spaces   ", " ", "", "\n", "a", "ab",
    "<|endoftext|>ordinary text with a special-looking string<|pad|> and <|reserved_3|>",
  ];
}

const POOL = [
  "a", "Z", "é", "ß", "ǅ", "Ω", "ж", "ع", "א", "ก", "中", "文", "한", "ア", "0", "7", "٣", "४", "Ⅻ", "½", "①",
  " ", " ", " ", "\t", "\n", "\r", "\r\n", "\u000b", "\u000c", "\u00a0", "\u0085", "\u1680", "\u2003", "\u2028", "\u3000",
  ".", ",", "!", "?", "'", "\"", "-", "_", "(", ")", "<", "|", ">", "@", "#", "$", "%", "^", "&", "*", "=", "+", "`", "~", "\\", "/",
  "'s", "'S", "'t", "'re", "'VE", "'m", "'ll", "'D", "\u0301", "\u0300", "\u200d", "\ufeff", "\u200b", "\u00ad", "\u0000", "\u007f",
  "😀", "👍🏽", "🇫🇷", "𝐀", "𝟘", "𐍈", "\ud800", "\udfff", "\ue000", "\ufffd", "\u0378",
  "the", " the", "ing", "tion", "12345", "    ", "\n\n", "<|endoftext|>",
];

/** A seeded random string of `n` pieces from a pool that hits every branch of the pre-tokenizers. */
export function randomString(u: () => number, n: number, withLoneSurrogates = true): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    let p = POOL[Math.floor(u() * POOL.length)];
    if (!withLoneSurrogates && (p === "\ud800" || p === "\udfff")) p = "x";
    s += p;
  }
  return s;
}

export { seeded };

let small: BpeTokenizer | null = null;

/** A 1024-token tokenizer trained on npm's docs (on this thread; about half a second). */
export async function smallTokenizer(): Promise<BpeTokenizer> {
  small ??= (await trainTokenizer({ inputs: [npmDocsDir()], vocabSize: 1024, threads: 0 })).tokenizer;
  return small;
}
