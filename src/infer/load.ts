/** Loads a model for inference from a checkpoint directory (or a run directory: its newest checkpoint). */
import type { Kernels } from "../kernels/types.js";
import { resolveModelConfig } from "../model/config.js";
import { Model } from "../model/model.js";
import { loadCheckpointTensors, readCheckpointInfo, resolveCheckpointPath } from "../train/checkpoint.js";
import { tokenizerFromJSON, type Tokenizer } from "../tokenizer/index.js";

export interface LoadedModel {
  model: Model;
  tokenizer: Tokenizer | null;
  dir: string;
  step: number | null;
}

export function loadModel(path: string, kernels: Kernels): LoadedModel {
  const dir = resolveCheckpointPath(path);
  const info = readCheckpointInfo(dir, true);
  const config = resolveModelConfig((info.config as { model?: unknown }).model, "model");
  const model = new Model(config, kernels, { training: false });
  loadCheckpointTensors(dir, model.layout, model.params, null);
  return { model, tokenizer: info.tokenizer ? tokenizerFromJSON(info.tokenizer) : null, dir, step: info.state.step };
}
