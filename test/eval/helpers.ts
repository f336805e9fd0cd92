/** Small models and a scripted language model for the evaluation tests. */
import { referenceKernels } from "../../src/kernels/reference.js";
import { resolveModelConfig, type ModelConfigInput } from "../../src/model/config.js";
import { Model } from "../../src/model/model.js";
import { ByteTokenizer } from "../../src/tokenizer/bytes.js";
import type { EvalLM, GenerationOptions, RollingScore, TextRequest } from "../../src/eval/lm/model-lm.js";
import { splitWhitespace } from "../../src/eval/lm/model-lm.js";
import type { TokenRequest, TokenScore } from "../../src/eval/lm/scorer.js";
import type { Kernels } from "../../src/kernels/types.js";

export const tok = new ByteTokenizer();

export function tinyModel(o: Partial<ModelConfigInput> = {}, kernels: Kernels = referenceKernels("f64"), seed = 3): Model {
  const m = new Model(resolveModelConfig({
    num_layers: 2, d_model: 16, ffn_size: 24, num_heads: 4, num_kv_heads: 2, vocab_size: 259, max_seq_len: 48,
    init_std: 0.4, scale_emb: 2, dim_model_base: 8, ...o,
  }), kernels, { training: false });
  m.init(seed);
  return m;
}

/**
 * A language model driven by a scoring function on text: loglikelihood(context, continuation) = score(...),
 * greedy when the score is ≥ 0; generation returns scripted text. For testing the tasks' bookkeeping.
 */
export class ScriptedLM implements EvalLM {
  readonly tokenizer = tok;
  calls: TextRequest[] = [];
  prompts: string[] = [];
  constructor(
    readonly score: (context: string, continuation: string) => number,
    readonly gen: (prompt: string, o: GenerationOptions, sample: number) => string = () => "",
    readonly maxLength = 1 << 20,
  ) {}
  loglikelihood(requests: readonly TextRequest[]): TokenScore[] {
    this.calls.push(...requests);
    return requests.map((r) => {
      const [c, x] = splitWhitespace(r.context, r.continuation);
      const s = this.score(c, x);
      return { logprob: s, greedy: s >= 0, tokens: tok.encode(x).length };
    });
  }
  loglikelihoodTokens(_r: readonly TokenRequest[]): TokenScore[] {
    throw new Error("not scripted");
  }
  rolling(texts: readonly string[]): RollingScore[] {
    return texts.map((t) => ({ logprob: this.score("", t), tokens: tok.encode(t).length }));
  }
  generate(prompt: string, o: GenerationOptions): string[] {
    this.prompts.push(prompt);
    return Array.from({ length: o.samples }, (_, s) => this.gen(prompt, o, s));
  }
  encodeContext(text: string): Int32Array {
    return Int32Array.from([256, ...tok.encode(text)]);
  }
  countTokens(text: string): number {
    return tok.encode(text).length;
  }
}
