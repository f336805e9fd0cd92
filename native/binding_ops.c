/* Bindings of the kernels other than gemm. Each takes the arguments of the interface method of the same name
 * (src/kernels/types.ts), in the same order, checks every buffer against the sizes given (RangeError naming
 * the argument) and every index that would address memory (ids, targets, positions, segStart), then calls the
 * table of the current SIMD level (ops.h). Buffers are used in place. */
#include "binding.h"
#include "ops.h"
#include <stdio.h>

static napi_value range_error(napi_env env, const char *msg) {
  napi_throw_range_error(env, NULL, msg);
  return NULL;
}

/* ---------------------------------------------------------------- linear algebra */
#undef FN
#define FN "addBias"
static napi_value js_add_bias(napi_env env, napi_callback_info info) {
  BIND_ARGS(5);
  ARG_F32(0, y);
  ARG_F32(1, bias);
  ARG_LONG(2, rows);
  ARG_LONG(3, cols);
  ARG_DBL(4, scale);
  NEED(y, (double)rows * cols);
  NEED(bias, cols);
  ops_current()->add_bias(y, bias, rows, cols, scale);
  return make_undefined(env);
}

#undef FN
#define FN "sumRows"
static napi_value js_sum_rows(napi_env env, napi_callback_info info) {
  BIND_ARGS(6);
  ARG_F32(0, out);
  ARG_F32(1, x);
  ARG_LONG(2, rows);
  ARG_LONG(3, cols);
  ARG_DBL(4, scale);
  ARG_BOOL(5, accumulate);
  NEED(out, cols);
  NEED(x, (double)rows * cols);
  ops_current()->sum_rows(out, x, rows, cols, scale, accumulate);
  return make_undefined(env);
}

/* ---------------------------------------------------------------- elementwise and reductions */
#undef FN
#define FN "scale"
static napi_value js_scale(napi_env env, napi_callback_info info) {
  BIND_ARGS(3);
  ARG_F32(0, x);
  ARG_LONG(1, n);
  ARG_DBL(2, s);
  NEED(x, n);
  ops_current()->scale(x, n, s);
  return make_undefined(env);
}

#undef FN
#define FN "axpy"
static napi_value js_axpy(napi_env env, napi_callback_info info) {
  BIND_ARGS(4);
  ARG_F32(0, y);
  ARG_F32(1, x);
  ARG_LONG(2, n);
  ARG_DBL(3, a);
  NEED(y, n);
  NEED(x, n);
  ops_current()->axpy(y, x, n, a);
  return make_undefined(env);
}

#undef FN
#define FN "dot"
static napi_value js_dot(napi_env env, napi_callback_info info) {
  BIND_ARGS(3);
  ARG_F32(0, a);
  ARG_F32(1, b);
  ARG_LONG(2, n);
  NEED(a, n);
  NEED(b, n);
  return make_double(env, ops_current()->dot(a, b, n));
}

#undef FN
#define FN "sumSquares"
static napi_value js_sum_squares(napi_env env, napi_callback_info info) {
  BIND_ARGS(2);
  ARG_F32(0, x);
  ARG_LONG(1, n);
  NEED(x, n);
  return make_double(env, ops_current()->sum_squares(x, n));
}

#undef FN
#define FN "maxAbs"
static napi_value js_max_abs(napi_env env, napi_callback_info info) {
  BIND_ARGS(2);
  ARG_F32(0, x);
  ARG_LONG(1, n);
  NEED(x, n);
  return make_double(env, ops_current()->max_abs(x, n));
}

/* ---------------------------------------------------------------- normalization */
#undef FN
#define FN "rmsNorm"
static napi_value js_rms_norm(napi_env env, napi_callback_info info) {
  BIND_ARGS(8);
  ARG_F32(0, out);
  ARG_F32(1, rstd);
  ARG_F32(2, x);
  ARG_F32(3, gain);
  ARG_LONG(4, rows);
  ARG_LONG(5, dim);
  ARG_DBL(6, eps);
  ARG_DBL(7, scale);
  NEED(out, (double)rows * dim);
  NEED(rstd, rows);
  NEED(x, (double)rows * dim);
  NEED(gain, dim);
  ops_current()->rms_norm(out, rstd, x, gain, rows, dim, eps, scale);
  return make_undefined(env);
}

