/** `pretrain generate`: sample text from a checkpoint with a KV cache. */
import { defineCommand, UsageError } from "./args.js";
import { BACKEND_OPTION, JSON_OPTION, THREADS_OPTION, kernelsFor, cliCommand, type Command } from "./command.js";
import { loadModel } from "../infer/load.js";
import { generate } from "../infer/generate.js";

const spec = defineCommand({
  name: "pretrain generate",
  summary: "generate text from a checkpoint (KV cache; temperature, top-k, top-p, seed)",
  usage: "pretrain generate --model <checkpoint> --prompt <text> [options]",
  options: {
    model: { type: "string", valueName: "<dir>", description: "checkpoint directory, or a run directory (its newest checkpoint)" },
    prompt: { type: "string", description: "the prompt text" },
    "max-tokens": { type: "integer", default: 100, description: "tokens to generate at most" },
    temperature: { type: "number", default: 0.8, description: "sampling temperature (0 = greedy)" },
    "top-k": { type: "integer", default: 40, description: "sample among the k most likely tokens (0 = all)" },
    "top-p": { type: "number", default: 0.95, description: "nucleus sampling threshold (1 = off)" },
    seed: { type: "integer", default: 0, description: "sampling seed" },
    bos: { type: "boolean", description: "start the prompt with the BOS token" },
    "ignore-eos": { type: "boolean", description: "keep generating past the end-of-text token" },
    backend: BACKEND_OPTION,
    threads: THREADS_OPTION,
    json: JSON_OPTION,
  },
  positionals: [],
  examples: ['pretrain generate --model runs/demo --prompt "The package" --max-tokens 200 --seed 1'],
});

export const generateCommand: Command = cliCommand("generate", spec, (o) => {
  if (!o.model) throw new UsageError(spec.name, "--model is required");
  if (o.prompt === undefined) throw new UsageError(spec.name, "--prompt is required");
  if (o.temperature < 0) throw new UsageError(spec.name, "--temperature must be ≥ 0");
  if (!(o["top-p"] > 0 && o["top-p"] <= 1)) throw new UsageError(spec.name, "--top-p must be in (0, 1]");
  const { model, tokenizer } = loadModel(o.model, kernelsFor(o.backend, o.threads));
  if (!tokenizer) throw new Error(`${o.model}: the checkpoint has no tokenizer.json`);
  const promptIds = tokenizer.encode(o.prompt);
  const prompt = o.bos && tokenizer.bosId !== null ? Int32Array.from([tokenizer.bosId, ...promptIds]) : promptIds;
  const streamText = !o.json;
  let shown = "";
  const produced: number[] = [];
  if (streamText) process.stdout.write(o.prompt);
  const r = generate(model, prompt, {
    maxTokens: o["max-tokens"], temperature: o.temperature, topK: o["top-k"], topP: o["top-p"], seed: o.seed,
    stopId: o["ignore-eos"] ? null : tokenizer.eosId,
    onToken: (id) => {
      if (!streamText) return;
      produced.push(id);
      const text = tokenizer.decode(produced);
      // Hold back a trailing replacement character: it may be the start of a multi-byte character.
      const stable = text.endsWith("\uFFFD") ? text.slice(0, -1) : text;
      if (stable.length > shown.length && stable.startsWith(shown)) {
        process.stdout.write(stable.slice(shown.length));
        shown = stable;
      }
    },
  });
  const text = tokenizer.decode(r.tokens);
  if (streamText) {
    if (text.length > shown.length) process.stdout.write(text.slice(shown.length));
    process.stdout.write("\n");
    process.stderr.write(`${r.tokens.length} tokens, ${r.tokensPerSecond.toFixed(1)} tokens/s (stopped by ${r.stoppedBy})\n`);
  } else {
    process.stdout.write(JSON.stringify({ ...r, prompt_text: o.prompt, text }, null, 2) + "\n");
  }
  return 0;
});
