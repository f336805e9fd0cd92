/* The kernels other than gemm, written once and compiled per SIMD level.
 *
 * Included by ops_portable.c, ops_avx2.c and ops_avx512.c, which define
 *   VL         the vector width in floats (4, 8 or 16),
 *   OPS_TABLE  the name of the ops_table to define,
 *   OPS_UKR    the gemm micro-kernel of that level (gemm.h), which attention drives directly,
 *   OPS_MR, OPS_NR  its tile (checked against OPS_UKR at run time).
 * Pieces: ops_vec.h (vector helpers, exp, threading helpers), ops_norms.h, ops_attention.h, ops_stats.h, included
 * below.
 * The code uses GCC/Clang vector extensions (vf = VL floats) so that one source gives SSE/NEON, AVX2 and
 * AVX-512 code; plain elementwise loops are left to the auto-vectorizer. No -ffast-math: NaN and Inf must
 * propagate so that the trainer can detect them, and reductions are written with explicit lanes (the compiler
 * may not reorder a scalar sum without fast-math).
 *
 * Threading: every output element is computed by exactly one task, in a fixed order. Sums that cross tasks
 * (dot, sumSquares, the dgain of the norms, dscale of rmsNormBackward) are formed per fixed-size chunk and the
 * chunk partials are added in chunk order in double; crossEntropy keeps one loss per row and adds them in row
 * order. So results are bit-identical for any thread count. Small inputs run on the calling thread. */
#include "gemm.h"
#include "ops.h"
#include "threads.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE__)
#include <immintrin.h>
#endif

#if !defined(VL) || !defined(OPS_TABLE) || !defined(OPS_UKR) || !defined(OPS_MR) || !defined(OPS_NR)
#error "define VL, OPS_TABLE, OPS_UKR, OPS_MR and OPS_NR before including ops_impl.h"
#endif

#include "ops_vec.h"

/* ---------------------------------------------------------------- linear algebra helpers */
typedef struct {
  float *y;
  const float *x;
  long rows, cols;
  float a;
  double d;
  int flag;
} ew_ctx;

static void add_bias_range(void *c, long r0, long r1, int thread) {
  (void)thread;
  const ew_ctx *e = c;
  const long cols = e->cols;
  const float s = e->a;
  for (long r = r0; r < r1; r++) {
    float *y = e->y + r * cols;
    const float *b = e->x;
    for (long j = 0; j < cols; j++) y[j] += s * b[j];
  }
}

static void k_add_bias(float *y, const float *bias, long rows, long cols, double scale) {
  if (cols <= 0) return;
  ew_ctx e = {y, bias, rows, cols, (float)scale, 0, 0};
  long grain = EW_GRAIN / cols;
  par_for(rows, grain, rows * cols >= PAR_MIN, add_bias_range, &e);
}

/* Column sums in double, rows in order, over a block of columns at a time. */
#define SUMROWS_BLOCK 256
static void sum_rows_range(void *c, long c0, long c1, int thread) {
  (void)thread;
  const ew_ctx *e = c;
  double acc[SUMROWS_BLOCK];
  for (long b0 = c0; b0 < c1; b0 += SUMROWS_BLOCK) {
    const long w = c1 - b0 < SUMROWS_BLOCK ? c1 - b0 : SUMROWS_BLOCK;
    for (long j = 0; j < w; j++) acc[j] = 0;
    for (long r = 0; r < e->rows; r++) {
      const float *x = e->x + r * e->cols + b0;
      for (long j = 0; j < w; j++) acc[j] += (double)x[j];
    }
    float *out = e->y + b0;
    for (long j = 0; j < w; j++) out[j] = (float)((e->flag ? (double)out[j] : 0.0) + e->d * acc[j]);
  }
}

static void k_sum_rows(float *out, const float *x, long rows, long cols, double scale, int accumulate) {
  ew_ctx e = {out, x, rows, cols, 0, scale, accumulate};
  par_for(cols, 64, rows * cols >= PAR_MIN, sum_rows_range, &e);
}

/* ---------------------------------------------------------------- elementwise */
static void scale_range(void *c, long i0, long i1, int thread) {
  (void)thread;
  const ew_ctx *e = c;
  float *x = e->y;
  const float s = e->a;
  for (long i = i0; i < i1; i++) x[i] *= s;
}

