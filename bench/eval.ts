/**
 * Evaluation throughput: examples per second for every task kind, on the demo-sized model (4 layers, d_model 256,
 * byte vocabulary, context 256) with the native kernels. Weights are random: throughput does not depend on them,
 * except through generation length, so generative tasks run with a fixed new-token budget. A second table shows
 * what batching buys for multiple choice: the harness (shared contexts + packed rows) against packed rows only and
 * against one forward pass per (context, choice) request.
 */
import { nativeKernels } from "../src/kernels/native.js";
import { resolveModelConfig } from "../src/model/config.js";
import { Model } from "../src/model/model.js";
import { ByteTokenizer } from "../src/tokenizer/bytes.js";
import { ModelLM } from "../src/eval/lm/model-lm.js";
import { evaluateTask } from "../src/eval/harness.js";
import { buildProxies } from "../src/eval/proxies/index.js";
import { mcPrompt } from "../src/eval/tasks/multiple-choice.js";
import { splitWhitespace } from "../src/eval/lm/model-lm.js";
import type { MultipleChoiceTask, Task } from "../src/eval/types.js";

export interface EvalBenchRow {
  task: string;
  kind: string;
  n: number;
  seconds: number;
  examplesPerSecond: number;
  tokensForwardedPerSecond: number;
  note: string;
}

export interface McBatchRow {
  method: string;
  examplesPerSecond: number;
  forwardTokens: number;
  speedup: number;
}

export function benchModel(): Model {
  const m = new Model(resolveModelConfig({
    num_layers: 4, d_model: 256, ffn_size: 640, num_heads: 8, num_kv_heads: 2, vocab_size: 264, max_seq_len: 256,
    tie_embeddings: true, qkv_bias: true, wesar: true, dim_model_base: 64, init_std: 0.02, scale_emb: 10,
  }), nativeKernels(), { training: false });
  m.init(1);
  return m;
}

export function benchEval(quick: boolean, log: (s: string) => void): { rows: EvalBenchRow[]; mc: McBatchRow[] } {
  const model = benchModel();
  const tok = new ByteTokenizer();
  const s = quick ? 0.5 : 1;
  const tasks = buildProxies(["proxy-cloze-book", "proxy-wordnet-mc", "proxy-arith", "proxy-js-code", "proxy-needle", "proxy-ppl"],
    { needle: { lengths: [256], perCell: quick ? 2 : 4 } });
  const plan: [string, number, Record<string, unknown>, string][] = [
    ["proxy-cloze-book", Math.round(200 * s), {}, "0-shot"],
    ["proxy-wordnet-mc", Math.round(200 * s), { shots: 3 }, "3-shot, 4 choices"],
    ["proxy-arith", Math.round(20 * s), { shots: 0, maxTokens: 64 }, "64 new tokens each"],
    ["proxy-js-code", Math.round(12 * s), { maxTokens: 96 }, "96 new tokens + one sandboxed Node run each"],
    ["proxy-needle", 1000, {}, "haystack 256 tokens: 5 candidates + 9 generated tokens"],
    ["proxy-ppl", Math.round(16 * s), {}, "≤ 4 KB documents, windows of 256 with stride 128"],
  ];
  const rows: EvalBenchRow[] = [];
  for (const [name, limit, extra, note] of plan) {
    const task = tasks.find((t) => t.name === name)!;
    const lm = new ModelLM(model, tok);
    // One untimed warm-up example.
    evaluateTask(lm, task, { limit: 1, ...extra });
    const before = lm.tokensForwarded;
    const r = evaluateTask(lm, task, { limit, ...extra });
    rows.push({
      task: name, kind: task.kind, n: r.n, seconds: r.seconds, examplesPerSecond: r.examples_per_s,
      tokensForwardedPerSecond: (lm.tokensForwarded - before) / r.seconds, note,
    });
    log(`eval bench: ${name} ${r.n} examples in ${r.seconds.toFixed(2)} s`);
  }
  const mc = benchMcBatching(model, tok, tasks.find((t) => t.name === "proxy-wordnet-mc") as MultipleChoiceTask, Math.round(100 * s));
  return { rows, mc };
}

/** Multiple choice three ways, on the same prompts. */
function benchMcBatching(model: Model, tok: ByteTokenizer, task: MultipleChoiceTask, n: number): McBatchRow[] {
  const sub: Task = { ...task, examples: task.examples.slice(0, n) };
  const out: McBatchRow[] = [];
  const timeIt = (method: string, fn: () => number) => {
    const t0 = performance.now();
    const tokens = fn();
    const sec = (performance.now() - t0) / 1000;
    out.push({ method, examplesPerSecond: n / sec, forwardTokens: tokens, speedup: 1 });
  };
  for (const [method, share] of [["harness (shared contexts + packed rows)", true], ["packed rows only", false]] as const) {
    timeIt(method, () => {
      const lm = new ModelLM(model, tok, { sharePrefixes: share });
      evaluateTask(lm, sub, { shots: 3 });
      return lm.tokensForwarded;
    });
  }
  timeIt("one model.loss pass per (context, choice)", () => {
    const lm = new ModelLM(model, tok);
    let tokens = 0;
    for (const ex of (sub as MultipleChoiceTask).examples) {
      const { prompt } = mcPrompt(lm, task, ex, 3, 1234);
      for (const choice of ex.choices) {
        const [c, x] = splitWhitespace(prompt, choice);
        const ctx = lm.encodeContext(c);
        const cont = tok.encode(x);
        const ids = Int32Array.from([...ctx, ...cont]).slice(-(model.config.max_seq_len + 1));
        const seq = ids.length - 1;
        const targets = new Int32Array(seq).fill(-1);
        for (let j = 0; j < cont.length; j++) targets[seq - cont.length + j] = cont[j];
        model.loss({ rows: 1, seq, ids: ids.subarray(0, seq), targets });
        tokens += seq;
      }
    }
    return tokens;
  });
  const base = out[out.length - 1].examplesPerSecond;
  for (const r of out) r.speedup = r.examplesPerSecond / base;
  return out;
}
