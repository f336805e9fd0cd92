/** `pretrain report`: one self-contained HTML page with the plots of a run (and a PNG of it with --png). */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineCommand } from "./args.js";
import { JSON_OPTION, cliCommand, type Command } from "./command.js";
import { buildReport } from "../report/report.js";
import { screenshot } from "../report/browser.js";

const spec = defineCommand({
  name: "pretrain report",
  summary: "write an HTML report of a run: loss, learning rate, gradient norm, hidden-state variance, gates, spikes, data mixture",
  usage: "pretrain report [options] <run-dir>",
  description:
    "Reads <run-dir>/config.json, metrics.jsonl and the checkpoints and writes one self-contained HTML page (inline SVG " +
    "charts, no scripts, nothing fetched): training and held-out loss with spikes, rollbacks and divergence warnings " +
    "marked; learning rate; gradient norm; per-layer hidden-state variance over steps and across layers; attention max " +
    "logit and entropy; per-group gradient norms and update-to-weight ratios; WeSaR gate values; the data mixture by " +
    "phase; checkpoints and skipped batches. --png also renders it with headless Chromium.",
  options: {
    out: { type: "string", valueName: "<file.html>", description: "where to write the page (default <run-dir>/report.html)" },
    png: { type: "boolean", description: "also write a PNG screenshot next to the page (needs Chromium)" },
    json: JSON_OPTION,
  },
  positionals: [{ name: "run-dir", description: "a run folder (the out_dir of a training run)" }],
  examples: ["pretrain report runs/demo", "pretrain report runs/ablation/6-wesar --png"],
});

export const reportCommand: Command = cliCommand("report", spec, (o, positionals) => {
  const dir = resolve(positionals["run-dir"]);
  const html = buildReport(dir);
  const out = resolve(o.out ?? join(dir, "report.html"));
  writeFileSync(out, html);
  let png: string | null = null;
  if (o.png) {
    png = out.replace(/\.html?$/i, "") + ".png";
    screenshot(out, png, 1400, 4200);
  }
  if (o.json) process.stdout.write(JSON.stringify({ report: out, png, bytes: Buffer.byteLength(html) }, null, 2) + "\n");
  else process.stdout.write(`report: ${out}${png ? `\npng: ${png}` : ""}\n`);
  return 0;
});
