/**
 * The divergence early warning: exponential growth of the hidden-state variance, across steps or across layers
 * (the pattern of YuLan-Mini's Figure 3, spec §6.2), caught before the loss shows it.
 *
 * Input, every step: the per-token mean square of the residual stream at its 2L+1 positions (x₀, then after
 * each layer's attention and MLP sub-layers; see residualMeanSquares), which the RMSNorms compute anyway.
 *
 * Across steps: v_t = the largest of those mean squares. Over the last `window` steps a least-squares line is
 * fitted to log v_t; when the fit is good (R² ≥ min_r2) and the fitted growth over the window,
 * exp(slope·(window − 1)), reaches `step_factor`, the variance is growing exponentially in time. A non-finite
 * v_t warns at once.
 *
 * Across layers: the ratios m_{l+1}/m_l of the mean square of consecutive layer outputs (x_l, l = 0..L) over
 * the deeper half of the network (l ≥ ⌊L/2⌋; needs L ≥ 4). A healthy pre-norm network adds to its residual
 * stream, so these ratios approach 1 with depth (the first layer often multiplies it several times, which is
 * why it is not used); when each of them is at least 1 and their geometric mean reaches `layer_factor`, the
 * variance is growing exponentially with depth.
 *
 * Neither rule runs before `start_step` (default: the end of the warmup): from the recipe's tiny
 * initialization the residual stream grows by orders of magnitude in the first steps, which is healthy. A
 * warning of one kind is not repeated within `cooldown` steps.
 */
import { validate, type Schema } from "../util/schema.js";

export interface DivergenceConfig {
  enabled: boolean;
  window: number;
  step_factor: number;
  layer_factor: number;
  min_r2: number;
  /** null: the schedule's warmup_steps */
  start_step: number | null;
  cooldown: number;
}

export const DIVERGENCE_SCHEMA: Schema = {
  enabled: { kind: "boolean", default: true, doc: "watch the hidden-state variance for exponential growth" },
  window: { kind: "number", integer: true, min: 3, default: 10, doc: "steps over which growth in time is fitted" },
  step_factor: { kind: "number", min: 1, exclusiveMin: true, default: 4,
    doc: "warn when the residual variance grows by this factor over the window" },
  layer_factor: { kind: "number", min: 1, exclusiveMin: true, default: 2,
    doc: "warn when it grows by this factor per layer over the deeper half of the layers" },
  min_r2: { kind: "number", min: 0, max: 1, default: 0.6, doc: "how well an exponential must fit the growth in time" },
  start_step: { kind: "number", integer: true, min: 0, nullable: true, default: null,
    doc: "first step the rules run (null: after the warmup)" },
  cooldown: { kind: "number", integer: true, min: 0, default: 50, doc: "steps before a warning of one kind repeats" },
};

export function resolveDivergence(input: unknown, path: string): DivergenceConfig {
  return validate<DivergenceConfig>(input ?? {}, DIVERGENCE_SCHEMA, path);
}

export interface DivergenceWarning {
  type: "divergence";
  step: number;
  /** "steps": growth in time; "layers": growth with depth; "non-finite": NaN or Inf in the residual stream */
  kind: "steps" | "layers" | "non-finite";
  /** steps: the fitted growth factor over the window; layers: the per-layer factor (geometric mean) */
  factor: number;
  /** steps: R² of the exponential fit */
  r2?: number;
  /** the largest residual mean square now, and (steps) at the start of the window */
  variance: number;
  variance_before?: number;
  message: string;
}

export interface DivergenceState {
  /** log of the largest residual mean square at each of the last steps (oldest first) */
  history: number[];
  last_warned: Record<string, number>;
}

/** Least-squares fit of y against 0..n−1: slope and R². */
export function fitLine(y: readonly number[]): { slope: number; r2: number } {
  const n = y.length;
  const mx = (n - 1) / 2;
  let my = 0;
  for (const v of y) my += v;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = i - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const r2 = syy > 0 && sxx > 0 ? (sxy * sxy) / (sxx * syy) : 0;
  return { slope, r2 };
}

export class DivergenceDetector {
  private history: number[] = [];
  private lastWarned: Record<string, number> = {};

  constructor(readonly config: DivergenceConfig, readonly startStep: number) {}

  /**
   * Feeds one step's residual mean squares (2L+1 positions, see residualMeanSquares) and returns the warnings it
   * raises.
   */
  observe(step: number, ms: ArrayLike<number>, numLayers: number): DivergenceWarning[] {
    const c = this.config;
    if (!c.enabled) return [];
    let vmax = 0;
    let finite = true;
    for (let i = 0; i < 2 * numLayers + 1; i++) {
      const v = ms[i];
      if (!Number.isFinite(v)) finite = false;
      else if (v > vmax) vmax = v;
    }
    const out: DivergenceWarning[] = [];
    if (!finite) {
      if (this.may("non-finite", step)) {
        out.push({ type: "divergence", step, kind: "non-finite", factor: Infinity, variance: Infinity,
          message: `step ${step}: the residual stream holds NaN or Inf` });
      }
      return out;
    }
    this.history.push(Math.log(Math.max(vmax, 1e-30)));
    if (this.history.length > c.window) this.history.shift();
    if (step < this.startStep) return out;

    if (this.history.length === c.window) {
      const { slope, r2 } = fitLine(this.history);
      const factor = Math.exp(slope * (c.window - 1));
      if (factor >= c.step_factor && r2 >= c.min_r2 && this.may("steps", step)) {
        out.push({
          type: "divergence", step, kind: "steps", factor, r2, variance: vmax, variance_before: Math.exp(this.history[0]),
          message: `step ${step}: the hidden-state variance grows exponentially: ×${factor.toFixed(1)} over the last ` +
            `${c.window} steps (doubling every ${(Math.LN2 / slope).toFixed(1)} steps, R² ${r2.toFixed(2)}); ` +
            `now ${vmax.toExponential(2)}`,
        });
      }
    }

    if (numLayers >= 4) {
      // layer outputs x_l (l = 0..L) sit at positions 0, 2, 4, …, 2L
      const from = Math.floor(numLayers / 2);
      let logSum = 0;
      let allUp = true;
      for (let l = from; l < numLayers; l++) {
        const a = ms[2 * l];
        const b = ms[2 * l + 2];
        if (!(a > 0) || !(b >= a)) {
          allUp = false;
          break;
        }
        logSum += Math.log(b / a);
      }
      const factor = Math.exp(logSum / (numLayers - from));
      if (allUp && factor >= c.layer_factor && this.may("layers", step)) {
        out.push({
          type: "divergence", step, kind: "layers", factor, variance: vmax,
          message: `step ${step}: the hidden-state variance grows exponentially with depth: ×${factor.toFixed(2)} ` +
            `per layer over layers ${from}–${numLayers - 1}; the last layer's output has ${ms[2 * numLayers].toExponential(2)}`,
        });
      }
    }
    return out;
  }

  private may(kind: string, step: number): boolean {
    const last = this.lastWarned[kind];
    if (last !== undefined && step - last < this.config.cooldown && step > last) return false;
    this.lastWarned[kind] = step;
    return true;
  }

  state(): DivergenceState {
    return { history: [...this.history], last_warned: { ...this.lastWarned } };
  }

  restore(s: DivergenceState | undefined): void {
    this.history = Array.isArray(s?.history) ? s!.history.map(Number) : [];
    this.lastWarned = s?.last_warned && typeof s.last_warned === "object" ? { ...s.last_warned } : {};
  }
}
