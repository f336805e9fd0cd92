/** `pretrain export`: a checkpoint as a plain Llama — a Hugging Face folder, or a GGUF file for llama.cpp. */
import { join } from "node:path";
import { defineCommand, UsageError } from "./args.js";
import { cliCommand, JSON_OPTION, note, type Command } from "./command.js";
import { referenceKernels } from "../kernels/reference.js";
import { loadModel } from "../infer/load.js";
import { foldToLlama } from "../export/fold.js";
import { writeHfFolder, type ExportDtype } from "../export/hf.js";
import { hfTokenizerFiles } from "../export/tokenizer-files.js";

const spec = defineCommand({
  name: "pretrain export",
  summary: "export a checkpoint as a plain Llama (Hugging Face folder), every μP and WeSaR scale folded in",
  usage: "pretrain export --from <checkpoint> --out <dir> [options]",
  description: "Folds the embedding multiplier, the WeSaR gates, the residual multiplier and the attention and logit " +
    "scales into the weights (spec §3.4), so the result is a standard LlamaForCausalLM that Hugging Face tools load " +
    "as it is. The exported folder gives the same logits as the checkpoint.",
  options: {
    from: { type: "string", valueName: "<dir>", description: "checkpoint directory, or a run directory (its newest checkpoint)" },
    out: { type: "string", valueName: "<dir>", description: "output folder" },
    format: { type: "string", choices: ["hf"], default: "hf", description: "output format" },
    dtype: { type: "string", choices: ["float32", "bfloat16", "float16"], default: "float32", description: "weight type" },
    "max-shard-gb": { type: "number", default: 5, description: "shard the weights above this size (GB)" },
    json: JSON_OPTION,
  },
  positionals: [],
  examples: ["pretrain export --from runs/demo --out exports/demo-hf --dtype bfloat16"],
});

export const exportCommand: Command = cliCommand("export", spec, (o) => {
  if (!o.from) throw new UsageError(spec.name, "--from is required");
  if (!o.out) throw new UsageError(spec.name, "--out is required");
  if (!(o["max-shard-gb"] > 0)) throw new UsageError(spec.name, "--max-shard-gb must be positive");
  const { model, tokenizer, dir } = loadModel(o.from, referenceKernels("f32"));
  const { tensors, tied } = foldToLlama(model.config, model.layout, model.params);
  const tokenizerFiles = tokenizer ? hfTokenizerFiles(tokenizer, model.config) : null;
  if (!tokenizerFiles) note(`warning: ${dir} has no tokenizer with a Hugging Face form; the folder has no tokenizer files`);
  const files = writeHfFolder(o.out, model.config, tensors, tied, {
    dtype: o.dtype as ExportDtype, maxShardBytes: o["max-shard-gb"] * 1e9, tokenizerFiles,
  });
  if (o.json) process.stdout.write(JSON.stringify({ from: dir, out: o.out, tied, files }, null, 2) + "\n");
  else process.stdout.write(`exported ${dir} to ${o.out}:\n${files.map((f) => `  ${join(o.out!, f)}`).join("\n")}\n`);
  return 0;
});