#undef FN
#define FN "rmsNormBackward"
static napi_value js_rms_norm_backward(napi_env env, napi_callback_info info) {
  BIND_ARGS(10);
  ARG_F32(0, dx);
  ARG_F32(1, dgain);
  ARG_F32(2, dout);
  ARG_F32(3, x);
  ARG_F32(4, gain);
  ARG_F32(5, rstd);
  ARG_LONG(6, rows);
  ARG_LONG(7, dim);
  ARG_DBL(8, scale);
  ARG_BOOL(9, accumulateDx);
  const double n = (double)rows * dim;
  NEED(dx, n);
  NEED(dgain, dim);
  NEED(dout, n);
  NEED(x, n);
  NEED(gain, dim);
  NEED(rstd, rows);
  return make_double(env, ops_current()->rms_norm_backward(dx, dgain, dout, x, gain, rstd, rows, dim, scale,
                                                           accumulateDx));
}

#undef FN
#define FN "headLayerNorm"
static napi_value js_head_layer_norm(napi_env env, napi_callback_info info) {
  BIND_ARGS(9);
  ARG_F32(0, out);
  ARG_F32(1, mean);
  ARG_F32(2, rstd);
  ARG_F32(3, x);
  ARG_F32(4, gain);
  ARG_LONG(5, rows);
  ARG_LONG(6, heads);
  ARG_LONG(7, headDim);
  ARG_DBL(8, eps);
  const double n = (double)rows * heads * headDim;
  NEED(out, n);
  NEED(mean, (double)rows * heads);
  NEED(rstd, (double)rows * heads);
  NEED(x, n);
  NEED(gain, (double)heads * headDim);
  ops_current()->head_layer_norm(out, mean, rstd, x, gain, rows, heads, headDim, eps);
  return make_undefined(env);
}

#undef FN
#define FN "headLayerNormBackward"
static napi_value js_head_layer_norm_backward(napi_env env, napi_callback_info info) {
  BIND_ARGS(10);
  ARG_F32(0, dx);
  ARG_F32(1, dgain);
  ARG_F32(2, dout);
  ARG_F32(3, x);
  ARG_F32(4, gain);
  ARG_F32(5, mean);
  ARG_F32(6, rstd);
  ARG_LONG(7, rows);
  ARG_LONG(8, heads);
  ARG_LONG(9, headDim);
  const double n = (double)rows * heads * headDim;
  NEED(dx, n);
  NEED(dgain, (double)heads * headDim);
  NEED(dout, n);
  NEED(x, n);
  NEED(gain, (double)heads * headDim);
  NEED(mean, (double)rows * heads);
  NEED(rstd, (double)rows * heads);
  ops_current()->head_layer_norm_backward(dx, dgain, dout, x, gain, mean, rstd, rows, heads, headDim);
  return make_undefined(env);
}

/* ---------------------------------------------------------------- rope */
#undef FN
#define FN "rope"
static napi_value js_rope(napi_env env, napi_callback_info info) {
  BIND_ARGS(8);
  ARG_F32(0, x);
  ARG_F32(1, cos);
  ARG_F32(2, sin);
  ARG_I32(3, positions);
  ARG_LONG(4, rows);
  ARG_LONG(5, heads);
  ARG_LONG(6, headDim);
  ARG_BOOL(7, inverse);
  NEED(x, (double)rows * heads * headDim);
  NEED(positions, rows);
  const long half = headDim / 2;
  if (half > 0 && heads > 0) {
    /* the tables hold maxPos rows of headDim/2; every position must address a whole row of both */
    const size_t tl = cos_len < sin_len ? cos_len : sin_len;
    const long max_pos = (long)(tl / (size_t)half);
    for (long r = 0; r < rows; r++) {
      if (positions[r] < 0 || positions[r] >= max_pos) {
        char msg[200];
        snprintf(msg, sizeof msg, "rope: position %d at row %ld is outside the tables [0, %ld)", positions[r], r,
                 max_pos);
        return range_error(env, msg);
      }
    }
  }
  ops_current()->rope(x, cos, sin, positions, rows, heads, headDim, inverse);
  return make_undefined(env);
}

