/**
 * A tokenizer directory on disk: tokenizer.json and tokenizer_config.json (Hugging Face format), plus
 * tokenizer_training.json (our training report) when we trained it. Files are replaced atomically.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../util/atomic.js";
import { tokenizerFromHuggingFace, TokenizerFormatError } from "./hf-json.js";
import type { BpeTokenizer } from "./tokenizer.js";

export const TOKENIZER_FILE = "tokenizer.json";
export const CONFIG_FILE = "tokenizer_config.json";
export const REPORT_FILE = "tokenizer_training.json";

export function saveTokenizer(dir: string, tokenizer: BpeTokenizer, report?: unknown): void {
  mkdirSync(dir, { recursive: true });
  const { tokenizer: json, config } = tokenizer.toHuggingFace();
  writeFileAtomic(join(dir, TOKENIZER_FILE), JSON.stringify(json) + "\n");
  writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + "\n");
  if (report !== undefined) writeFileAtomic(join(dir, REPORT_FILE), JSON.stringify(report, null, 2) + "\n");
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new TokenizerFormatError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TokenizerFormatError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Loads a tokenizer from a directory (tokenizer.json + optional tokenizer_config.json) or a tokenizer.json path. */
export function loadTokenizer(path: string): BpeTokenizer {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new TokenizerFormatError(`tokenizer ${path} does not exist (give a folder with tokenizer.json, or the file)`);
  const dir = st.isDirectory() ? path : join(path, "..");
  const file = st.isDirectory() ? join(path, TOKENIZER_FILE) : path;
  if (!existsSync(file)) throw new TokenizerFormatError(`${path} has no ${TOKENIZER_FILE}; train one with \`pretrain tokenizer train\``);
  const configPath = join(dir, CONFIG_FILE);
  const config = existsSync(configPath) ? readJson(configPath) : null;
  try {
    return tokenizerFromHuggingFace(readJson(file), config);
  } catch (e) {
    if (e instanceof TokenizerFormatError) throw new TokenizerFormatError(`${file}: ${e.message.replace(/^tokenizer\.json: /, "")}`);
    throw e;
  }
}
