/**
 * Perplexity and bits per byte by domain. Each document is scored whole (in overlapping windows when longer
 * than the context; every token after the prefix token counted once). Per domain and overall:
 *   token_ppl = exp(−Σ log p / Σ tokens)   (depends on the tokenizer)
 *   bits_per_byte = −Σ log p / ln 2 / Σ UTF-8 bytes   (comparable across tokenizers)
 */
import type { EvalLM } from "../lm/model-lm.js";
import { bitsPerByte, utf8Bytes } from "../metrics.js";
import type { EvalOptions, PerplexityTask, TaskResult } from "../types.js";
import { chunks, limited, makeResult } from "./common.js";

interface Acc {
  logprob: number;
  tokens: number;
  bytes: number;
  docs: number;
}

export function evaluatePerplexity(lm: EvalLM, task: PerplexityTask, o: EvalOptions): TaskResult {
  const t0 = performance.now();
  const examples = limited(task.examples, o.limit);
  const byDomain = new Map<string, Acc>();
  const total: Acc = { logprob: 0, tokens: 0, bytes: 0, docs: 0 };
  let done = 0;
  o.onProgress?.(task.name, 0, examples.length);
  for (const chunk of chunks(examples, 16)) {
    const scores = lm.rolling(chunk.map((e) => e.text));
    chunk.forEach((ex, i) => {
      const a = byDomain.get(ex.domain) ?? { logprob: 0, tokens: 0, bytes: 0, docs: 0 };
      for (const t of [a, total]) {
        t.logprob += scores[i].logprob;
        t.tokens += scores[i].tokens;
        t.bytes += utf8Bytes(ex.text);
        t.docs++;
      }
      byDomain.set(ex.domain, a);
    });
    done += chunk.length;
    o.onProgress?.(task.name, done, examples.length);
  }
  const metrics: Record<string, number> = {
    bits_per_byte: bitsPerByte(total.logprob, total.bytes), token_ppl: Math.exp(-total.logprob / total.tokens),
  };
  const domains: Record<string, unknown> = {};
  for (const [d, a] of [...byDomain.entries()].sort(([x], [y]) => x.localeCompare(y))) {
    metrics[`bits_per_byte/${d}`] = bitsPerByte(a.logprob, a.bytes);
    metrics[`token_ppl/${d}`] = Math.exp(-a.logprob / a.tokens);
    domains[d] = { documents: a.docs, tokens: a.tokens, bytes: a.bytes, bits_per_byte: bitsPerByte(a.logprob, a.bytes),
      token_ppl: Math.exp(-a.logprob / a.tokens), bytes_per_token: a.bytes / a.tokens };
  }
  return makeResult(task, examples.length, 0, t0, metrics, {}, { details: { domains } });
}
