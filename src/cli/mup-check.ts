/** `pretrain mup-check`: the μP coordinate check — activation size against width, under μP and under SP. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineCommand, UsageError } from "./args.js";
import { BACKEND_OPTION, JSON_OPTION, THREADS_OPTION, cliCommand, kernelsFor, note, type Command } from "./command.js";
import { MUP_ACTIVATIONS, MUP_CHECK_DEFAULTS, runMupCheck } from "../train/mup-check.js";
import { mupCheckPage, mupCheckTable } from "../report/mup-page.js";
import { screenshot } from "../report/browser.js";

const spec = defineCommand({
  name: "pretrain mup-check",
  summary: "μP coordinate check: activation scale against width, flat under μP, growing under standard parametrization",
  usage: "pretrain mup-check [options]",
  description:
    "Trains a small model for a few Adam steps at several widths, once with μP (hidden learning rate ÷ m, μP init, " +
    "logits ÷ m) and once with standard parametrization, at the same base learning rate, and measures the RMS of the " +
    "activations' coordinates after every step. Prints the RMS after the last step and the slope of log RMS against " +
    "log width (about 0 under μP; clearly positive under SP), and writes an HTML page with the plots (and a PNG with --png).",
  options: {
    widths: { type: "string", default: MUP_CHECK_DEFAULTS.widths.join(","), valueName: "<w,w,…>", description: "model widths (multiples of --head-dim)" },
    steps: { type: "integer", default: MUP_CHECK_DEFAULTS.steps, description: "Adam steps at each width" },
    lr: { type: "number", default: MUP_CHECK_DEFAULTS.lr, description: "base learning rate (both parametrizations)" },
    layers: { type: "integer", default: MUP_CHECK_DEFAULTS.layers, description: "decoder layers" },
    "head-dim": { type: "integer", default: MUP_CHECK_DEFAULTS.headDim, description: "head dimension (heads grow with width)" },
    seed: { type: "integer", default: MUP_CHECK_DEFAULTS.seed, description: "seed of initialization and data" },
    out: { type: "string", default: "runs/mup-check", valueName: "<dir>", description: "folder for mup-check.html and mup-check.json" },
    png: { type: "boolean", description: "also render mup-check.png with headless Chromium" },
    backend: BACKEND_OPTION,
    threads: THREADS_OPTION,
    json: JSON_OPTION,
  },
  positionals: [],
  examples: ["pretrain mup-check", "pretrain mup-check --widths 32,64,128,256 --steps 10 --png"],
});

export const mupCheckCommand: Command = cliCommand("mup-check", spec, (o) => {
  const widths = o.widths.split(",").map((s) => Number(s.trim()));
  if (widths.length < 2 || widths.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new UsageError(spec.name, `--widths needs at least two positive integers, got '${o.widths}'`);
  }
  if (widths.some((w) => w % o["head-dim"] !== 0)) {
    throw new UsageError(spec.name, `every width must be a multiple of --head-dim ${o["head-dim"]}`);
  }
  const k = kernelsFor(o.backend, o.threads);
  const t0 = performance.now();
  const r = runMupCheck(k, {
    widths: [...widths].sort((a, b) => a - b), steps: o.steps, lr: o.lr, layers: o.layers, headDim: o["head-dim"], seed: o.seed,
    log: (m) => note(`mup-check: ${m}`),
  });
  const dir = resolve(o.out);
  mkdirSync(dir, { recursive: true });
  const html = join(dir, "mup-check.html");
  writeFileSync(html, mupCheckPage(r));
  writeFileSync(join(dir, "mup-check.json"), JSON.stringify(r, null, 2) + "\n");
  let png: string | null = null;
  if (o.png) {
    png = join(dir, "mup-check.png");
    screenshot(html, png, 1400, 760);
  }
  const seconds = (performance.now() - t0) / 1000;
  if (o.json) {
    process.stdout.write(JSON.stringify({ ...r, html, png, seconds }, null, 2) + "\n");
    return 0;
  }
  const t = mupCheckTable(r);
  const widthsCol = Math.max(...t.rows.flat().map((c) => c.length), ...t.head.map((h) => h.length));
  const lines = [
    `coordinate RMS after ${r.options.steps} Adam steps (lr ${r.options.lr}), by width; slope = d log RMS / d log width`,
    t.head.map((h, i) => (i === 0 ? h.padEnd(12) : h.padStart(widthsCol))).join(" "),
    ...t.rows.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(12) : c.padStart(widthsCol))).join(" ")),
    "",
    ...MUP_ACTIVATIONS.filter((a) => a !== "embed").map((a) => {
      const mu = r.slopes.mup[a];
      const sp = r.slopes.sp[a];
      return `${a.padEnd(12)} μP slope ${mu.toFixed(2).padStart(6)} (${Math.abs(mu) <= 0.25 ? "flat" : "NOT flat"}), ` +
        `SP slope ${sp.toFixed(2).padStart(6)} (${sp >= 0.5 ? "grows with width" : "does not grow"})`;
    }),
    "",
    `plot: ${html}${png ? `\npng: ${png}` : ""}`,
    `${seconds.toFixed(1)} s`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
});
