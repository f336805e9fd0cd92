/** `pretrain plan`: validates a run configuration and prints its plan — phases, tokens, FLOPs, memory, time. */
import { defineCommand, UsageError } from "./args.js";
import { cliCommand, JSON_OPTION, type Command } from "./command.js";
import { loadRunConfig } from "../train/config.js";
import { formatPlan, planReport } from "../plan/report.js";

const spec = defineCommand({
  name: "pretrain plan",
  summary: "validate a recipe and print its plan: steps and tokens per phase, FLOPs, memory per device, time",
  usage: "pretrain plan <recipe> [options]",
  description:
    "Reads the run configuration as `pretrain train` would (every key checked) and prints, per curriculum phase, the " +
    "steps, tokens, batch shape, RoPE θ, learning-rate multiplier and FLOPs (YuLan-Mini's per-token formula, spec " +
    "§13, and 6·N for comparison); the totals; the memory one device needs for its share of a micro-batch; and, " +
    "given a throughput, the time. Nothing is trained and no data is read.",
  options: {
    set: { type: "string", multiple: true, valueName: "<key=value>", description: "override a config value" },
    devices: { type: "integer", default: 1, description: "devices a micro-batch's rows are divided over (memory per device)" },
    "tokens-per-second": { type: "number", valueName: "<n>", description: "achieved throughput over all devices, for the time estimate" },
    "flops-per-second": { type: "number", valueName: "<n>", description: "achieved FLOP/s over all devices (spec §13 FLOPs), for the time estimate" },
    json: JSON_OPTION,
  },
  positionals: [{ name: "recipe", description: "run configuration (.yaml, .yml or .json)" }],
  examples: [
    "pretrain plan recipes/yulan-mini-2.4b.yaml --devices 56 --flops-per-second 8.9e15   # 56 A800s at 51% MFU",
    "pretrain plan recipes/demo.yaml --tokens-per-second 7000 --json",
  ],
});

export const planCommand: Command = cliCommand("plan", spec, (o, positionals) => {
  if (!(o.devices >= 1)) throw new UsageError(spec.name, "--devices must be at least 1");
  for (const k of ["tokens-per-second", "flops-per-second"] as const) {
    if (o[k] !== undefined && !(o[k]! > 0)) throw new UsageError(spec.name, `--${k} must be positive`);
  }
  const cfg = loadRunConfig(positionals.recipe, o.set);
  const report = planReport(cfg, { devices: o.devices, tokensPerSecond: o["tokens-per-second"], flopsPerSecond: o["flops-per-second"] });
  process.stdout.write(o.json ? JSON.stringify(report, null, 2) + "\n" : formatPlan(report));
  return 0;
});
