/**
 * Initialization exactly as spec §2.3: every matrix (embedding included) ~ N(0, σ²) with the raw σ = init_std;
 * WeSaR gates at their μP-derived initial values (1/√m for q, k, v, gate/up; 1/√(2mL) for o, down under the
 * Cerebras rule); norm gains 1; biases 0. Without WeSaR the μP factors multiply σ instead.
 * Each tensor draws from its own stream (forked by name), so a tensor's values do not depend on layout order.
 */
import type { Buf } from "../kernels/types.js";
import type { ModelConfig } from "./config.js";
import { mupInitFactors } from "./config.js";
import type { Layout, TensorSpec } from "./layout.js";
import { Rng } from "../util/rng.js";

export function initialValueStd(config: ModelConfig, t: TensorSpec): number {
  const f = mupInitFactors(config);
  switch (t.kind) {
    case "embedding":
    case "lm_head":
      return config.init_std;
    case "matrix_in":
      return config.init_std * (config.wesar ? 1 : f.fanIn);
    case "matrix_out":
      return config.init_std * (config.wesar ? 1 : f.residualOut);
    default:
      return 0;
  }
}

/** The initial value of a gate, by the suffix of its name. */
export function gateInit(config: ModelConfig, name: string): number {
  const w = config.wesar_init;
  const rules: [string, number][] = [
    ["q_proj_alpha", w.q], ["k_proj_alpha", w.k], ["v_proj_alpha", w.v], ["o_proj_alpha", w.o],
    ["gate_up_proj_alpha", w.gate_up], ["down_proj_alpha", w.down], ["input_layernorm_alpha", w.input_norm],
    ["post_attention_layernorm_alpha", w.post_norm], ["model.norm_alpha", w.final_norm], ["lm_head_alpha", w.lm_head],
  ];
  for (const [suffix, value] of rules) if (name.endsWith(suffix)) return value;
  throw new Error(`internal: no init rule for gate ${name}`);
}

export function initParameters(config: ModelConfig, layout: Layout, arena: Buf, seed: number | string): void {
  const root = new Rng(seed);
  for (const t of layout.tensors) {
    const view = arena.subarray(t.offset, t.offset + t.size);
    switch (t.kind) {
      case "norm":
      case "qk_norm":
        view.fill(1);
        break;
      case "bias":
        view.fill(0);
        break;
      case "gate":
        view.fill(gateInit(config, t.name));
        break;
      default: {
        const std = initialValueStd(config, t);
        const rng = root.fork(t.name);
        for (let i = 0; i < t.size; i++) view[i] = std * rng.normal();
      }
    }
  }
}
