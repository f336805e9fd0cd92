/**
 * Starting a run from another run's state (train.init_from): the weights of a checkpoint, run folder or Hugging
 * Face folder, and with train.init_optimizer the Adam moments and optimizer step of a checkpoint too.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Model } from "../model/model.js";
import type { AdamW } from "./optimizer.js";
import { CheckpointError, loadOptimizerMoments, readCheckpointInfo, resolveCheckpointPath } from "./checkpoint.js";
import { isHfFolder } from "../export/hf-import.js";
import { loadModel } from "../infer/load.js";
import { referenceKernels } from "../kernels/reference.js";
import { TrainingError } from "./errors.js";

/**
 * Copies the weights of a checkpoint, run folder or Hugging Face folder into a freshly built model, tensor by
 * tensor by name; every tensor must exist with the same shape on both sides. Returns a message for the log.
 */
export function initFromWeights(model: Model, path: string): string {
  const src = loadModel(path, referenceKernels("f32"), { wesar: model.config.wesar });
  const problems: string[] = [];
  for (const t of model.layout.tensors) {
    const s = src.model.layout.byName.get(t.name);
    if (!s) problems.push(`${t.name} is missing`);
    else if (s.shape.join("×") !== t.shape.join("×")) problems.push(`${t.name} is ${s.shape.join("×")}, the run needs ${t.shape.join("×")}`);
  }
  for (const s of src.model.layout.tensors) if (!model.layout.byName.has(s.name)) problems.push(`${s.name} has no place in this model`);
  if (problems.length) {
    throw new TrainingError(`train.init_from ${src.dir}: the weights do not fit the run's model:\n  ${problems.slice(0, 12).join("\n  ")}` +
      (problems.length > 12 ? `\n  … and ${problems.length - 12} more` : "") + "\nmake the model section match the source (pretrain inspect shows it)");
  }
  for (const t of model.layout.tensors) {
    const s = src.model.layout.byName.get(t.name)!;
    model.params.set(src.model.params.subarray(s.offset, s.offset + s.size), t.offset);
  }
  const differs = describeDiff(src.model.config, model.config).filter((d) => !/^wesar_init:/.test(d));
  return `initialized from ${src.dir} (${src.kind}${src.step !== null ? `, step ${src.step}` : ""})` +
    (differs.length ? `; model settings that differ from the source (the weights are used as they are): ${differs.join("; ")}` : "");
}

/**
 * train.init_from: the weights (initFromWeights), and with train.init_optimizer (`optimizer` given) the optimizer
 * state too (initOptimizerFrom); a source without optimizer state is refused before the weights are read.
 */
export function initFrom(model: Model, optimizer: AdamW | null, path: string): string {
  if (optimizer) refuseHfOptimizerSource(path);
  const weights = initFromWeights(model, path);
  return optimizer ? `${weights}\n${initOptimizerFrom(optimizer, model, path)}` : weights;
}

function refuseHfOptimizerSource(path: string): void {
  if (isHfFolder(path) && !existsSync(join(path, "state.json"))) {
    throw new TrainingError(`train.init_optimizer: ${path} is a Hugging Face folder: it holds weights only, no optimizer ` +
      "state (Adam moments and step) to continue from. Give a checkpoint of this toolkit (or its run folder), or drop " +
      "init_optimizer to start from the weights with a fresh optimizer (pretrain train --init-from)");
  }
}

/**
 * train.init_optimizer: loads the Adam moments (m, v) and the optimizer step (which the bias correction counts
 * from) of the checkpoint `path` names — a checkpoint of this toolkit, or a run folder (its newest complete
 * checkpoint) — into `optimizer`. The moments must match the model's tensors by name and shape. Returns a message
 * for the log.
 */
export function initOptimizerFrom(optimizer: AdamW, model: Model, path: string): string {
  refuseHfOptimizerSource(path);
  try {
    const dir = resolveCheckpointPath(path);
    const info = readCheckpointInfo(dir, false); // initFromWeights (run first) verified this checkpoint
    const n = loadOptimizerMoments(dir, model.layout, { m: optimizer.m, v: optimizer.v });
    optimizer.step = info.state.optimizer_step;
    return `loaded the optimizer state of ${dir}: Adam moments m and v of ${n} tensors, optimizer step ${optimizer.step} ` +
      "(the bias correction continues from it)";
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
    throw new TrainingError(`train.init_optimizer: ${e.message}` + (/holds no optimizer state/.test(e.message)
      ? " (a checkpoint written by `pretrain import` has none); give a training checkpoint, or drop init_optimizer to start the optimizer fresh"
      : ""));
  }
}

export function describeDiff(a: unknown, b: unknown): string[] {
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao ?? {}), ...Object.keys(bo ?? {})]);
  const out: string[] = [];
  for (const k of keys) {
    if (JSON.stringify(ao?.[k]) !== JSON.stringify(bo?.[k])) {
      out.push(`${k}: checkpoint ${JSON.stringify(ao?.[k])} vs config ${JSON.stringify(bo?.[k])}`);
    }
  }
  return out;
}

