/**
 * The plain TypeScript reference of the kernel interface: slow, single-threaded, written to be obviously
 * right. It is the oracle of the kernel tests, and in float64 it is precise enough for finite-difference
 * gradient checks of the whole model.
 */
import type { Kernels } from "./types.js";
import { checkIds } from "./checks.js";

export type ReferencePrecision = "f32" | "f64";

export function referenceKernels(precision: ReferencePrecision = "f32"): Kernels {
  const F = precision === "f64" ? Float64Array : Float32Array;
  return {
    name: `reference-${precision}`,
    alloc: (n) => new F(n),

    gemm(transA, transB, m, n, k, alpha, a, b, beta, c) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) {
            const av = transA ? a[p * m + i] : a[i * k + p];
            const bv = transB ? b[j * k + p] : b[p * n + j];
            s += av * bv;
          }
          c[i * n + j] = beta === 0 ? alpha * s : alpha * s + beta * c[i * n + j];
        }
      }
    },

    addBias(y, bias, rows, cols, scale) {
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[r * cols + c] += scale * bias[c];
    },

    sumRows(out, x, rows, cols, scale, accumulate) {
      for (let c = 0; c < cols; c++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += x[r * cols + c];
        out[c] = (accumulate ? out[c] : 0) + scale * s;
      }
    },

    scale(x, n, s) {
      for (let i = 0; i < n; i++) x[i] *= s;
    },

    axpy(y, x, n, a) {
      for (let i = 0; i < n; i++) y[i] += a * x[i];
    },

    dot(a, b, n) {
      let s = 0;
      for (let i = 0; i < n; i++) s += a[i] * b[i];
      return s;
    },

    sumSquares(x, n) {
      let s = 0;
      for (let i = 0; i < n; i++) s += x[i] * x[i];
      return s;
    },

    maxAbs(x, n) {
      let m = 0;
      for (let i = 0; i < n; i++) {
        const v = Math.abs(x[i]);
        if (Number.isNaN(v)) return NaN;
        if (v > m) m = v;
      }
      return m;
    },

    rmsNorm(out, rstd, x, gain, rows, dim, eps, scale) {
      for (let r = 0; r < rows; r++) {
        const o = r * dim;
        let ss = 0;
        for (let j = 0; j < dim; j++) ss += x[o + j] * x[o + j];
        const rs = 1 / Math.sqrt(ss / dim + eps);
        rstd[r] = rs;
        for (let j = 0; j < dim; j++) out[o + j] = scale * (x[o + j] * rs) * gain[j];
      }
    },

    rmsNormBackward(dx, dgain, dout, x, gain, rstd, rows, dim, scale, accumulateDx) {
      // out_j = scale·g_j·x_j·rs; ∂L/∂x_i = scale·rs·(g_i·dout_i − x_i·rs²·(Σ_j dout_j·g_j·x_j)/dim)
      let dscale = 0;
      for (let r = 0; r < rows; r++) {
        const o = r * dim;
        const rs = rstd[r];
        let dotGx = 0;
        for (let j = 0; j < dim; j++) dotGx += dout[o + j] * gain[j] * x[o + j];
        dscale += dotGx * rs;
        const c = (dotGx * rs * rs) / dim;
        for (let j = 0; j < dim; j++) {
          const g = scale * rs * (dout[o + j] * gain[j] - x[o + j] * c);
          dx[o + j] = accumulateDx ? dx[o + j] + g : g;
          dgain[j] += scale * dout[o + j] * x[o + j] * rs;
        }
      }
      return dscale;
    },

    headLayerNorm(out, mean, rstd, x, gain, rows, heads, headDim, eps) {
      for (let r = 0; r < rows; r++) {
        for (let h = 0; h < heads; h++) {
          const o = (r * heads + h) * headDim;
          let mu = 0;
          for (let j = 0; j < headDim; j++) mu += x[o + j];
          mu /= headDim;
          let v = 0;
          for (let j = 0; j < headDim; j++) v += (x[o + j] - mu) * (x[o + j] - mu);
          const rs = 1 / Math.sqrt(v / headDim + eps);
          mean[r * heads + h] = mu;
          rstd[r * heads + h] = rs;
          for (let j = 0; j < headDim; j++) out[o + j] = (x[o + j] - mu) * rs * gain[h * headDim + j];
        }
      }
    },

    headLayerNormBackward(dx, dgain, dout, x, gain, mean, rstd, rows, heads, headDim) {
      // xhat = (x−μ)·rs; dxhat = dout⊙g; dx = rs·(dxhat − mean(dxhat) − xhat·mean(dxhat⊙xhat))
      for (let r = 0; r < rows; r++) {
        for (let h = 0; h < heads; h++) {
          const o = (r * heads + h) * headDim;
          const mu = mean[r * heads + h];
          const rs = rstd[r * heads + h];
          let sumD = 0;
          let sumDX = 0;
          for (let j = 0; j < headDim; j++) {
            const xhat = (x[o + j] - mu) * rs;
            const d = dout[o + j] * gain[h * headDim + j];
            sumD += d;
            sumDX += d * xhat;
            dgain[h * headDim + j] += dout[o + j] * xhat;
          }
          for (let j = 0; j < headDim; j++) {
            const xhat = (x[o + j] - mu) * rs;
            const d = dout[o + j] * gain[h * headDim + j];
            dx[o + j] = rs * (d - sumD / headDim - (xhat * sumDX) / headDim);
          }
        }
      }
    },

    rope(x, cos, sin, positions, rows, heads, headDim, inverse) {
      const half = headDim >> 1;
      const sign = inverse ? -1 : 1;
      for (let r = 0; r < rows; r++) {
        const t = positions[r] * half;
        for (let h = 0; h < heads; h++) {
          const o = (r * heads + h) * headDim;
          for (let i = 0; i < half; i++) {
            const c = cos[t + i];
            const s = sign * sin[t + i];
            const x1 = x[o + i];
            const x2 = x[o + i + half];
            x[o + i] = x1 * c - x2 * s;
            x[o + i + half] = x2 * c + x1 * s;
          }
        }
      }
    },

    attention(out, lse, q, k, v, batch, seqQ, seqKV, heads, kvHeads, headDim, scale, segStart, kvBatchStride) {
      const qw = heads * headDim;
      const kw = kvHeads * headDim;
      const p = new F(seqKV);
      for (let b = 0; b < batch; b++) {
        for (let h = 0; h < heads; h++) {
          const kh = Math.floor((h * kvHeads) / heads);
          for (let i = 0; i < seqQ; i++) {
            const row = b * seqQ + i;
            const last = seqKV - seqQ + i;
            const first = segStart ? segStart[row] : 0;
            const qo = row * qw + h * headDim;
            let mx = -Infinity;
            for (let j = first; j <= last; j++) {
              const ko = b * kvBatchStride + j * kw + kh * headDim;
              let s = 0;
              for (let d = 0; d < headDim; d++) s += q[qo + d] * k[ko + d];
              p[j] = s * scale;
              if (p[j] > mx) mx = p[j];
            }
            let sum = 0;
            for (let j = first; j <= last; j++) {
              p[j] = Math.exp(p[j] - mx);
              sum += p[j];
            }
            lse[(b * heads + h) * seqQ + i] = mx + Math.log(sum);
            for (let d = 0; d < headDim; d++) out[qo + d] = 0;
            for (let j = first; j <= last; j++) {
              const w = p[j] / sum;
              const vo = b * kvBatchStride + j * kw + kh * headDim;
              for (let d = 0; d < headDim; d++) out[qo + d] += w * v[vo + d];
            }
          }
        }
      }
    },

    attentionBackward(dq, dk, dv, dout, out, lse, q, k, v, batch, seq, heads, kvHeads, headDim, scale, segStart) {
      // With P = softmax(S), S = scale·q·kᵀ: dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dO ⊙ O)),
      // dQ = scale·dS·K, dK = scale·dSᵀ·Q.
      const qw = heads * headDim;
      const kw = kvHeads * headDim;
      dq.fill(0, 0, batch * seq * qw);
      dk.fill(0, 0, batch * seq * kw);
      dv.fill(0, 0, batch * seq * kw);
      for (let b = 0; b < batch; b++) {
        for (let h = 0; h < heads; h++) {
          const kh = Math.floor((h * kvHeads) / heads);
          for (let i = 0; i < seq; i++) {
            const row = b * seq + i;
            const first = segStart ? segStart[row] : 0;
            const qo = row * qw + h * headDim;
            const l = lse[(b * heads + h) * seq + i];
            let dsum = 0;
            for (let d = 0; d < headDim; d++) dsum += dout[qo + d] * out[qo + d];
            for (let j = first; j <= i; j++) {
              const ko = (b * seq + j) * kw + kh * headDim;
              let s = 0;
              for (let d = 0; d < headDim; d++) s += q[qo + d] * k[ko + d];
              const pij = Math.exp(s * scale - l);
              let dp = 0;
              for (let d = 0; d < headDim; d++) dp += dout[qo + d] * v[ko + d];
              const ds = pij * (dp - dsum) * scale;
              for (let d = 0; d < headDim; d++) {
                dv[ko + d] += pij * dout[qo + d];
                dq[qo + d] += ds * k[ko + d];
                dk[ko + d] += ds * q[qo + d];
              }
            }
          }
        }
      }
    },

    rowStats(rms, variance, x, rows, dim) {
      for (let r = 0; r < rows; r++) {
        let s = 0;
        let ss = 0;
        for (let j = 0; j < dim; j++) {
          s += x[r * dim + j];
          ss += x[r * dim + j] * x[r * dim + j];
        }
        const mean = s / dim;
        let c = 0;
        for (let j = 0; j < dim; j++) c += (x[r * dim + j] - mean) ** 2;
        rms[r] = dim > 0 ? Math.sqrt(ss / dim) : 0;
        variance[r] = dim > 1 ? c / (dim - 1) : 0;
      }
    },

    attentionStats(maxScore, entropy, q, k, lse, batch, seq, heads, kvHeads, headDim, scale, segStart) {
      const qw = heads * headDim;
      const kw = kvHeads * headDim;
      const s = new F(seq);
      for (let b = 0; b < batch; b++) {
        for (let h = 0; h < heads; h++) {
          const kh = Math.floor((h * kvHeads) / heads);
          for (let i = 0; i < seq; i++) {
            const row = b * seq + i;
            const first = segStart ? segStart[row] : 0;
            const qo = row * qw + h * headDim;
            const o = (b * heads + h) * seq + i;
            let mx = -Infinity;
            for (let j = first; j <= i; j++) {
              const ko = (b * seq + j) * kw + kh * headDim;
              let dot = 0;
              for (let d = 0; d < headDim; d++) dot += q[qo + d] * k[ko + d];
              s[j] = dot * scale;
              if (s[j] > mx) mx = s[j];
            }
            // exact softmax entropy: H = log Z − Σ p·s with Z = Σ e^{s}, shifted by lse (any shift works)
            const shift = lse[o];
            let s0 = 0;
            let s1 = 0;
            for (let j = first; j <= i; j++) {
              const e = Math.exp(s[j] - shift);
              s0 += e;
              s1 += e * s[j];
            }
            maxScore[o] = mx;
            entropy[o] = shift + Math.log(s0) - s1 / s0;
          }
        }
      }
    },

    swiglu(out, gate, up, n) {
      for (let i = 0; i < n; i++) out[i] = (gate[i] / (1 + Math.exp(-gate[i]))) * up[i];
    },

    swigluBackward(dgate, dup, dout, gate, up, n) {
      for (let i = 0; i < n; i++) {
        const sig = 1 / (1 + Math.exp(-gate[i]));
        const silu = gate[i] * sig;
        dup[i] = dout[i] * silu;
        dgate[i] = dout[i] * up[i] * sig * (1 + gate[i] * (1 - sig));
      }
    },

    embedding(out, table, ids, rows, dim, scale) {
      checkIds(ids, rows, table.length / dim);
      for (let r = 0; r < rows; r++) {
        const t = ids[r] * dim;
        for (let j = 0; j < dim; j++) out[r * dim + j] = scale * table[t + j];
      }
    },

    embeddingBackward(dtable, dout, ids, rows, dim, scale) {
      checkIds(ids, rows, dtable.length / dim);
      for (let r = 0; r < rows; r++) {
        const t = ids[r] * dim;
        for (let j = 0; j < dim; j++) dtable[t + j] += scale * dout[r * dim + j];
      }
    },

    crossEntropy(logits, targets, rows, vocab, zLoss, gradScale, nll, lse) {
      let total = 0;
      for (let r = 0; r < rows; r++) {
        const o = r * vocab;
        const y = targets[r];
        if (y < 0) {
          nll[r] = 0;
          lse[r] = 0;
          if (gradScale !== 0) for (let j = 0; j < vocab; j++) logits[o + j] = 0;
          continue;
        }
        if (y >= vocab) throw new RangeError(`crossEntropy: target ${y} at row ${r} is outside [0, ${vocab})`);
        let mx = -Infinity;
        for (let j = 0; j < vocab; j++) if (logits[o + j] > mx) mx = logits[o + j];
        let sum = 0;
        for (let j = 0; j < vocab; j++) sum += Math.exp(logits[o + j] - mx);
        const l = mx + Math.log(sum);
        lse[r] = l;
        nll[r] = l - logits[o + y];
        total += nll[r] + zLoss * l * l;
        if (gradScale !== 0) {
          const f = 1 + 2 * zLoss * l;
          for (let j = 0; j < vocab; j++) logits[o + j] = gradScale * Math.exp(logits[o + j] - l) * f;
          logits[o + y] -= gradScale;
        }
      }
      return total;
    },

    adamw(param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay, step) {
      const bc1 = 1 - Math.pow(beta1, step);
      const bc2 = 1 - Math.pow(beta2, step);
      const stepSize = lr / bc1;
      const bc2Sqrt = Math.sqrt(bc2);
      for (let i = 0; i < n; i++) {
        param[i] *= 1 - lr * weightDecay;
        m[i] = beta1 * m[i] + (1 - beta1) * grad[i];
        v[i] = beta2 * v[i] + (1 - beta2) * grad[i] * grad[i];
        param[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / bc2Sqrt + eps);
      }
    },
  };
}