static void k_scale(float *x, long n, double s) {
  ew_ctx e = {x, NULL, 0, 0, (float)s, 0, 0};
  par_for(n, EW_GRAIN, n >= PAR_MIN, scale_range, &e);
}

static void axpy_range(void *c, long i0, long i1, int thread) {
  (void)thread;
  const ew_ctx *e = c;
  float *y = e->y;
  const float *x = e->x;
  const float a = e->a;
  for (long i = i0; i < i1; i++) y[i] += a * x[i];
}

static void k_axpy(float *y, const float *x, long n, double a) {
  ew_ctx e = {y, x, 0, 0, (float)a, 0, 0};
  par_for(n, EW_GRAIN, n >= PAR_MIN, axpy_range, &e);
}

/* ---------------------------------------------------------------- reductions */
/* Fixed chunks: the sum of each chunk is formed in double lanes, then the chunk sums are added in order. */
#define RED_CHUNK 16384L

typedef struct {
  const float *a, *b;
  long n;
  double *part;
  int nan_flag; /* max_abs: set when a NaN was seen (each task writes only its own slot of part) */
} red_ctx;

static double chunk_dot(const float *a, const float *b, long n) {
  const int H = VL / 2;
  vdh s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
  long i = 0;
  for (; i + 2 * VL <= n; i += 2 * VL) {
    s0 += LDH_D(a + i) * LDH_D(b + i);
    s1 += LDH_D(a + i + H) * LDH_D(b + i + H);
    s2 += LDH_D(a + i + 2 * H) * LDH_D(b + i + 2 * H);
    s3 += LDH_D(a + i + 3 * H) * LDH_D(b + i + 3 * H);
  }
  for (; i + H <= n; i += H) s0 += LDH_D(a + i) * LDH_D(b + i);
  double s = hsum_dh((s0 + s1) + (s2 + s3));
  for (; i < n; i++) s += (double)a[i] * (double)b[i];
  return s;
}

static double chunk_sumsq(const float *a, long n) {
  const int H = VL / 2;
  vdh s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
  long i = 0;
  for (; i + 2 * VL <= n; i += 2 * VL) {
    const vdh x0 = LDH_D(a + i), x1 = LDH_D(a + i + H), x2 = LDH_D(a + i + 2 * H), x3 = LDH_D(a + i + 3 * H);
    s0 += x0 * x0;
    s1 += x1 * x1;
    s2 += x2 * x2;
    s3 += x3 * x3;
  }
  for (; i + H <= n; i += H) {
    const vdh x0 = LDH_D(a + i);
    s0 += x0 * x0;
  }
  double s = hsum_dh((s0 + s1) + (s2 + s3));
  for (; i < n; i++) s += (double)a[i] * (double)a[i];
  return s;
}

/* max |a[i]|, or NaN when any a[i] is NaN */
static double chunk_maxabs(const float *a, long n) {
  const vu absmask = (vu)SPLAT(0) + 0x7fffffffu;
  vf m = SPLAT(0);
  vi nan = (vi)SPLAT(0);
  long i = 0;
  for (; i + VL <= n; i += VL) {
    const vf x = (vf)((vu)LD(a + i) & absmask);
    nan |= x != x;
    m = v_max(x, m);
  }
  float mx = 0;
  int any_nan = 0;
  for (int l = 0; l < VL; l++) {
    any_nan |= nan[l] != 0;
    if (m[l] > mx) mx = m[l];
  }
  for (; i < n; i++) {
    const float x = fabsf(a[i]);
    if (x != x) any_nan = 1;
    if (x > mx) mx = x;
  }
  return any_nan ? NAN : (double)mx;
}

static void red_task_dot(void *c, int task, int thread) {
  (void)thread;
  red_ctx *r = c;
  const long i0 = (long)task * RED_CHUNK, len = r->n - i0 < RED_CHUNK ? r->n - i0 : RED_CHUNK;
  r->part[task] = chunk_dot(r->a + i0, r->b + i0, len);
}
static void red_task_sumsq(void *c, int task, int thread) {
  (void)thread;
  red_ctx *r = c;
  const long i0 = (long)task * RED_CHUNK, len = r->n - i0 < RED_CHUNK ? r->n - i0 : RED_CHUNK;
  r->part[task] = chunk_sumsq(r->a + i0, len);
}
static void red_task_maxabs(void *c, int task, int thread) {
  (void)thread;
  red_ctx *r = c;
  const long i0 = (long)task * RED_CHUNK, len = r->n - i0 < RED_CHUNK ? r->n - i0 : RED_CHUNK;
  r->part[task] = chunk_maxabs(r->a + i0, len);
}