/* ---------------------------------------------------------------- attention */
/* segStart[r] must lie in [0, position of row r]: a query always sees itself, and the kernel reads keys from
 * segStart on. */
static int check_seg_start(napi_env env, const char *fn, const int32_t *seg, long batch, long seq_q, long seq_kv) {
  if (!seg) return 1;
  for (long b = 0; b < batch; b++) {
    for (long i = 0; i < seq_q; i++) {
      const long s = seg[b * seq_q + i], pos = seq_kv - seq_q + i;
      if (s < 0 || s > pos) {
        char msg[240];
        snprintf(msg, sizeof msg,
                 "%s: segStart[%ld] = %ld is outside [0, %ld] (batch %ld, query %ld at position %ld; a query must "
                 "see at least itself)", fn, b * seq_q + i, s, pos, b, i, pos);
        napi_throw_range_error(env, NULL, msg);
        return 0;
      }
    }
  }
  return 1;
}

#undef FN
#define FN "attention"
static napi_value js_attention(napi_env env, napi_callback_info info) {
  BIND_ARGS(14);
  ARG_F32(0, out);
  ARG_F32(1, lse);
  ARG_F32(2, q);
  ARG_F32(3, k);
  ARG_F32(4, v);
  ARG_LONG(5, batch);
  ARG_LONG(6, seqQ);
  ARG_LONG(7, seqKV);
  ARG_LONG(8, heads);
  ARG_LONG(9, kvHeads);
  ARG_LONG(10, headDim);
  ARG_DBL(11, scale);
  ARG_I32_OR_NULL(12, segStart);
  ARG_LONG(13, kvBatchStride);
  if (seqQ > seqKV) return range_error(env, FN ": seqQ must not exceed seqKV");
  if (heads > 0 && kvHeads < 1) return range_error(env, FN ": kvHeads must be at least 1");
  const double qn = (double)batch * seqQ * heads * headDim;
  NEED(out, qn);
  NEED(lse, (double)batch * heads * seqQ);
  NEED(q, qn);
  if (batch > 0 && seqKV > 0) {
    const double kn = (double)(batch - 1) * kvBatchStride + (double)seqKV * kvHeads * headDim;
    NEED(k, kn);
    NEED(v, kn);
  }
  if (segStart) NEED(segStart, (double)batch * seqQ);
  if (!check_seg_start(env, FN, segStart, batch, seqQ, seqKV)) return NULL;
  ops_current()->attention(out, lse, q, k, v, batch, seqQ, seqKV, heads, kvHeads, headDim, scale, segStart,
                           kvBatchStride);
  return make_undefined(env);
}

#undef FN
#define FN "attentionBackward"
static napi_value js_attention_backward(napi_env env, napi_callback_info info) {
  BIND_ARGS(16);
  ARG_F32(0, dq);
  ARG_F32(1, dk);
  ARG_F32(2, dv);
  ARG_F32(3, dout);
  ARG_F32(4, out);
  ARG_F32(5, lse);
  ARG_F32(6, q);
  ARG_F32(7, k);
  ARG_F32(8, v);
  ARG_LONG(9, batch);
  ARG_LONG(10, seq);
  ARG_LONG(11, heads);
  ARG_LONG(12, kvHeads);
  ARG_LONG(13, headDim);
  ARG_DBL(14, scale);
  ARG_I32_OR_NULL(15, segStart);
  if (heads > 0 && kvHeads < 1) return range_error(env, FN ": kvHeads must be at least 1");
  const double qn = (double)batch * seq * heads * headDim, kn = (double)batch * seq * kvHeads * headDim;
  NEED(dq, qn);
  NEED(dk, kn);
  NEED(dv, kn);
  NEED(dout, qn);
  NEED(out, qn);
  NEED(lse, (double)batch * heads * seq);
  NEED(q, qn);
  NEED(k, kn);
  NEED(v, kn);
  if (segStart) NEED(segStart, (double)batch * seq);
  if (!check_seg_start(env, FN, segStart, batch, seq, seq)) return NULL;
  ops_current()->attention_backward(dq, dk, dv, dout, out, lse, q, k, v, batch, seq, heads, kvHeads, headDim, scale,
                                    segStart);
  return make_undefined(env);
}

