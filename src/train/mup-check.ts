/**
 * The μP coordinate check (Yang et al., Tensor Programs V): train a few steps at several widths, once under μP
 * and once under standard parametrization (SP), with the same base learning rate, and look at how large the
 * activations' coordinates are after each step as a function of width. Under μP they stay flat; under SP, Adam's
 * updates add Θ(width) to every pre-activation, so they grow with width — the reason an SP learning rate tuned
 * on a small proxy blows up at scale, and what μP's transfer rests on.
 *
 * Both arms share everything but the parametrization: head_dim is fixed (heads grow with width), the residual
 * multiplier is 1, no clipping, no weight decay, no warmup, the same init σ and seeds. μP here is the model's
 * own μP (dim_model_base = the smallest width): hidden matrices learn at lr·d₀/d and start with σ/√m (fan-in) or
 * σ/√(2mL) (output) — the factors go into the init σ because WeSaR is off — plus logits ÷ m (logit_scale_base =
 * d₀), as MiniCPM does (YuLan-Mini's final run keeps the logits unscaled).
 */
import type { Kernels } from "../kernels/types.js";
import { resolveModelConfig, type ModelConfig } from "../model/config.js";
import { Model } from "../model/model.js";
import { headLogits } from "../model/head.js";
import { allocRowScratch, rowStatsOf } from "../model/stats.js";
import { gateValue } from "../model/params.js";
import { AdamW, clipGradients, resolveOptimizer } from "./optimizer.js";
import type { Batch } from "../model/batch.js";
import { Rng } from "../util/rng.js";

export type Parametrization = "mup" | "sp";

export interface MupCheckOptions {
  widths: number[];
  steps: number;
  lr: number;
  layers: number;
  headDim: number;
  rows: number;
  seq: number;
  vocab: number;
  initStd: number;
  seed: number;
  /** progress lines */
  log?: (message: string) => void;
}

export const MUP_CHECK_DEFAULTS: Omit<MupCheckOptions, "log"> = {
  widths: [64, 128, 256, 512], steps: 5, lr: 1e-2, layers: 2, headDim: 16, rows: 8, seq: 64, vocab: 256, initStd: 0.02,
  seed: 1,
};

/** The activations whose coordinate size is tracked. */
export const MUP_ACTIVATIONS = ["embed", "attn_branch", "mlp_branch", "residual", "logits"] as const;
export type MupActivation = (typeof MUP_ACTIVATIONS)[number];

export interface MupCheckRow {
  parametrization: Parametrization;
  width: number;
  /** 0 = at initialization, then after each update */
  step: number;
  /** RMS of the coordinates (per-token RMS averaged over tokens; branches and residual averaged over layers) */
  rms: Record<MupActivation, number>;
  loss: number;
}

export interface MupCheckResult {
  options: Omit<MupCheckOptions, "log">;
  rows: MupCheckRow[];
  /** per parametrization and activation: the least-squares slope of log RMS against log width after the last step */
  slopes: Record<Parametrization, Record<MupActivation, number>>;
}

export function mupCheckConfig(p: Parametrization, width: number, o: Omit<MupCheckOptions, "log">): ModelConfig {
  const base = Math.min(...o.widths);
  return resolveModelConfig({
    num_layers: o.layers, d_model: width, ffn_size: Math.round((width * 5) / 2), num_heads: width / o.headDim,
    vocab_size: o.vocab, max_seq_len: o.seq, tie_embeddings: true, qkv_bias: false, scale_emb: 1,
    residual_multiplier: 1, wesar: false, init_std: o.initStd, z_loss: 0,
    dim_model_base: p === "mup" ? base : null, logit_scale_base: p === "mup" ? base : null,
  });
}

/** Random token rows with a little structure (each token usually follows from the one before). */
function makeBatches(o: Omit<MupCheckOptions, "log">): Batch[] {
  const rng = new Rng(o.seed).fork("mup-check-data");
  const next = Int32Array.from({ length: o.vocab * 2 }, () => rng.int(o.vocab));
  const out: Batch[] = [];
  for (let s = 0; s <= o.steps; s++) {
    const n = o.rows * o.seq;
    const ids = new Int32Array(n);
    const targets = new Int32Array(n);
    let t = rng.int(o.vocab);
    for (let i = 0; i <= n; i++) {
      const nt = rng.float() < 0.2 ? rng.int(o.vocab) : next[t * 2 + rng.int(2)];
      if (i < n) ids[i] = t;
      if (i > 0) targets[i - 1] = t;
      t = nt;
    }
    out.push({ rows: o.rows, seq: o.seq, ids, targets });
  }
  return out;
}

