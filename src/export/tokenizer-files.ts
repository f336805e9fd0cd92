/** The Hugging Face tokenizer files of a tokenizer (tokenizer.json, tokenizer_config.json), when it has that form. */
import type { ModelConfig } from "../model/config.js";
import type { Tokenizer } from "../tokenizer/index.js";

export function hfTokenizerFiles(tokenizer: Tokenizer, config: ModelConfig): Record<string, unknown> | null {
  const t = tokenizer as Tokenizer & { toHuggingFace?: () => { tokenizer: unknown; config: unknown } };
  if (!t.toHuggingFace) return null;
  const { tokenizer: json, config: tokConfig } = t.toHuggingFace();
  void config;
  return { "tokenizer.json": json, "tokenizer_config.json": tokConfig };
}
