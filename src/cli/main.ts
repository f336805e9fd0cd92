#!/usr/bin/env node
/** The `pretrain` command: dispatches to one sub-command per file in this folder. */
import { readFileSync } from "node:fs";
import { UsageError } from "./args.js";
import type { Command } from "./command.js";
import { trainCommand } from "./train.js";
import { generateCommand } from "./generate.js";
import { scoreCommand } from "./score.js";
import { demoCommand } from "./demo.js";
import { inspectCommand } from "./inspect.js";
import { dataCommand } from "./data.js";
import { tokenizerCommand } from "./tokenizer.js";
import { evalCommand } from "./eval.js";
import { mupCheckCommand } from "./mup-check.js";
import { ablationCommand } from "./ablation.js";
import { reportCommand } from "./report.js";
import { exportCommand } from "./export.js";
import { importCommand } from "./import.js";
import { planCommand } from "./plan.js";
import { annealCommand } from "./anneal.js";
import { runCommand } from "./run.js";

const COMMANDS: Command[] = [runCommand, demoCommand, trainCommand, annealCommand, generateCommand, scoreCommand, inspectCommand, dataCommand, tokenizerCommand, evalCommand, mupCheckCommand, ablationCommand, reportCommand, exportCommand, importCommand, planCommand];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "pretrain — pre-train small Llama-compatible language models (YuLan-Mini / MiniCPM recipe)",
    "",
    "Usage: pretrain <command> [options]     pretrain <command> --help for a command's options",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Environment: PRETRAIN_THREADS (kernel threads), PRETRAIN_SIMD (portable | avx2 | avx512 | auto)",
    "",
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(help());
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(version() + "\n");
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`pretrain: unknown command "${name}"; run \`pretrain --help\` for the list\n`);
    return 2;
  }
  return await cmd.run(rest);
}

const KNOWN_ERRORS = new Set([
  "ConfigError", "CheckpointError", "TrainingError", "SafetensorsError", "MetricsFormatError", "RangeError",
  "SetupError", "PlanError", "TaskError", "BrowserError", "ReportError", "ExportError", "GgufFormatError",
  "TokenizerFormatError",
]);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`pretrain: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    const e = err as Error;
    if (e && KNOWN_ERRORS.has(e.name)) process.stderr.write(`pretrain: error: ${e.message}\n`);
    else process.stderr.write(`pretrain: ${e?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
