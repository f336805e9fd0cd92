/* Statistics for the stability monitor, part of ops_impl.h (included after ops_attention.h, whose transpose
 * helpers it uses): per-row RMS and variance of activations, and attention statistics.
 *
 * rowStats: for each row, rms = √(Σ x²/dim) and variance = Σ (x − mean)²/(dim − 1) (two passes, sums in double
 * from float lanes: row_sum, row_dot, row_sumsq_centered of ops_vec.h). Rows are split across threads; each row
 * is computed by one task, so results do not depend on the thread count.
 *
 * attentionStats:
 * For every query of a training-shaped attention (seqQ = seqKV = seq, contiguous K), recomputes the scores
 * s_j = scale·q·k_j over the keys the query sees (its document, up to itself) and writes
 *   maxScore = max_j s_j                     the largest attention logit,
 *   entropy  = −Σ_j p_j log p_j              of the attention probabilities p_j = softmax(s)_j, in nats.
 * The forward pass's log-sum-exp is used as the shift of the exponentials: with w_j = exp(s_j − lse),
 * S0 = Σ w_j and S1 = Σ w_j·s_j, entropy = lse + log S0 − S1/S0, which is exact whatever rounding lse carries
 * (S0 is 1 up to that rounding).
 *
 * One task per (batch, KV head): it transposes that head's K once (Kᵀ rows of `seq` keys, padded), then for
 * every query head of the group and every query computes VL scores at a time as Σ_d q_d·Kᵀ[d, j..j+VL) with
 * four independent accumulators. Each output belongs to one task, so results do not depend on the thread
 * count. Cost: a few milliseconds per layer at the benchmark shape, against the whole step's few hundred. */

typedef struct {
  float *mx, *ent;
  const float *q, *k, *lse;
  const int32_t *seg;
  long batch, seq, heads, kvh, hd, ld;
  float scale;
} att_stats_ctx;

/* scores[0..n) = scale·Σ_d q[d]·kt[d·ld + j0 + j] for j < n (lanes up to the next multiple of VL are computed
 * from the zero padding of kt and ignored). */
static void att_stats_scores(float *scores, const float *q, const float *kt, long ld, long hd, long j0, long n,
                             float scale) {
  const vf sc = SPLAT(scale);
  long j = 0;
  for (; j + 4 * VL <= n; j += 4 * VL) {
    vf a0 = SPLAT(0), a1 = SPLAT(0), a2 = SPLAT(0), a3 = SPLAT(0);
    const float *base = kt + j0 + j;
    for (long d = 0; d < hd; d++) {
      const vf qd = SPLAT(q[d]);
      const float *row = base + d * ld;
      a0 += qd * LD(row);
      a1 += qd * LD(row + VL);
      a2 += qd * LD(row + 2 * VL);
      a3 += qd * LD(row + 3 * VL);
    }
    ST(scores + j, a0 * sc);
    ST(scores + j + VL, a1 * sc);
    ST(scores + j + 2 * VL, a2 * sc);
    ST(scores + j + 3 * VL, a3 * sc);
  }
  for (; j < n; j += VL) {
    vf a0 = SPLAT(0);
    const float *base = kt + j0 + j;
    for (long d = 0; d < hd; d++) a0 += SPLAT(q[d]) * LD(base + d * ld);
    ST(scores + j, a0 * sc);
  }
}

/* Σ exp(s_j − shift) and Σ exp(s_j − shift)·s_j over j < n, float lanes, pieces of ATT_STATS_PIECE added in
 * double. */
