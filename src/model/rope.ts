/**
 * RoPE tables for the Hugging Face "rotate_half" layout (spec §1.4): inv_freq[i] = θ^(−2i/head_dim),
 * angle[p, i] = p · inv_freq[i]. Computed in double precision (Hugging Face computes the angles in float32,
 * which loses about 1e-7·p radians; the difference is far below float32 tolerances at the lengths we test).
 */
import type { Buf } from "../kernels/types.js";

export interface RopeTables {
  theta: number;
  maxPos: number;
  headDim: number;
  /** [maxPos, headDim/2] */
  cos: Buf;
  sin: Buf;
}

export function ropeTables(theta: number, maxPos: number, headDim: number, alloc: (n: number) => Buf): RopeTables {
  const half = headDim / 2;
  const cos = alloc(maxPos * half);
  const sin = alloc(maxPos * half);
  for (let i = 0; i < half; i++) {
    const invFreq = Math.pow(theta, (-2 * i) / headDim);
    for (let p = 0; p < maxPos; p++) {
      const angle = p * invFreq;
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { theta, maxPos, headDim, cos, sin };
}
