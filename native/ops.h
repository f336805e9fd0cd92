/* The kernels other than gemm, as a table of functions per SIMD level.
 *
 * ops_impl.h holds the code once; ops_portable.c, ops_avx2.c and ops_avx512.c compile it with different
 * vector widths and instruction sets, each defining one table. ops_current() picks the table of the level
 * simd_current() names, so setSimdLevel switches these kernels together with gemm.
 *
 * The semantics are those of src/kernels/types.ts. Arguments are checked by the bindings (binding_ops.c)
 * before these run: buffers are large enough, ids and targets are in range, segStart is valid. */
#ifndef PRETRAIN_OPS_H
#define PRETRAIN_OPS_H
#include <stdint.h>

typedef struct {
  void (*add_bias)(float *y, const float *bias, long rows, long cols, double scale);
  void (*sum_rows)(float *out, const float *x, long rows, long cols, double scale, int accumulate);
  void (*scale)(float *x, long n, double s);
  void (*axpy)(float *y, const float *x, long n, double a);
  double (*dot)(const float *a, const float *b, long n);
  double (*sum_squares)(const float *x, long n);
  double (*max_abs)(const float *x, long n);
  void (*rms_norm)(float *out, float *rstd, const float *x, const float *gain, long rows, long dim, double eps,
                   double scale);
  double (*rms_norm_backward)(float *dx, float *dgain, const float *dout, const float *x, const float *gain,
                              const float *rstd, long rows, long dim, double scale, int accumulate_dx);
  void (*head_layer_norm)(float *out, float *mean, float *rstd, const float *x, const float *gain, long rows,
                          long heads, long head_dim, double eps);
  void (*head_layer_norm_backward)(float *dx, float *dgain, const float *dout, const float *x, const float *gain,
                                   const float *mean, const float *rstd, long rows, long heads, long head_dim);
  void (*rope)(float *x, const float *cos, const float *sin, const int32_t *positions, long rows, long heads,
               long head_dim, int inverse);
  void (*attention)(float *out, float *lse, const float *q, const float *k, const float *v, long batch, long seq_q,
                    long seq_kv, long heads, long kv_heads, long head_dim, double scale, const int32_t *seg_start,
                    long kv_batch_stride);
  void (*attention_backward)(float *dq, float *dk, float *dv, const float *dout, const float *out, const float *lse,
                             const float *q, const float *k, const float *v, long batch, long seq, long heads,
                             long kv_heads, long head_dim, double scale, const int32_t *seg_start);
  void (*swiglu)(float *out, const float *gate, const float *up, long n);
  void (*swiglu_backward)(float *dgate, float *dup, const float *dout, const float *gate, const float *up, long n);
  void (*embedding)(float *out, const float *table, const int32_t *ids, long rows, long dim, double scale);
  void (*embedding_backward)(float *dtable, const float *dout, const int32_t *ids, long rows, long dim,
                             double scale);
  double (*cross_entropy)(float *logits, const int32_t *targets, long rows, long vocab, double z_loss,
                          double grad_scale, float *nll, float *lse);
  void (*adamw)(float *param, const float *grad, float *m, float *v, long n, double lr, double beta1, double beta2,
                double eps, double weight_decay, double step);
  void (*attention_stats)(float *max_score, float *entropy, const float *q, const float *k, const float *lse,
                          long batch, long seq, long heads, long kv_heads, long head_dim, double scale,
                          const int32_t *seg_start);
  void (*row_stats)(float *rms, float *variance, const float *x, long rows, long dim);
} ops_table;

extern const ops_table ops_portable;
#if defined(PRETRAIN_X64)
extern const ops_table ops_avx2;
extern const ops_table ops_avx512;
#endif

/* The table of the current SIMD level. */
const ops_table *ops_current(void);
#endif
