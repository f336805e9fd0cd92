/**
 * `pretrain import`: a Hugging Face Llama folder into a training checkpoint (WeSaR gates at 1, multipliers at 1), so
 * a released model can be trained further or annealed with this toolkit. Exporting it again gives the same files.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineCommand, UsageError } from "./args.js";
import { cliCommand, JSON_OPTION, type Command } from "./command.js";
import { referenceKernels } from "../kernels/reference.js";
import { isHfFolder, loadHfFolder } from "../export/hf-import.js";
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, listCheckpoints, saveCheckpoint } from "../train/checkpoint.js";
import { parameterCount } from "../model/layout.js";

const spec = defineCommand({
  name: "pretrain import",
  summary: "import a Hugging Face Llama folder as a training checkpoint (gates and multipliers at 1)",
  usage: "pretrain import --from <folder> --out <run dir> [options]",
  description: "Reads config.json and the safetensors weights (single file or shards with an index; float32, " +
    "bfloat16 or float16) and writes <out>/checkpoints/step-00000000, which generate, score, inspect and export " +
    "accept, and from which training can start.",
  options: {
    from: { type: "string", valueName: "<dir>", description: "Hugging Face Llama folder" },
    out: { type: "string", valueName: "<dir>", description: "run folder to create" },
    wesar: { type: "boolean", default: true, description: "give the model WeSaR gates (at 1); --no-wesar for none" },
    json: JSON_OPTION,
  },
  positionals: [],
  examples: ["pretrain import --from ./Llama-folder --out runs/imported"],
});

export const importCommand: Command = cliCommand("import", spec, (o) => {
  if (!o.from) throw new UsageError(spec.name, "--from is required");
  if (!o.out) throw new UsageError(spec.name, "--out is required");
  const from = resolve(o.from);
  if (!isHfFolder(from)) {
    throw new UsageError(spec.name, `${o.from} is not a Hugging Face model folder (config.json with model.safetensors or model.safetensors.index.json)`);
  }
  if (listCheckpoints(o.out).length > 0) throw new UsageError(spec.name, `${o.out} already holds checkpoints; choose another --out`);
  const model = loadHfFolder(from, referenceKernels("f32"), { wesar: o.wesar });
  const tokPath = join(from, "tokenizer.json");
  const dir = saveCheckpoint(o.out, {
    layout: model.layout, params: model.params, moments: null,
    state: {
      format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, step: 0, tokens_seen: 0, optimizer_step: 0,
      lr_multiplier: 0, data: null, callbacks: {}, elapsed_seconds: 0, created_at: new Date().toISOString(),
    },
    config: { model: model.config, imported_from: from },
    tokenizer: existsSync(tokPath) ? JSON.parse(readFileSync(tokPath, "utf8")) : undefined,
  });
  const summary = { from, checkpoint: dir, parameters: parameterCount(model.config), wesar: o.wesar };
  if (o.json) process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
  else process.stdout.write(`imported ${from} (${summary.parameters.toLocaleString("en-US")} parameters) into ${dir}\n`);
  return 0;
});
