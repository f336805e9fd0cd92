/**
 * The language model as the tasks see it: text in, log-likelihoods and generations out. `ModelLM` adapts a
 * Model and a Tokenizer (any implementation of the interface: byte-level, BPE); tests may pass any other
 * implementation of `EvalLM`.
 *
 * Text handling, stated once:
 *  - context and continuation are encoded separately and concatenated (so the continuation's tokens are the ones
 *    it has on its own), after moving whitespace at the end of the context to the front of the continuation
 *    ("Answer: " + "B" is scored as "Answer:" + " B");
 *  - every context starts with a prefix token, by default end-of-text (the token that precedes every document
 *    in a packed training stream) or BOS when there is none, so the first real token is scored too.
 */
import type { Model } from "../../model/model.js";
import type { Tokenizer } from "../../tokenizer/index.js";
import { InferenceSession } from "../../infer/session.js";
import { sampleToken } from "../../infer/sample.js";
import { Rng } from "../../util/rng.js";
import { EvalForward } from "./forward.js";
import { scoreTokenRequests, type ScorerOptions, type ScorerStats, type TokenRequest, type TokenScore } from "./scorer.js";

export type { TokenRequest, TokenScore } from "./scorer.js";

export interface TextRequest {
  context: string;
  continuation: string;
}

export interface GenerationOptions {
  /** stop at the first of these strings (the result is cut before it) */
  stop: string[];
  maxTokens: number;
  /** completions to draw (each from the same prompt) */
  samples: number;
  /** 0 = greedy */
  temperature: number;
  topK: number;
  topP: number;
  seed: number | string;
}

export interface RollingScore {
  /** Σ log p over every token of the text */
  logprob: number;
  tokens: number;
}

export interface EvalLM {
  readonly tokenizer: Tokenizer;
  /** the context in tokens */
  readonly maxLength: number;
  loglikelihood(requests: readonly TextRequest[]): TokenScore[];
  loglikelihoodTokens(requests: readonly TokenRequest[]): TokenScore[];
  /** log-likelihood of whole texts, in overlapping windows when longer than the context */
  rolling(texts: readonly string[]): RollingScore[];
  generate(prompt: string, o: GenerationOptions): string[];
  /** prefix token + encoded text: what a context becomes */
  encodeContext(text: string): Int32Array;
  countTokens(text: string): number;
}

export type PrefixToken = "auto" | "eos" | "bos" | "none";

export interface ModelLMOptions extends ScorerOptions {
  prefixToken?: PrefixToken;
  /** tokens per packed forward pass (default 2048, at least the context) */
  budgetTokens?: number;
}

export function resolvePrefixToken(tokenizer: Tokenizer, model: Model, which: PrefixToken): number | null {
  const eos = tokenizer.eosId ?? model.config.eos_token_id;
  const bos = tokenizer.bosId ?? model.config.bos_token_id;
  switch (which) {
    case "none":
      return null;
    case "eos":
      if (eos === null || eos === undefined) throw new RangeError("--prefix-token eos: the tokenizer has no end-of-text token");
      return eos;
    case "bos":
      if (bos === null || bos === undefined) throw new RangeError("--prefix-token bos: the tokenizer has no BOS token");
      return bos;
    case "auto":
      return eos ?? bos ?? null;
  }
}

/** Moves whitespace at the end of the context to the start of the continuation. */
export function splitWhitespace(context: string, continuation: string): [string, string] {
  const trimmed = context.replace(/\s+$/u, "");
  return [trimmed, context.slice(trimmed.length) + continuation];
}

export class ModelLM implements EvalLM {
  readonly maxLength: number;
  readonly prefix: number | null;
  readonly stats: ScorerStats = { requests: 0, unique: 0, sharedGroups: 0, sharedRequests: 0, packedRows: 0, passes: 0 };
  generatedTokens = 0;
  /** tokens fed to the generation KV cache (prompts and generated tokens) */
  private sessionTokens = 0;
  private readonly fwd: EvalForward;
  private session: InferenceSession | null = null;

  constructor(readonly model: Model, readonly tokenizer: Tokenizer, private readonly o: ModelLMOptions = {}) {
    if (tokenizer.vocabSize > model.config.vocab_size) {
      throw new RangeError(`the tokenizer has ${tokenizer.vocabSize} tokens but the model only ${model.config.vocab_size}`);
    }
    this.maxLength = model.config.max_seq_len;
    this.prefix = resolvePrefixToken(tokenizer, model, o.prefixToken ?? "auto");
    this.fwd = new EvalForward(model, o.budgetTokens ?? 2048);
  }