#undef FN
#define FN "attentionStats"
static napi_value js_attention_stats(napi_env env, napi_callback_info info) {
  BIND_ARGS(12);
  ARG_F32(0, maxScore);
  ARG_F32(1, entropy);
  ARG_F32(2, q);
  ARG_F32(3, k);
  ARG_F32(4, lse);
  ARG_LONG(5, batch);
  ARG_LONG(6, seq);
  ARG_LONG(7, heads);
  ARG_LONG(8, kvHeads);
  ARG_LONG(9, headDim);
  ARG_DBL(10, scale);
  ARG_I32_OR_NULL(11, segStart);
  if (heads > 0 && kvHeads < 1) return range_error(env, FN ": kvHeads must be at least 1");
  const double qn = (double)batch * seq * heads * headDim, kn = (double)batch * seq * kvHeads * headDim;
  const double sn = (double)batch * heads * seq;
  NEED(maxScore, sn);
  NEED(entropy, sn);
  NEED(q, qn);
  NEED(k, kn);
  NEED(lse, sn);
  if (segStart) NEED(segStart, (double)batch * seq);
  if (!check_seg_start(env, FN, segStart, batch, seq, seq)) return NULL;
  ops_current()->attention_stats(maxScore, entropy, q, k, lse, batch, seq, heads, kvHeads, headDim, scale, segStart);
  return make_undefined(env);
}

#undef FN
#define FN "rowStats"
static napi_value js_row_stats(napi_env env, napi_callback_info info) {
  BIND_ARGS(5);
  ARG_F32(0, rms);
  ARG_F32(1, variance);
  ARG_F32(2, x);
  ARG_LONG(3, rows);
  ARG_LONG(4, dim);
  NEED(rms, rows);
  NEED(variance, rows);
  NEED(x, (double)rows * dim);
  ops_current()->row_stats(rms, variance, x, rows, dim);
  return make_undefined(env);
}

/* ---------------------------------------------------------------- MLP */
#undef FN
#define FN "swiglu"
static napi_value js_swiglu(napi_env env, napi_callback_info info) {
  BIND_ARGS(4);
  ARG_F32(0, out);
  ARG_F32(1, gate);
  ARG_F32(2, up);
  ARG_LONG(3, n);
  NEED(out, n);
  NEED(gate, n);
  NEED(up, n);
  ops_current()->swiglu(out, gate, up, n);
  return make_undefined(env);
}

#undef FN
#define FN "swigluBackward"
static napi_value js_swiglu_backward(napi_env env, napi_callback_info info) {
  BIND_ARGS(6);
  ARG_F32(0, dgate);
  ARG_F32(1, dup);
  ARG_F32(2, dout);
  ARG_F32(3, gate);
  ARG_F32(4, up);
  ARG_LONG(5, n);
  NEED(dgate, n);
  NEED(dup, n);
  NEED(dout, n);
  NEED(gate, n);
  NEED(up, n);
  ops_current()->swiglu_backward(dgate, dup, dout, gate, up, n);
  return make_undefined(env);
}

/* ---------------------------------------------------------------- embedding */
/* vocab = table length / dim; every id must name a whole row. */
static int check_ids(napi_env env, const char *fn, const int32_t *ids, long rows, size_t table_len, long dim) {
  const long vocab = dim > 0 ? (long)(table_len / (size_t)dim) : 0x7fffffffL;
  for (long r = 0; r < rows; r++) {
    if (ids[r] < 0 || ids[r] >= vocab) {
      char msg[200];
      snprintf(msg, sizeof msg, "%s: token id %d at position %ld is outside the vocabulary [0, %ld)", fn, ids[r], r,
               vocab);
      napi_throw_range_error(env, NULL, msg);
      return 0;
    }
  }
  return 1;
}

#undef FN
#define FN "embedding"
static napi_value js_embedding(napi_env env, napi_callback_info info) {
  BIND_ARGS(6);
  ARG_F32(0, out);
  ARG_F32(1, table);
  ARG_I32(2, ids);
  ARG_LONG(3, rows);
  ARG_LONG(4, dim);
  ARG_DBL(5, scale);
  NEED(out, (double)rows * dim);
  NEED(ids, rows);
  if (!check_ids(env, FN, ids, rows, table_len, dim)) return NULL;
  ops_current()->embedding(out, table, ids, rows, dim, scale);
  return make_undefined(env);
}

