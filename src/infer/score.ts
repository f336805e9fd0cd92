/**
 * Per-token log-probabilities of a token sequence under the model: log p(t_i | t_<i) for i ≥ 1 (the first token
 * has no context). Sequences longer than the context are scored in overlapping windows: every window after the
 * first gives each newly scored token at least half a context of history.
 */
import type { Model } from "../model/model.js";

export interface TokenScore {
  position: number;
  id: number;
  logprob: number;
}

export interface ScoreResult {
  tokens: TokenScore[];
  /** Σ log p */
  sum: number;
  /** number of scored tokens */
  count: number;
  /** exp(−sum/count) */
  perplexity: number;
}

export function scoreTokens(model: Model, ids: Int32Array): ScoreResult {
  if (ids.length < 2) throw new RangeError("score: need at least two tokens (the first one only gives context)");
  const W = model.config.max_seq_len;
  const out: TokenScore[] = [];
  let scoredUpTo = 0; // targets at positions ≤ scoredUpTo are done
  let start = 0;
  while (scoredUpTo < ids.length - 1) {
    const end = Math.min(ids.length - 1, start + W); // inputs [start, end), targets [start+1, end]
    const seq = end - start;
    const input = ids.slice(start, end);
    const targets = new Int32Array(seq);
    for (let i = 0; i < seq; i++) targets[i] = start + i + 1 > scoredUpTo ? ids[start + i + 1] : -1;
    model.loss({ rows: 1, seq, ids: input, targets });
    const nll = model.activations!.nll;
    for (let i = 0; i < seq; i++) {
      if (targets[i] < 0) continue;
      out.push({ position: start + i + 1, id: ids[start + i + 1], logprob: -nll[i] });
    }
    scoredUpTo = end;
    start = Math.max(start + 1, end - Math.floor(W / 2));
  }
  let sum = 0;
  for (const t of out) sum += t.logprob;
  return { tokens: out, sum, count: out.length, perplexity: Math.exp(-sum / out.length) };
}
