/** Choosing the next token from logits: greedy, or temperature sampling restricted by top-k and top-p. */
import type { Buf } from "../kernels/types.js";
import type { Rng } from "../util/rng.js";

export interface SamplingOptions {
  /** 0 = greedy (argmax) */
  temperature: number;
  /** keep only the k most likely tokens (0 = no limit) */
  topK: number;
  /** keep the smallest set of most likely tokens whose probability reaches p (1 = no limit) */
  topP: number;
}

export function argmax(logits: Buf, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

export function sampleToken(logits: Buf, vocab: number, o: SamplingOptions, rng: Rng): number {
  if (o.temperature <= 0) return argmax(logits, vocab);
  const order = Array.from({ length: vocab }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  const keep = o.topK > 0 ? Math.min(o.topK, vocab) : vocab;
  const max = logits[order[0]];
  const probs = new Float64Array(keep);
  let sum = 0;
  for (let i = 0; i < keep; i++) {
    probs[i] = Math.exp((logits[order[i]] - max) / o.temperature);
    sum += probs[i];
  }
  let n = keep;
  if (o.topP < 1) {
    let cum = 0;
    for (let i = 0; i < keep; i++) {
      cum += probs[i] / sum;
      if (cum >= o.topP) {
        n = i + 1;
        break;
      }
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += probs[i];
  let r = rng.float() * total;
  for (let i = 0; i < n; i++) {
    r -= probs[i];
    if (r < 0) return order[i];
  }
  return order[n - 1];
}
