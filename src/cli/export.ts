/** `pretrain export`: a checkpoint as a plain Llama — a Hugging Face folder, or a GGUF file for llama.cpp. */
import { statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { defineCommand, UsageError } from "./args.js";
import { cliCommand, JSON_OPTION, note, type Command } from "./command.js";
import { referenceKernels } from "../kernels/reference.js";
import { loadModel } from "../infer/load.js";
import { foldToLlama } from "../export/fold.js";
import { writeHfFolder, type ExportDtype } from "../export/hf.js";
import { hfTokenizerFiles } from "../export/tokenizer-files.js";
import { writeGgufModel, type GgufFileType } from "../export/gguf-model.js";

const spec = defineCommand({
  name: "pretrain export",
  summary: "export a checkpoint as a plain Llama (Hugging Face folder or GGUF for llama.cpp), every μP and WeSaR scale folded in",
  usage: "pretrain export --from <checkpoint> --out <dir | file.gguf> [options]",
  description: "Folds the embedding multiplier, the WeSaR gates, the residual multiplier and the attention and logit " +
    "scales into the weights (spec §3.4), so the result is a standard LlamaForCausalLM that Hugging Face tools load " +
    "as it is, or a llama-architecture GGUF that llama.cpp runs as it is. Both give the checkpoint's logits. " +
    "--dtype: float32, bfloat16 or float16 for a folder; float32, float16 or q8_0 for GGUF (norms and biases stay float32).",
  options: {
    from: { type: "string", valueName: "<dir>", description: "checkpoint directory, or a run directory (its newest checkpoint)" },
    out: { type: "string", valueName: "<dir>", description: "output folder" },
    format: { type: "string", choices: ["hf", "gguf"], default: "hf", description: "Hugging Face folder, or one GGUF file" },
    dtype: { type: "string", choices: ["float32", "bfloat16", "float16", "q8_0"], default: "float32", description: "weight type" },
    name: { type: "string", valueName: "<text>", description: "model name in the GGUF metadata (default: the run folder's name)" },
    "max-shard-gb": { type: "number", default: 5, description: "shard the weights above this size (GB)" },
    json: JSON_OPTION,
  },
  positionals: [],
  examples: [
    "pretrain export --from runs/demo --out exports/demo-hf --dtype bfloat16",
    "pretrain export --from runs/demo --format gguf --dtype float16 --out exports/demo-f16.gguf",
  ],
});

export const exportCommand: Command = cliCommand("export", spec, (o) => {
  if (!o.from) throw new UsageError(spec.name, "--from is required");
  if (!o.out) throw new UsageError(spec.name, "--out is required");
  if (!(o["max-shard-gb"] > 0)) throw new UsageError(spec.name, "--max-shard-gb must be positive");
  const { model, tokenizer, dir } = loadModel(o.from, referenceKernels("f32"));
  if (o.format === "gguf") {
    const fileType = ({ float32: "f32", float16: "f16", q8_0: "q8_0" } as Record<string, GgufFileType>)[o.dtype];
    if (!fileType) throw new UsageError(spec.name, `--dtype ${o.dtype} is not available for GGUF (float32, float16 or q8_0)`);
    if (!tokenizer) throw new UsageError(spec.name, `${dir} has no tokenizer.json; GGUF files carry their vocabulary`);
    const name = o.name ?? basename(resolve(dir, /checkpoints/.test(dir) ? "../.." : "."));
    const e = writeGgufModel(o.out, model.config, model.layout, model.params, tokenizer, { fileType, name });
    const bytes = statSync(o.out).size;
    if (o.json) process.stdout.write(JSON.stringify({ from: dir, out: o.out, format: "gguf", dtype: o.dtype, tied: e.tied, tensors: e.tensors.length, bytes }, null, 2) + "\n");
    else process.stdout.write(`exported ${dir} to ${o.out} (GGUF, ${o.dtype}, ${e.tensors.length} tensors, ${(bytes / 1e6).toFixed(1)} MB)\n`);
    return 0;
  }
  if (o.dtype === "q8_0") throw new UsageError(spec.name, "--dtype q8_0 is for --format gguf; a Hugging Face folder takes float32, bfloat16 or float16");
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