/* kind 0: dot, 1: sum of squares, 2: max abs */
static double reduce(const float *a, const float *b, long n, int kind) {
  if (n <= 0) return 0.0;
  const long nch = (n + RED_CHUNK - 1) / RED_CHUNK;
  double stack_part[64];
  double *part = nch <= 64 ? stack_part : op_buffer((size_t)nch * sizeof(double));
  red_ctx r = {a, b, n, part, 0};
  tp_fn fn = kind == 0 ? red_task_dot : kind == 1 ? red_task_sumsq : red_task_maxabs;
  par_tasks((int)nch, n >= 2 * PAR_MIN, fn, &r);
  double s = 0;
  if (kind == 2) {
    for (long c = 0; c < nch; c++) {
      if (part[c] != part[c]) return NAN;
      if (part[c] > s) s = part[c];
    }
    return s;
  }
  for (long c = 0; c < nch; c++) s += part[c];
  return s;
}

static double k_dot(const float *a, const float *b, long n) { return reduce(a, b, n, 0); }
static double k_sum_squares(const float *x, long n) { return reduce(x, NULL, n, 1); }
static double k_max_abs(const float *x, long n) { return reduce(x, NULL, n, 2); }

/* ---------------------------------------------------------------- normalization */
#include "ops_norms.h"

/* ---------------------------------------------------------------- rope */
typedef struct {
  float *x;
  const float *cos, *sin;
  const int32_t *pos;
  long heads, head_dim;
  int inverse;
} rope_ctx;

static void rope_range(void *c, long r0, long r1, int thread) {
  (void)thread;
  const rope_ctx *p = c;
  const long hd = p->head_dim, half = hd >> 1;
  for (long r = r0; r < r1; r++) {
    const float *cs = p->cos + (long)p->pos[r] * half, *sn = p->sin + (long)p->pos[r] * half;
    for (long h = 0; h < p->heads; h++) {
      float *x1 = p->x + (r * p->heads + h) * hd, *x2 = x1 + half;
      if (!p->inverse) {
        for (long i = 0; i < half; i++) {
          const float a = x1[i], b = x2[i];
          x1[i] = a * cs[i] - b * sn[i];
          x2[i] = b * cs[i] + a * sn[i];
        }
      } else {
        for (long i = 0; i < half; i++) {
          const float a = x1[i], b = x2[i];
          x1[i] = a * cs[i] + b * sn[i];
          x2[i] = b * cs[i] - a * sn[i];
        }
      }
    }
  }
}

static void k_rope(float *x, const float *cos, const float *sin, const int32_t *positions, long rows, long heads,
                   long head_dim, int inverse) {
  if (head_dim < 2) return;
  rope_ctx p = {x, cos, sin, positions, heads, head_dim, inverse};
  const long width = heads * head_dim;
  par_for(rows, rows_grain(width), rows * width >= PAR_MIN, rope_range, &p);
}

/* ---------------------------------------------------------------- attention */
#include "ops_attention.h"

/* ---------------------------------------------------------------- statistics for the monitor */
#include "ops_stats.h"

/* ---------------------------------------------------------------- MLP */
typedef struct {
  float *o1, *o2;
  const float *a, *b, *c;
} glu_ctx;

static inline vf v_sigmoid(vf g) { return SPLAT(1.0f) / (SPLAT(1.0f) + vexp(-g)); }

static void swiglu_range(void *ctx, long i0, long i1, int thread) {
  (void)thread;
  const glu_ctx *p = ctx;
  long i = i0;
  for (; i + VL <= i1; i += VL) {
    const vf g = LD(p->a + i);
    ST(p->o1 + i, g * v_sigmoid(g) * LD(p->b + i));
  }
  if (i < i1) {
    const long n = i1 - i;
    const vf g = LD_TAIL(p->a + i, n, 0.0f);
    ST_TAIL(p->o1 + i, n, g * v_sigmoid(g) * LD_TAIL(p->b + i, n, 0.0f));
  }
}

static void k_swiglu(float *out, const float *gate, const float *up, long n) {
  glu_ctx p = {out, NULL, gate, up, NULL};
  par_for(n, EW_GRAIN, n >= PAR_MIN, swiglu_range, &p);
}