#define ATT_STATS_PIECE 2048L
static void att_stats_sums(const float *s, long n, float shift, double *s0, double *s1) {
  const vf sh = SPLAT(shift);
  double t0 = 0, t1 = 0;
  for (long p0 = 0; p0 < n; p0 += ATT_STATS_PIECE) {
    const long p1 = p0 + ATT_STATS_PIECE < n ? p0 + ATT_STATS_PIECE : n;
    vf e0 = SPLAT(0), e1 = SPLAT(0);
    long i = p0;
    for (; i + VL <= p1; i += VL) {
      const vf x = LD(s + i), e = vexp(x - sh);
      e0 += e;
      e1 += e * x;
    }
    if (i < p1) {
      const long m = p1 - i;
      float t[VL] __attribute__((aligned(64)));
      const vf x = LD_TAIL(s + i, m, 0.0f);
      ST(t, vexp(x - sh));
      for (long l = m; l < VL; l++) t[l] = 0.0f; /* lanes past the end must not count */
      const vf e = LD(t);
      e0 += e;
      e1 += e * x;
    }
    t0 += hsum_d(e0);
    t1 += hsum_d(e1);
  }
  *s0 = t0;
  *s1 = t1;
}

static void att_stats_task(void *c, int task, int thread) {
  const att_stats_ctx *a = c;
  const long b = task / a->kvh, kh = task % a->kvh;
  const long hd = a->hd, seq = a->seq, ld = a->ld, qw = a->heads * hd, kw = a->kvh * hd;
  float *kt = tp_scratch(thread, 2, (size_t)(hd * ld) * sizeof(float));
  float *scores = tp_scratch(thread, 3, (size_t)ld * sizeof(float));
  if (!kt || !scores) abort();
  /* Kᵀ of (b, kh): kt[d·ld + j] = k[(b·seq + j)·kw + kh·hd + d]; columns past seq are zero */
  transpose_block(kt, ld, a->k + b * seq * kw + kh * hd, kw, seq, hd);
  for (long d = 0; d < hd; d++)
    for (long j = seq; j < ld; j++) kt[d * ld + j] = 0.0f;
  for (long h = 0; h < a->heads; h++) {
    if (h * a->kvh / a->heads != kh) continue;
    for (long i = 0; i < seq; i++) {
      const long row = b * seq + i;
      const long first = a->seg ? a->seg[row] : 0, n = i - first + 1;
      const long o = (b * a->heads + h) * seq + i;
      att_stats_scores(scores, a->q + row * qw + h * hd, kt, ld, hd, first, n, a->scale);
      const float shift = a->lse[o];
      double s0, s1;
      att_stats_sums(scores, n, shift, &s0, &s1);
      a->mx[o] = row_max(scores, n);
      a->ent[o] = (float)((double)shift + log(s0) - s1 / s0);
    }
  }
}

static void k_attention_stats(float *max_score, float *entropy, const float *q, const float *k, const float *lse,
                              long batch, long seq, long heads, long kv_heads, long head_dim, double scale,
                              const int32_t *seg_start) {
  if (batch <= 0 || seq <= 0 || heads <= 0) return;
  /* padded so that the last block of VL lanes of any query reads inside the buffer */
  att_stats_ctx a = {max_score, entropy, q, k, lse, seg_start, batch, seq, heads, kv_heads, head_dim,
                     rup(seq, VL) + 4 * VL, (float)scale};
  const long work = batch * heads * seq * seq * head_dim;
  par_tasks((int)(batch * kv_heads), work >= 4 * PAR_MIN, att_stats_task, &a);
}

/* ---------------------------------------------------------------- row statistics */
typedef struct {
  float *rms, *var;
  const float *x;
  long dim;
} row_stats_ctx;

static void row_stats_range(void *c, long r0, long r1, int thread) {
  (void)thread;
  const row_stats_ctx *p = c;
  const long d = p->dim;
  for (long r = r0; r < r1; r++) {
    const float *x = p->x + r * d;
    const double mean = row_sum(x, d) / (double)d;
    p->rms[r] = (float)sqrt(row_dot(x, x, d) / (double)d);
    p->var[r] = d > 1 ? (float)(row_sumsq_centered(x, d, (float)mean) / (double)(d - 1)) : 0.0f;
  }
}

static void k_row_stats(float *rms, float *variance, const float *x, long rows, long dim) {
  if (rows <= 0) return;
  if (dim <= 0) {
    for (long r = 0; r < rows; r++) rms[r] = variance[r] = 0.0f;
    return;
  }
  row_stats_ctx p = {rms, variance, x, dim};
  par_for(rows, rows_grain(dim), rows * dim >= PAR_MIN, row_stats_range, &p);
}
