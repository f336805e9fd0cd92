/**
 * `pretrain inspect`: what a checkpoint holds — step, tokens, model shape, and per tensor its norm and RMS
 * (the tool YuLan-Mini used to watch the balance between raw weights and WeSaR gates, spec §6.1).
 */
import { defineCommand, UsageError } from "./args.js";
import { JSON_OPTION, cliCommand, type Command } from "./command.js";
import { referenceKernels } from "../kernels/reference.js";
import { loadModel } from "../infer/load.js";
import { readCheckpointInfo } from "../train/checkpoint.js";

const spec = defineCommand({
  name: "pretrain inspect",
  summary: "show a checkpoint's step, model shape, gate values and per-tensor norms",
  usage: "pretrain inspect [options] <checkpoint>",
  options: {
    tensors: { type: "boolean", description: "list every tensor (default: only a summary by kind and the gates)" },
    json: JSON_OPTION,
  },
  positionals: [{ name: "checkpoint", description: "checkpoint directory, or a run directory (its newest checkpoint)" }],
  examples: ["pretrain inspect runs/demo", "pretrain inspect runs/demo/checkpoints/step-00000300 --tensors --json"],
});

export const inspectCommand: Command = cliCommand("inspect", spec, (o, positionals) => {
  const path = positionals.checkpoint;
  if (!path) throw new UsageError(spec.name, "give a checkpoint directory");
  const { model, dir } = loadModel(path, referenceKernels("f32"));
  const info = readCheckpointInfo(dir, false);
  const tensors = model.layout.tensors.map((t) => {
    const v = model.params.subarray(t.offset, t.offset + t.size);
    let ss = 0;
    for (let i = 0; i < v.length; i++) ss += v[i] * v[i];
    return { name: t.name, shape: t.shape, kind: t.kind, group: t.group, norm: Math.sqrt(ss), rms: Math.sqrt(ss / t.size) };
  });
  const byKind = new Map<string, { count: number; params: number; meanRms: number }>();
  for (const t of tensors) {
    const e = byKind.get(t.kind) ?? { count: 0, params: 0, meanRms: 0 };
    e.count++;
    e.params += t.shape.reduce((a, b) => a * b, 1);
    e.meanRms += t.rms;
    byKind.set(t.kind, e);
  }
  const gates = tensors.filter((t) => t.kind === "gate").map((t) => ({ name: t.name, value: model.tensor(t.name)[0] }));
  const summary = {
    checkpoint: dir, step: info.state.step, tokens_seen: info.state.tokens_seen, parameters: model.layout.size,
    model: model.config, kinds: Object.fromEntries([...byKind].map(([k, e]) => [k, { ...e, meanRms: e.meanRms / e.count }])),
    gates, tensors: o.tensors ? tensors : undefined,
  };
  if (o.json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
    return 0;
  }
  const out: string[] = [
    `${dir}`, `step ${info.state.step}, ${info.state.tokens_seen.toLocaleString("en-US")} tokens, ` +
    `${model.layout.size.toLocaleString("en-US")} parameters`,
    `model: L=${model.config.num_layers} d=${model.config.d_model} ffn=${model.config.ffn_size} heads=${model.config.num_heads}/${model.config.num_kv_heads} vocab=${model.config.vocab_size}`,
    "", "kind          tensors   parameters   mean RMS",
    ...[...byKind].map(([k, e]) => `${k.padEnd(12)} ${String(e.count).padStart(8)} ${String(e.params).padStart(12)}   ${(e.meanRms / e.count).toExponential(3)}`),
  ];
  if (gates.length) out.push("", "gates:", ...gates.map((g) => `  ${g.name.padEnd(48)} ${g.value.toFixed(6)}`));
  if (o.tensors) {
    out.push("", "tensor                                            shape          norm        RMS");
    for (const t of tensors) out.push(`${t.name.padEnd(48)} ${JSON.stringify(t.shape).padEnd(14)} ${t.norm.toExponential(3)} ${t.rms.toExponential(3)}`);
  }
  process.stdout.write(out.join("\n") + "\n");
  return 0;
});