/** RMS of every tracked activation after a forward pass of `batch` (the last batch is held out for this). */
function measure(m: Model, k: Kernels, batch: Batch): { rms: Record<MupActivation, number>; loss: number } {
  const loss = m.loss(batch).mean;
  const acts = m.activations!;
  const c = m.config;
  const T = batch.rows * batch.seq;
  const d = c.d_model;
  const scratch = allocRowScratch(k, T);
  const L = c.num_layers;
  let attn = 0;
  let mlp = 0;
  for (let l = 0; l < L; l++) {
    const a = acts.layers[l];
    const w = m.p.layers[l];
    attn += rowStatsOf(k, a.uo, T, d, scratch, c.residual_multiplier * gateValue(m.params, w.go)).rms / L;
    mlp += rowStatsOf(k, a.ud, T, d, scratch, c.residual_multiplier * gateValue(m.params, w.gDown)).rms / L;
  }
  const rowsForLogits = Math.min(T, 64);
  const logits = k.alloc(rowsForLogits * c.vocab_size);
  headLogits(m, acts.h, rowsForLogits, logits);
  const ls = allocRowScratch(k, rowsForLogits);
  return {
    loss,
    rms: {
      embed: rowStatsOf(k, L > 0 ? acts.layers[0].x : acts.xL, T, d, scratch).rms,
      attn_branch: attn,
      mlp_branch: mlp,
      residual: rowStatsOf(k, acts.xL, T, d, scratch).rms,
      logits: rowStatsOf(k, logits, rowsForLogits, c.vocab_size, ls).rms,
    },
  };
}

/** Least-squares slope of log y against log x. */
export function logLogSlope(xs: number[], ys: number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < lx.length; i++) {
    sxy += (lx[i] - mx) * (ly[i] - my);
    sxx += (lx[i] - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : 0;
}

export function runMupCheck(k: Kernels, options: Partial<MupCheckOptions> = {}): MupCheckResult {
  const { log, ...rest } = options;
  const o: Omit<MupCheckOptions, "log"> = { ...MUP_CHECK_DEFAULTS, ...rest };
  for (const w of o.widths) {
    if (w % o.headDim !== 0) throw new RangeError(`width ${w} is not a multiple of the head dimension ${o.headDim}`);
  }
  const batches = makeBatches(o);
  const held = batches[o.steps];
  const rows: MupCheckRow[] = [];
  for (const p of ["mup", "sp"] as const) {
    for (const width of o.widths) {
      const c = mupCheckConfig(p, width, o);
      const m = new Model(c, k);
      m.init(o.seed);
      const opt = new AdamW(k, resolveOptimizer({ lr: o.lr, weight_decay: 0, clip: 0 }), c, m.layout, m.params, m.grads!);
      const first = measure(m, k, held);
      rows.push({ parametrization: p, width, step: 0, ...first });
      for (let s = 1; s <= o.steps; s++) {
        m.zeroGrads();
        m.lossAndGrad(batches[s - 1]);
        clipGradients(k, m.grads!, 0);
        opt.update(1);
        rows.push({ parametrization: p, width, step: s, ...measure(m, k, held) });
      }
      const last = rows[rows.length - 1];
      log?.(`${p} width ${width}: loss ${first.loss.toFixed(3)} → ${last.loss.toFixed(3)}, ` +
        `residual RMS ${first.rms.residual.toExponential(2)} → ${last.rms.residual.toExponential(2)}`);
    }
  }
  const slopes = {} as MupCheckResult["slopes"];
  for (const p of ["mup", "sp"] as const) {
    const final = rows.filter((r) => r.parametrization === p && r.step === o.steps);
    slopes[p] = Object.fromEntries(MUP_ACTIVATIONS.map((a) => [a, logLogSlope(final.map((r) => r.width), final.map((r) => r.rms[a]))])) as
      Record<MupActivation, number>;
  }
  return { options: o, rows, slopes };
}
