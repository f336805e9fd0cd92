/**
 * `pretrain report` end to end: a short run with the monitor on, WeSaR gates and a corrupted batch (so there is a
 * spike and a skipped update to mark), then the page rendered by a real headless browser (Debian's chromium):
 * every chart's SVG is in the rendered DOM with its lines and marks, and the screenshot is not blank.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getKernels } from "../../src/kernels/index.js";
import { train } from "../../src/train/trainer.js";
import { dumpDom, findChromium } from "../../src/report/browser.js";
import { buildReport } from "../../src/report/report.js";
import { formatTick, linearTicks, lineChart, logTicks } from "../../src/report/svg.js";
import { CorruptingSource, quiet, tinyConfig, writeCorpus } from "../train/stability-helpers.js";
import { decodePng, inkStats } from "../helpers/png.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const k = getKernels("native", 1);

function requireChromium(): void {
  if (!findChromium()) {
    assert.fail("headless Chromium is needed to check the report renders: install Debian's `chromium` package " +
      "(apt-get install chromium), or set PRETRAIN_CHROMIUM to a Chrome/Chromium binary");
  }
}

test("chart helpers: nice ticks, tick labels, non-finite values break lines, text is escaped", () => {
  assert.deepEqual(linearTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(linearTicks(-0.3, 0.25, 4), [-0.2, 0, 0.2]);
  assert.deepEqual(logTicks(0.5, 2000), [1, 10, 100, 1000]);
  assert.equal(formatTick(1e-5), "1e-5");
  assert.equal(formatTick(250000), "2.5e5");
  assert.equal(formatTick(0.25), "0.25");
  const svg = lineChart({ title: "a <b> & c", series: [{ name: "s", points: [[1, 1], [2, NaN], [3, 2], [4, 3]] }] });
  assert.match(svg, /a &lt;b&gt; &amp; c/);
  // the NaN splits the line: a lone point (a dot) and a two-point polyline
  assert.equal((svg.match(/<polyline/g) ?? []).length, 1);
  assert.equal((svg.match(/<circle/g) ?? []).length, 1);
});

test("pretrain report: the page renders in headless Chromium with every chart, and the screenshot is not blank", () => {
  requireChromium();
  const dir = mkdtempSync(join(tmpdir(), "pretrain-report-"));
  try {
    writeCorpus(dir);
    const cfg = tinyConfig(dir, "run", {
      train: { steps: 26, eval_every: 8 }, monitor: { every: 2 }, spikes: { policy: "skip", window: 10, min_history: 8 },
    });
    train({ config: cfg, kernels: k, source: new CorruptingSource(cfg, new Set([42])), ...quiet });
    const r = spawnSync(process.execPath, [MAIN, "report", cfg.out_dir, "--png", "--json"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { report: string; png: string; bytes: number };
    assert.equal(out.report, join(cfg.out_dir, "report.html"));
    const html = readFileSync(out.report, "utf8");
    assert.ok(!/<script|src="http|href="http/.test(html), "self-contained: no scripts, nothing fetched");

    const dom = dumpDom(out.report);
    const svgs = dom.match(/<svg[^>]*class="chart[^"]*"[^>]*>/g) ?? [];
    const labels = svgs.map((s) => /aria-label="([^"]*)"/.exec(s)?.[1]);
    for (const title of ["Loss", "Gradient norm (before clipping)", "Learning rate", "Largest residual-stream RMS, every step",
      "Residual-stream variance after each layer (MLP sub-layer)", "Hidden-state variance across layers",
      "Max attention logit", "Attention entropy", "Gradient norm by parameter group (before clipping)",
      "Update-to-weight ratio ‖ΔW‖/‖W‖ by parameter group", "q_proj_alpha", "down_proj_alpha",
      "Data mixture (one phase: the whole run)"]) {
      assert.ok(labels.includes(title), `chart "${title}" in the rendered page; found: ${labels.join(" | ")}`);
    }
    assert.ok((dom.match(/<polyline/g) ?? []).length > 40, "lines drawn");
    assert.ok(/class="point"[^>]*>\s*<title>loss spike at step 22/.test(dom), "the spike is marked on the loss curve");
    assert.ok(/class="mark"[^>]*>\s*<title>step 22: update skipped/.test(dom), "the skipped update is marked");
    assert.match(dom, /1 skipped updates/);

    assert.ok(existsSync(out.png));
    const img = decodePng(readFileSync(out.png));
    assert.equal(img.width, 1400);
    const { ink, colors } = inkStats(img, [250, 250, 250]);
    // lines and text on white charts: a few percent of the pixels; a blank page has none
    assert.ok(ink > 0.02, `the screenshot is blank (${(100 * ink).toFixed(2)}% ink)`);
    assert.ok(colors > 50, `only ${colors} colours in the screenshot`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("pretrain report: a folder without metrics is a clear error; a run without the monitor still reports", () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-report-"));
  try {
    const r = spawnSync(process.execPath, [MAIN, "report", dir], { encoding: "utf8" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no metrics\.jsonl \(is this a run folder\?\)/);
    writeCorpus(dir);
    const cfg = tinyConfig(dir, "plain", { model: { wesar: false }, train: { steps: 4 }, monitor: { every: 0, divergence: { enabled: false } },
      spikes: { policy: "off" } });
    train({ config: cfg, kernels: k, source: new CorruptingSource(cfg, new Set()), ...quiet });
    const html = buildReport(cfg.out_dir);
    assert.match(html, /No monitor records/);
    assert.match(html, /no WeSaR gates/);
    assert.match(html, /aria-label="Loss"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