static inline void swiglu_bwd_vec(vf g, vf u, vf d, vf *dg, vf *du) {
  const vf e = vexp(-g), s = SPLAT(1.0f) / (SPLAT(1.0f) + e);
  /* 1 − σ(g) = e·σ(g) without the cancellation of 1 − σ for large g; for g ≤ 0 (e may be Inf) 1 − σ is exact
   * enough */
  const vf oms = v_sel(g > SPLAT(0.0f), e * s, SPLAT(1.0f) - s);
  *du = d * (g * s);
  *dg = d * u * s * (SPLAT(1.0f) + g * oms);
}

static void swiglu_backward_range(void *ctx, long i0, long i1, int thread) {
  (void)thread;
  const glu_ctx *p = ctx; /* o1 = dgate, o2 = dup, a = dout, b = gate, c = up */
  long i = i0;
  vf dg, du;
  for (; i + VL <= i1; i += VL) {
    swiglu_bwd_vec(LD(p->b + i), LD(p->c + i), LD(p->a + i), &dg, &du);
    ST(p->o1 + i, dg);
    ST(p->o2 + i, du);
  }
  if (i < i1) {
    const long n = i1 - i;
    swiglu_bwd_vec(LD_TAIL(p->b + i, n, 0.0f), LD_TAIL(p->c + i, n, 0.0f), LD_TAIL(p->a + i, n, 0.0f), &dg, &du);
    ST_TAIL(p->o1 + i, n, dg);
    ST_TAIL(p->o2 + i, n, du);
  }
}

static void k_swiglu_backward(float *dgate, float *dup, const float *dout, const float *gate, const float *up,
                              long n) {
  glu_ctx p = {dgate, dup, dout, gate, up};
  par_for(n, EW_GRAIN, n >= PAR_MIN / 2, swiglu_backward_range, &p);
}

/* ---------------------------------------------------------------- embedding */
typedef struct {
  float *dst;
  const float *src;
  const int32_t *ids;
  long rows, dim;
  float scale;
} emb_ctx;

static void embedding_range(void *c, long r0, long r1, int thread) {
  (void)thread;
  const emb_ctx *p = c;
  const long dim = p->dim;
  const float s = p->scale;
  for (long r = r0; r < r1; r++) {
    const float *t = p->src + (long)p->ids[r] * dim;
    float *o = p->dst + r * dim;
    for (long j = 0; j < dim; j++) o[j] = s * t[j];
  }
}

static void k_embedding(float *out, const float *table, const int32_t *ids, long rows, long dim, double scale) {
  emb_ctx p = {out, table, ids, rows, dim, (float)scale};
  par_for(rows, rows_grain(dim), rows * dim >= PAR_MIN, embedding_range, &p);
}

/* Scatter-add split by columns: a task owns columns [j0, j1) of every table row and walks the positions in
 * order, so repeated ids add in the same order whatever the thread count. */
static void embedding_backward_range(void *c, long j0, long j1, int thread) {
  (void)thread;
  const emb_ctx *p = c;
  const long dim = p->dim, w = j1 - j0;
  const float s = p->scale;
  for (long r = 0; r < p->rows; r++) {
    float *t = p->dst + (long)p->ids[r] * dim + j0;
    const float *d = p->src + r * dim + j0;
    for (long j = 0; j < w; j++) t[j] += s * d[j];
  }
}

static void k_embedding_backward(float *dtable, const float *dout, const int32_t *ids, long rows, long dim,
                                 double scale) {
  emb_ctx p = {dtable, dout, ids, rows, dim, (float)scale};
  /* column blocks of 64 floats (a cache line multiple); fewer, wider blocks when the pool is small */
  long grain = 64;
  const long nt = tp_num_threads();
  while (grain < 512 && dim / (grain * 2) >= 4 * nt) grain *= 2;
  par_for(dim, grain, rows * dim >= PAR_MIN, embedding_backward_range, &p);
}

/* ---------------------------------------------------------------- cross-entropy */
typedef struct {
  float *logits, *nll, *lse;
  const int32_t *targets;
  long rows, vocab;
  double z, gs;
  double *loss;
} ce_ctx;

/* Pieces of a row whose float exp-sums are added in double. */
#define CE_PIECE 2048L

