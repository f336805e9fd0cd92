/**
 * AdamW with the μP parameter groups of spec §2.6: the hidden matrices (q, k, v, o, gate, up, down and an untied
 * lm_head) learn at lr·d₀/d, everything else (embedding, biases, norm gains, WeSaR gates) at the base lr;
 * decoupled weight decay on every group by default, configurable per group. Global-norm clipping as PyTorch's
 * clip_grad_norm_. The moments live in two arenas with the parameters' layout.
 */
import type { Buf, Kernels } from "../kernels/types.js";
import type { ModelConfig } from "../model/config.js";
import { widthMultiplier } from "../model/config.js";
import type { Layout, ParamGroup } from "../model/layout.js";
import { validate, type Schema } from "../util/schema.js";

export interface GroupConfig {
  /** multiplies the base lr; null = the μP rule (d₀/d for hidden, 1 for base) */
  lr_scale: number | null;
  /** null = the optimizer's weight_decay */
  weight_decay: number | null;
}

export interface OptimizerConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weight_decay: number;
  /** max global gradient norm; 0 turns clipping off */
  clip: number;
  groups: { hidden: GroupConfig; base: GroupConfig };
}

const GROUP_SCHEMA: Schema = {
  lr_scale: { kind: "number", min: 0, nullable: true, default: null, doc: "lr multiplier of the group (null: μP rule)" },
  weight_decay: { kind: "number", min: 0, nullable: true, default: null, doc: "weight decay of the group (null: global)" },
};

export const OPTIMIZER_SCHEMA: Schema = {
  lr: { kind: "number", min: 0, exclusiveMin: true, default: 1e-2, doc: "peak base learning rate" },
  beta1: { kind: "number", min: 0, max: 1, default: 0.9, doc: "Adam β1" },
  beta2: { kind: "number", min: 0, max: 1, default: 0.95, doc: "Adam β2" },
  eps: { kind: "number", min: 0, default: 1e-15, doc: "Adam ε" },
  weight_decay: { kind: "number", min: 0, default: 0.1, doc: "decoupled weight decay" },
  clip: { kind: "number", min: 0, default: 1.0, doc: "max global gradient norm (0 = off)" },
  groups: {
    kind: "object", doc: "per-group overrides",
    fields: {
      hidden: { kind: "object", fields: GROUP_SCHEMA, doc: "hidden matrices" },
      base: { kind: "object", fields: GROUP_SCHEMA, doc: "embedding, biases, norms, gates" },
    },
  },
};

export function resolveOptimizer(input: unknown, path = "optimizer"): OptimizerConfig {
  return validate<OptimizerConfig>(input ?? {}, OPTIMIZER_SCHEMA, path);
}

/** The peak learning rate and weight decay of each group. */
export function groupSettings(opt: OptimizerConfig, model: ModelConfig): Record<ParamGroup, { lr: number; wd: number }> {
  const m = widthMultiplier(model);
  const out = {} as Record<ParamGroup, { lr: number; wd: number }>;
  for (const g of ["hidden", "base"] as const) {
    const cfg = opt.groups[g];
    const scale = cfg.lr_scale ?? (g === "hidden" ? 1 / m : 1);
    out[g] = { lr: opt.lr * scale, wd: cfg.weight_decay ?? opt.weight_decay };
  }
  return out;
}

export interface ClipResult {
  /** global L2 norm before clipping */
  norm: number;
  /** the factor the gradients were multiplied by (1 when not clipped) */
  factor: number;
}

/** Global-norm clipping as torch.nn.utils.clip_grad_norm_: factor = max/(norm + 1e-6) when below 1. */
export function clipGradients(k: Kernels, grads: Buf, maxNorm: number): ClipResult {
  const norm = Math.sqrt(k.sumSquares(grads, grads.length));
  if (!(maxNorm > 0) || !Number.isFinite(norm)) return { norm, factor: 1 };
  const factor = maxNorm / (norm + 1e-6);
  if (factor >= 1) return { norm, factor: 1 };
  k.scale(grads, grads.length, factor);
  return { norm, factor };
}

export class AdamW {
  readonly m: Buf;
  readonly v: Buf;
  /** number of updates taken so far */
  step = 0;
  private readonly ranges: { group: ParamGroup; p: Buf; g: Buf; m: Buf; v: Buf; n: number }[];

  constructor(
    private readonly k: Kernels,
    readonly config: OptimizerConfig,
    readonly model: ModelConfig,
    layout: Layout,
    params: Buf,
    grads: Buf,
  ) {
    this.m = k.alloc(layout.size);
    this.v = k.alloc(layout.size);
    this.ranges = (["hidden", "base"] as const)
      .map((group) => {
        const { start, end } = layout.groups[group];
        return {
          group, n: end - start,
          p: params.subarray(start, end), g: grads.subarray(start, end),
          m: this.m.subarray(start, end), v: this.v.subarray(start, end),
        };
      })
      .filter((r) => r.n > 0);
  }

  /** One update with every group's lr multiplied by lrMultiplier (the schedule's λ). */
  update(lrMultiplier: number): void {
    this.step += 1;
    const settings = groupSettings(this.config, this.model);
    const { beta1, beta2, eps } = this.config;
    for (const r of this.ranges) {
      const s = settings[r.group];
      this.k.adamw(r.p, r.g, r.m, r.v, r.n, s.lr * lrMultiplier, beta1, beta2, eps, s.wd, this.step);
    }
  }
}
