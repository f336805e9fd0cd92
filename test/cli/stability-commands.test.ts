/**
 * The stability commands as a user runs them: `pretrain mup-check`, `pretrain ablation` (and that its recipes are
 * the paper's ladder, differing only where they should) and `pretrain report`'s help.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadRunConfig } from "../../src/train/config.js";
import { ablationRecipes } from "../../src/train/ablation.js";
import { writeCorpus } from "../train/stability-helpers.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

function pretrain(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", env: { ...process.env, PRETRAIN_THREADS: "1" } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test("help of the stability commands", () => {
  const all = pretrain(["--help"]);
  for (const c of ["mup-check", "ablation", "report"]) {
    assert.match(all.stdout, new RegExp(`\\b${c}\\b`));
    const r = pretrain([c, "--help"]);
    assert.equal(r.code, 0, c);
    assert.match(r.stdout, new RegExp(`Usage: pretrain ${c}`));
  }
});

test("pretrain mup-check --json: slopes, the page and a usage error for bad widths", () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-mupcheck-"));
  try {
    const r = pretrain(["mup-check", "--widths", "32,64", "--steps", "2", "--out", dir, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.options.widths, [32, 64]);
    assert.equal(out.rows.length, 2 * 2 * 3);
    assert.ok(out.slopes.sp.residual > out.slopes.mup.residual);
    assert.ok(existsSync(join(dir, "mup-check.html")));
    assert.match(readFileSync(join(dir, "mup-check.html"), "utf8"), /<svg[^>]*aria-label="residual stream x_L"/);
    const bad = pretrain(["mup-check", "--widths", "32,50"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /multiple of --head-dim 16/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Flattened "a.b.c" → value of a resolved config, without the paths that differ from run to run. */
function flat(x: unknown, prefix = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  if (x && typeof x === "object" && !Array.isArray(x)) {
    for (const [k, v] of Object.entries(x)) flat(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = x;
  return out;
}

function diff(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => k !== "out_dir" && !k.startsWith("model.wesar_init") && JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

test("the ablation recipes are the paper's ladder: each row changes only what it says", () => {
  const recipes = ablationRecipes(join(ROOT, "recipes", "ablation"));
  assert.equal(recipes.length, 7);
  const cfg = recipes.map((r) => flat(loadRunConfig(r, ['data.paths=["x.txt"]'])));
  const [base, qk, wd, mup, depth, wesar, control] = cfg;
  assert.deepEqual(diff(base, qk), ["model.qk_layernorm"]);
  assert.deepEqual(diff(base, wd), ["optimizer.weight_decay"]);
  assert.deepEqual(diff(wd, mup), ["model.dim_model_base", "model.scale_emb", "optimizer.lr"]);
  assert.deepEqual(diff(mup, depth), ["model.residual_multiplier"]);
  assert.deepEqual(diff(depth, wesar), ["model.wesar"]);
  assert.deepEqual(diff(wd, control), ["optimizer.lr"]);
  assert.equal(base["optimizer.lr"], 1e-3);
  assert.equal(mup["optimizer.lr"], 1e-2);
  assert.equal(base["model.residual_multiplier"], 1);
  assert.ok(Math.abs((depth["model.residual_multiplier"] as number) - 1.4 / Math.sqrt(8)) < 1e-12);
  assert.equal(base["model.dim_model_base"], null);
});

test("pretrain ablation runs a recipe and prints the table", () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-ablation-"));
  try {
    const corpus = writeCorpus(dir, 120000);
    const out = join(dir, "runs");
    const r = pretrain(["ablation", join(ROOT, "recipes", "ablation"), "--only", "6-wesar", "--steps", "2", "--corpus", corpus,
      "--out", out, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].name, "6-wesar");
    assert.equal(rows[0].steps, 2);
    assert.ok(rows[0].finalLoss > 0 && rows[0].valLoss > 0);
    assert.equal(rows[0].divergedAt, null);
    assert.match(readFileSync(join(out, "ablation.md"), "utf8"), /^\| run \| steps \| final train loss/);
    assert.ok(existsSync(join(out, "6-wesar", "metrics.jsonl")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
