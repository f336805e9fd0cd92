/** Text generation with a KV cache: the prompt is fed at once, then one token at a time. */
import type { Model } from "../model/model.js";
import { Rng } from "../util/rng.js";
import { InferenceSession } from "./session.js";
import { sampleToken, type SamplingOptions } from "./sample.js";

export interface GenerateOptions extends SamplingOptions {
  maxTokens: number;
  seed: number;
  /** stop when this id is produced (it is not included in the output) */
  stopId: number | null;
  /** called with each new token id as it is produced */
  onToken?: (id: number) => void;
}

export interface GenerateResult {
  prompt: number[];
  tokens: number[];
  stoppedBy: "stop-token" | "max-tokens" | "context";
  promptSeconds: number;
  generateSeconds: number;
  tokensPerSecond: number;
}

export function generate(model: Model, prompt: Int32Array, o: GenerateOptions): GenerateResult {
  if (prompt.length === 0) throw new RangeError("generate: the prompt is empty (give at least one token, e.g. BOS)");
  const session = new InferenceSession(model);
  const rng = new Rng(o.seed);
  const vocab = model.config.vocab_size;
  const t0 = performance.now();
  let logits = session.feed(prompt);
  const t1 = performance.now();
  const tokens: number[] = [];
  let stoppedBy: GenerateResult["stoppedBy"] = "max-tokens";
  const one = new Int32Array(1);
  while (tokens.length < o.maxTokens) {
    const id = sampleToken(logits, vocab, o, rng);
    if (o.stopId !== null && id === o.stopId) {
      stoppedBy = "stop-token";
      break;
    }
    tokens.push(id);
    o.onToken?.(id);
    if (tokens.length >= o.maxTokens) break;
    if (session.length >= session.capacity) {
      stoppedBy = "context";
      break;
    }
    one[0] = id;
    logits = session.feed(one);
  }
  const t2 = performance.now();
  const generateSeconds = (t2 - t1) / 1000;
  return {
    prompt: Array.from(prompt), tokens, stoppedBy, promptSeconds: (t1 - t0) / 1000, generateSeconds,
    tokensPerSecond: tokens.length / Math.max(generateSeconds, 1e-9),
  };
}