#undef FN
#define FN "embeddingBackward"
static napi_value js_embedding_backward(napi_env env, napi_callback_info info) {
  BIND_ARGS(6);
  ARG_F32(0, dtable);
  ARG_F32(1, dout);
  ARG_I32(2, ids);
  ARG_LONG(3, rows);
  ARG_LONG(4, dim);
  ARG_DBL(5, scale);
  NEED(dout, (double)rows * dim);
  NEED(ids, rows);
  if (!check_ids(env, FN, ids, rows, dtable_len, dim)) return NULL;
  ops_current()->embedding_backward(dtable, dout, ids, rows, dim, scale);
  return make_undefined(env);
}

/* ---------------------------------------------------------------- loss */
#undef FN
#define FN "crossEntropy"
static napi_value js_cross_entropy(napi_env env, napi_callback_info info) {
  BIND_ARGS(8);
  ARG_F32(0, logits);
  ARG_I32(1, targets);
  ARG_LONG(2, rows);
  ARG_LONG(3, vocab);
  ARG_DBL(4, zLoss);
  ARG_DBL(5, gradScale);
  ARG_F32(6, nll);
  ARG_F32(7, lse);
  NEED(logits, (double)rows * vocab);
  NEED(targets, rows);
  NEED(nll, rows);
  NEED(lse, rows);
  /* checked before anything is written, so that a bad target leaves the logits as they were */
  for (long r = 0; r < rows; r++) {
    if (targets[r] >= vocab) {
      char msg[200];
      snprintf(msg, sizeof msg, FN ": target %d at row %ld is outside [0, %ld)", targets[r], r, vocab);
      return range_error(env, msg);
    }
  }
  return make_double(env, ops_current()->cross_entropy(logits, targets, rows, vocab, zLoss, gradScale, nll, lse));
}

/* ---------------------------------------------------------------- optimizer */
#undef FN
#define FN "adamw"
static napi_value js_adamw(napi_env env, napi_callback_info info) {
  BIND_ARGS(11);
  ARG_F32(0, param);
  ARG_F32(1, grad);
  ARG_F32(2, m);
  ARG_F32(3, v);
  ARG_LONG(4, n);
  ARG_DBL(5, lr);
  ARG_DBL(6, beta1);
  ARG_DBL(7, beta2);
  ARG_DBL(8, eps);
  ARG_DBL(9, weightDecay);
  ARG_DBL(10, step);
  NEED(param, n);
  NEED(grad, n);
  NEED(m, n);
  NEED(v, n);
  if (!(step >= 1)) return range_error(env, FN ": step counts from 1");
  ops_current()->adamw(param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay, step);
  return make_undefined(env);
}

void register_ops(napi_env env, napi_value exports) {
  export_fn(env, exports, "addBias", js_add_bias);
  export_fn(env, exports, "sumRows", js_sum_rows);
  export_fn(env, exports, "scale", js_scale);
  export_fn(env, exports, "axpy", js_axpy);
  export_fn(env, exports, "dot", js_dot);
  export_fn(env, exports, "sumSquares", js_sum_squares);
  export_fn(env, exports, "maxAbs", js_max_abs);
  export_fn(env, exports, "rmsNorm", js_rms_norm);
  export_fn(env, exports, "rmsNormBackward", js_rms_norm_backward);
  export_fn(env, exports, "headLayerNorm", js_head_layer_norm);
  export_fn(env, exports, "headLayerNormBackward", js_head_layer_norm_backward);
  export_fn(env, exports, "rope", js_rope);
  export_fn(env, exports, "attention", js_attention);
  export_fn(env, exports, "attentionBackward", js_attention_backward);
  export_fn(env, exports, "attentionStats", js_attention_stats);
  export_fn(env, exports, "rowStats", js_row_stats);
  export_fn(env, exports, "swiglu", js_swiglu);
  export_fn(env, exports, "swigluBackward", js_swiglu_backward);
  export_fn(env, exports, "embedding", js_embedding);
  export_fn(env, exports, "embeddingBackward", js_embedding_backward);
  export_fn(env, exports, "crossEntropy", js_cross_entropy);
  export_fn(env, exports, "adamw", js_adamw);
}
