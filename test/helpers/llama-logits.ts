/**
 * Child-process helper for the GGUF export test: loads a model with node-llama-cpp (CPU, no build, F32 KV cache)
 * and prints, as JSON on stdout, llama.cpp's tokenization of a text and the next-token log-probabilities at every
 * position of a given id sequence (full vocabulary: temperature 1, no top-k/top-p/min-p). A separate process
 * because a malformed GGUF can abort the whole process inside llama.cpp.
 *   node llama-logits.js <model.gguf> <input.json: {text, ids}>
 */
import { readFileSync } from "node:fs";
import { getLlama, type Token } from "node-llama-cpp";

const [modelPath, inputPath] = process.argv.slice(2);
const input = JSON.parse(readFileSync(inputPath, "utf8")) as { text: string; ids: number[] };
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" as never });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({
  contextSize: Math.max(64, input.ids.length + 8), batchSize: Math.max(64, input.ids.length + 8), threads: 1,
  experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32", flashAttention: false,
});
const sequence = context.getSequence();
const options = { temperature: 1, topK: 0, topP: 1, minP: 0, seed: 1 };
const out = await sequence.controlledEvaluate(input.ids.map((id) => [id as Token, { generateNext: { probabilities: true, options } }]));
const logprobs = out.map((o) => {
  const probs = o?.next?.probabilities;
  if (!probs) return null;
  const row: [number, number][] = [];
  for (const [token, p] of probs) row.push([Number(token), Math.log(p)]);
  return row;
});
const tokens = Array.from(model.tokenize(input.text, false), Number);
process.stdout.write(JSON.stringify({ tokens, logprobs }) + "\n");
await context.dispose();
await model.dispose();
await llama.dispose();