static void ce_range(void *c, long r0, long r1, int thread) {
  (void)thread;
  const ce_ctx *p = c;
  const long V = p->vocab;
  for (long r = r0; r < r1; r++) {
    float *x = p->logits + r * V;
    const int32_t y = p->targets[r];
    if (y < 0) {
      p->nll[r] = 0.0f;
      p->lse[r] = 0.0f;
      p->loss[r] = 0.0;
      if (p->gs != 0.0) memset(x, 0, (size_t)V * sizeof(float));
      continue;
    }
    const float mx = row_max(x, V);
    const float xy = x[y];
    const int store = p->gs != 0.0;
    double sum = 0;
    for (long j = 0; j < V; j += CE_PIECE) sum += row_exp_sum(x + j, V - j < CE_PIECE ? V - j : CE_PIECE, mx, store);
    const double l = (double)mx + log(sum);
    p->lse[r] = (float)l;
    p->nll[r] = (float)(l - (double)xy);
    p->loss[r] = (l - (double)xy) + p->z * l * l;
    if (store) {
      /* x holds exp(x − max); the gradient is gs·(1 + 2z·lse)·exp(x − max)/Σ − gs·onehot(y) */
      const float f = (float)(p->gs * (1.0 + 2.0 * p->z * l) / sum);
      for (long j = 0; j < V; j++) x[j] *= f;
      x[y] -= (float)p->gs;
    }
  }
}

static double k_cross_entropy(float *logits, const int32_t *targets, long rows, long vocab, double z_loss,
                              double grad_scale, float *nll, float *lse) {
  if (rows <= 0) return 0.0;
  ce_ctx p = {logits, nll, lse, targets, rows, vocab, z_loss, grad_scale, NULL};
  p.loss = op_buffer((size_t)rows * sizeof(double));
  long grain = 16384 / (vocab > 0 ? vocab : 1);
  if (grain < 1) grain = 1;
  par_for(rows, grain, rows * vocab >= PAR_MIN / 2, ce_range, &p);
  double total = 0;
  for (long r = 0; r < rows; r++) total += p.loss[r];
  return total;
}

/* ---------------------------------------------------------------- AdamW */
typedef struct {
  float *p, *m, *v;
  const float *g;
  float decay, b1, ob1, b2, ob2, step_size, bc2_sqrt, eps;
} adamw_ctx;

static void adamw_range(void *c, long i0, long i1, int thread) {
  (void)thread;
  const adamw_ctx *a = c;
  float *p = a->p, *m = a->m, *v = a->v;
  const float *g = a->g;
  const float decay = a->decay, b1 = a->b1, ob1 = a->ob1, b2 = a->b2, ob2 = a->ob2;
  const float ss = a->step_size, bc2 = a->bc2_sqrt, eps = a->eps;
  for (long i = i0; i < i1; i++) {
    const float gi = g[i];
    const float pi = p[i] * decay;
    const float mi = b1 * m[i] + ob1 * gi;
    const float vi = b2 * v[i] + (ob2 * gi) * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - (ss * mi) / (sqrtf(vi) / bc2 + eps);
  }
}

static void k_adamw(float *param, const float *grad, float *m, float *v, long n, double lr, double beta1,
                    double beta2, double eps, double weight_decay, double step) {
  adamw_ctx a;
  a.p = param; a.m = m; a.v = v; a.g = grad;
  /* coefficients in double, rounded once to float, as PyTorch passes Python floats to float tensors */
  a.decay = (float)(1.0 - lr * weight_decay);
  a.b1 = (float)beta1;
  a.ob1 = (float)(1.0 - beta1);
  a.b2 = (float)beta2;
  a.ob2 = (float)(1.0 - beta2);
  a.step_size = (float)(lr / (1.0 - pow(beta1, step)));
  a.bc2_sqrt = (float)sqrt(1.0 - pow(beta2, step));
  a.eps = (float)eps;
  par_for(n, EW_GRAIN, n >= PAR_MIN / 2, adamw_range, &a);
}

/* ---------------------------------------------------------------- the table */
const ops_table OPS_TABLE = {
    k_add_bias,
    k_sum_rows,
    k_scale,
    k_axpy,
    k_dot,
    k_sum_squares,
    k_max_abs,
    k_rms_norm,
    k_rms_norm_backward,
    k_head_layer_norm,
    k_head_layer_norm_backward,
    k_rope,
    k_attention,
    k_attention_backward,
    k_swiglu,
    k_swiglu_backward,
    k_embedding,
    k_embedding_backward,
    k_cross_entropy,
    k_adamw,
    k_attention_stats,
    k_row_stats,
};