  /** tokens run through the layers so far (scoring passes, padding included, and generation) */
  get tokensForwarded(): number {
    return this.fwd.tokensForwarded + this.sessionTokens;
  }

  encodeContext(text: string): Int32Array {
    const ids = this.tokenizer.encode(text);
    if (this.prefix === null) return ids;
    const out = new Int32Array(ids.length + 1);
    out[0] = this.prefix;
    out.set(ids, 1);
    return out;
  }

  countTokens(text: string): number {
    return this.tokenizer.encode(text).length;
  }

  loglikelihood(requests: readonly TextRequest[]): TokenScore[] {
    return this.loglikelihoodTokens(requests.map((r) => {
      const [ctx, cont] = splitWhitespace(r.context, r.continuation);
      return { context: this.encodeContext(ctx), continuation: this.tokenizer.encode(cont) };
    }));
  }

  loglikelihoodTokens(requests: readonly TokenRequest[]): TokenScore[] {
    return scoreTokenRequests(this.fwd, requests, this.o, this.stats);
  }

  rolling(texts: readonly string[]): RollingScore[] {
    const W = this.maxLength;
    const stride = Math.max(1, Math.floor(W / 2));
    const requests: TokenRequest[] = [];
    const owner: number[] = [];
    texts.forEach((text, t) => {
      const ids = this.encodeContext(text);
      // Targets are ids[1..n−1]. Window w scores targets [a, b) with as much context as fits before them.
      let a = 1;
      while (a < ids.length) {
        const b = Math.min(ids.length, a + (a === 1 ? W : stride));
        const ctxStart = Math.max(0, b - 1 - W);
        requests.push({ context: ids.subarray(ctxStart, a), continuation: ids.subarray(a, b) });
        owner.push(t);
        a = b;
      }
    });
    const scores = this.loglikelihoodTokens(requests);
    const out: RollingScore[] = texts.map(() => ({ logprob: 0, tokens: 0 }));
    scores.forEach((s, i) => {
      out[owner[i]].logprob += s.logprob;
      out[owner[i]].tokens += s.tokens;
    });
    return out;
  }

  generate(prompt: string, o: GenerationOptions): string[] {
    const cap = this.maxLength;
    if (!this.session) this.session = new InferenceSession(this.model, cap);
    const session = this.session;
    let ids = this.encodeContext(prompt);
    // The prompt keeps at least half the context: generation may then stop early at the context's end.
    const keep = Math.max(1, cap - Math.min(o.maxTokens, Math.floor(cap / 2)));
    if (ids.length > keep) ids = ids.slice(ids.length - keep);
    session.reset();
    // The prompt goes in in pieces, so the session's buffers stay at the budget however long the context.
    const piece = this.o.budgetTokens ?? 2048;
    let last = session.feed(ids.subarray(0, Math.min(ids.length, piece)));
    for (let at = piece; at < ids.length; at += piece) last = session.feed(ids.subarray(at, Math.min(ids.length, at + piece)));
    const first = Float32Array.from(last);
    this.sessionTokens += ids.length;
    const promptLen = session.length;
    const V = this.model.config.vocab_size;
    const eos = this.tokenizer.eosId;
    const outs: string[] = [];
    const one = new Int32Array(1);
    for (let s = 0; s < o.samples; s++) {
      session.length = promptLen;
      const rng = new Rng(`${o.seed}:sample-${s}`);
      let logits: ArrayLike<number> = first;
      const tokens: number[] = [];
      let text = "";
      while (tokens.length < o.maxTokens) {
        const id = sampleToken(logits as Float32Array, V, o, rng);
        if (eos !== null && id === eos) break;
        tokens.push(id);
        text = this.tokenizer.decode(tokens, { skipSpecial: true });
        if (o.stop.some((st) => st !== "" && text.includes(st))) break;
        if (session.length >= session.capacity) break;
        one[0] = id;
        logits = session.feed(one);
        this.sessionTokens++;
      }
      this.generatedTokens += tokens.length;
      outs.push(cutAtStop(text, o.stop));
    }
    return outs;
  }
}

/** The text up to the earliest stop string. */
export function cutAtStop(text: string, stop: readonly string[]): string {
  let end = text.length;
  for (const s of stop) {
    if (s === "") continue;
    const i = text.indexOf(s);
    if (i >= 0 && i < end) end = i;
  }
  return text.slice(0, end);
}
