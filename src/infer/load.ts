/**
 * Loads a model for inference from a checkpoint directory, a run directory (its newest checkpoint), or an exported
 * Hugging Face Llama folder (config.json + safetensors, tokenizer.json when present).
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Kernels } from "../kernels/types.js";
import { resolveModelConfig } from "../model/config.js";
import { Model } from "../model/model.js";
import { loadCheckpointTensors, readCheckpointInfo, resolveCheckpointPath } from "../train/checkpoint.js";
import { tokenizerFromJSON, type Tokenizer } from "../tokenizer/index.js";
import { isHfFolder, loadHfFolder } from "../export/hf-import.js";

export interface LoadedModel {
  model: Model;
  tokenizer: Tokenizer | null;
  dir: string;
  step: number | null;
  kind: "checkpoint" | "huggingface";
}

/** `wesar`: for a Hugging Face folder, give the model WeSaR gates (at 1), as a run with model.wesar needs. */
export function loadModel(path: string, kernels: Kernels, options: { training?: boolean; wesar?: boolean } = {}): LoadedModel {
  const abs = resolve(path);
  // A checkpoint also holds config.json and model.safetensors; its state.json tells it from an exported folder.
  if (isHfFolder(abs) && !existsSync(join(abs, "state.json"))) {
    const model = loadHfFolder(abs, kernels, { training: options.training, wesar: options.wesar });
    const tokPath = join(abs, "tokenizer.json");
    const tokenizer = existsSync(tokPath) ? tokenizerFromJSON(JSON.parse(readFileSync(tokPath, "utf8"))) : null;
    return { model, tokenizer, dir: abs, step: null, kind: "huggingface" };
  }
  const dir = resolveCheckpointPath(path);
  const info = readCheckpointInfo(dir, true);
  const config = resolveModelConfig((info.config as { model?: unknown }).model, "model");
  const model = new Model(config, kernels, { training: options.training ?? false });
  loadCheckpointTensors(dir, model.layout, model.params, null);
  return {
    model, tokenizer: info.tokenizer ? tokenizerFromJSON(info.tokenizer) : null, dir, step: info.state.step, kind: "checkpoint",
  };
}
