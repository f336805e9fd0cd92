/* Attention and its backward pass, part of ops_impl.h (included there; uses its vector helpers).
 *
 * The matrix products run on the gemm micro-kernel of the current SIMD level (OPS_UKR, see gemm.h) on operands
 * packed here, not through sgemm_serial: sgemm_serial would repack K and V for every block of queries, and its
 * packing cost more time than its arithmetic at head dims of 32–64. Here K and V are packed once per
 * (batch, KV head) and the probabilities are produced directly in the layout the micro-kernel reads.
 *
 * Micro-kernel recap: ukr(kc, a, b, c, ldc, alpha, beta) computes an mr×nr tile c = alpha·a·b + beta·c, with a
 * packed as kc steps of mr values (an "A sliver") and b as kc steps of nr values (a "B sliver", 64-byte aligned).
 *
 * Forward, per block of W query rows (W a multiple of mr, nr and VL), after K (as A slivers of mr keys) and V
 * (as B slivers of nr head dims) are packed once per (batch, KV head):
 *   Sᵀ = scale·K·Qᵀ   keys as rows, queries as columns (B slivers of the block's Qᵀ);
 *   softmax down each column (the queries are vector lanes), masked per query to [segStart, position]; each
 *                     row of Pᵀ = exp(Sᵀ − max) is copied, while in L1, into A slivers of mr queries;
 *   O = P·V / Σ       per sliver of mr queries over the keys it sees, then each output row divided by its sum.
 * Up to ATT_DIRECT_MAX queries (decoding) a plain loop per query is used instead.
 * Backward, one task per (batch, KV head), which packs Kᵀ, Vᵀ (B slivers of nr keys) and K (B slivers of nr
 * dims) once, then for every query head of the group, block of W queries and sliver of mr queries:
 *   S = scale·Q·Kᵀ and dP = dO·Vᵀ (queries as rows), P = exp(S − lse), dS = scale·P ⊙ (dP − rowsum(dO ⊙ O));
 *   slices of mr keys of each row of P and dS are A slivers of Pᵀ and dSᵀ as they are (a copy);
 *   dQ = dS·K with the sliver's dS transposed into an A sliver;
 * and after the block's slivers: dK += dSᵀ·Q and dV += Pᵀ·dO per sliver of mr keys, over the queries that see
 * it. dK and dV belong to the task, so they are summed in a fixed order whatever the thread count.
 * In both directions, tiles wholly above the causal diagonal (or before a document start) are skipped. */

/* The micro-kernel's tile, known at compile time per level so that the copy loops below unroll. */
#define MR ((long)OPS_MR)
#define NR ((long)OPS_NR)

#define ATT_KC 256L       /* depth of one micro-kernel call over keys: its B sliver stays in L1 */
#define ATT_WMAX 128L     /* the largest query block (see att_block) */
#define ATT_DIRECT_MAX 8L /* up to this many queries (decoding), a plain loop beats padding tiles */

static inline long rup(long x, long m) { return (x + m - 1) / m * m; }
static inline long lmin(long a, long b) { return a < b ? a : b; }
static inline long lmax(long a, long b) { return a > b ? a : b; }

/* Takes n floats from a scratch area, keeping 64-byte alignment. */
static inline float *carve(char **p, long n) {
  float *r = (float *)*p;
  *p += rup(n, 16) * (long)sizeof(float);
  return r;
}

static long gcd_l(long a, long b) {
  while (b) {
    const long t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* Query rows per block: a multiple of mr, nr and VL, about 48 or more (96 for AVX-512's 12×32 tiles). */
static long att_block(void) {
  long l = MR / gcd_l(MR, NR) * NR;
  l = l / gcd_l(l, VL) * VL;
  return l * ((48 + l - 1) / l);
}

/* c (rows × cols ≤ mr × nr, leading dimension ldc) = alpha·a·b + beta·c; partial tiles go through a buffer. */
static inline void ukr_tile(const gemm_ukr *u, long kc, const float *a, const float *b, float *c, long ldc, long rows,
                            long cols, float alpha, float beta) {
  if (rows == MR && cols == NR) {
    u->ukr(kc, a, b, c, ldc, alpha, beta);
    return;
  }
  float tmp[16 * 64] __attribute__((aligned(64)));
  u->ukr(kc, a, b, tmp, NR, alpha, 0.0f);
  for (long r = 0; r < rows; r++) {
    float *cr = c + r * ldc;
    const float *tr = tmp + r * NR;
    if (beta == 0.0f)
      for (long j = 0; j < cols; j++) cr[j] = tr[j];
    else
      for (long j = 0; j < cols; j++) cr[j] = tr[j] + beta * cr[j];
  }
}

/* The same over a depth of k, in pieces of ATT_KC (a and b advance by mr and nr floats per step). */
static inline void ukr_tile_k(const gemm_ukr *u, long k, const float *a, const float *b, float *c, long ldc, long rows,
                              long cols, float alpha, float beta) {
  long p0 = 0;
  do {
    const long kc = lmin(ATT_KC, k - p0);
    ukr_tile(u, kc, a + p0 * MR, b + p0 * NR, c, ldc, rows, cols, alpha, p0 == 0 ? beta : 1.0f);
    p0 += ATT_KC;
  } while (p0 < k);
}

/* ---------------------------------------------------------------- packing */
#if defined(__AVX__)
/* d[c·ldd + r] = s[r·lds + c] for an 8×8 block */
static inline void transpose8x8(float *d, long ldd, const float *s, long lds) {
  const __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + lds), r2 = _mm256_loadu_ps(s + 2 * lds);
  const __m256 r3 = _mm256_loadu_ps(s + 3 * lds), r4 = _mm256_loadu_ps(s + 4 * lds), r5 = _mm256_loadu_ps(s + 5 * lds);
  const __m256 r6 = _mm256_loadu_ps(s + 6 * lds), r7 = _mm256_loadu_ps(s + 7 * lds);
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(d + ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(d + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(d + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(d + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(d + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(d + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(d + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
}
#endif

/* dst[c·ldd + r] = src[r·lds + c] for r < rows, c < cols: 8×8 blocks where AVX is there, 4×4 with SSE, the
 * rest element by element. */
static void transpose_block(float *dst, long ldd, const float *src, long lds, long rows, long cols) {
  long r = 0;
#if defined(__AVX__)
  for (; r + 8 <= rows; r += 8) {
    long c = 0;
    for (; c + 8 <= cols; c += 8) transpose8x8(dst + c * ldd + r, ldd, src + r * lds + c, lds);
    for (; c < cols; c++)
      for (long i = 0; i < 8; i++) dst[c * ldd + r + i] = src[(r + i) * lds + c];
  }
#endif
#if defined(__SSE__)
  for (; r + 4 <= rows; r += 4) {
    long c = 0;
    for (; c + 4 <= cols; c += 4) {
      __m128 x0 = _mm_loadu_ps(src + r * lds + c), x1 = _mm_loadu_ps(src + (r + 1) * lds + c);
      __m128 x2 = _mm_loadu_ps(src + (r + 2) * lds + c), x3 = _mm_loadu_ps(src + (r + 3) * lds + c);
      _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
      _mm_storeu_ps(dst + c * ldd + r, x0);
      _mm_storeu_ps(dst + (c + 1) * ldd + r, x1);
      _mm_storeu_ps(dst + (c + 2) * ldd + r, x2);
      _mm_storeu_ps(dst + (c + 3) * ldd + r, x3);
    }
    for (; c < cols; c++)
      for (long i = 0; i < 4; i++) dst[c * ldd + r + i] = src[(r + i) * lds + c];
  }
#endif
  for (; r < rows; r++)
    for (long c = 0; c < cols; c++) dst[c * ldd + r] = src[r * lds + c];
}

/* Slivers of the transpose of rows [r0, r0 + nsl·w) of a row-major matrix, w values wide, depth = its first
 * `depth` columns: dst[s][p·w + i] = src[(r0 + s·w + i)·ld + p]; rows ≥ nrows are zero. With w = mr these
 * are A slivers, with w = nr B slivers of a transposed operand. */
static void pack_rows_t(float *dst, const float *src, long ld, long r0, long nrows, long nsl, long depth, long w) {
  for (long s = 0; s < nsl; s++) {
    float *d = dst + s * depth * w;
    const long row0 = r0 + s * w, nv = lmax(0, lmin(w, nrows - row0));
    transpose_block(d, w, src + row0 * ld, ld, nv, depth);
    if (nv < w)
      for (long p = 0; p < depth; p++)
        for (long i = nv; i < w; i++) d[p * w + i] = 0.0f;
  }
}
#define pack_a_rows(dst, src, ld, r0, nrows, nsl, depth) pack_rows_t(dst, src, ld, r0, nrows, nsl, depth, MR)
#define pack_b_rows_t(dst, src, ld, r0, nrows, nsl, depth) pack_rows_t(dst, src, ld, r0, nrows, nsl, depth, NR)

/* B slivers of the first `width` columns of rows [0, nrows) of a row-major matrix, sliver d holding columns
 * [d·nr, d·nr + nr): dst[d][row·nr + c] = src[row·ld + d·nr + c], zero past width. */
static void pack_b_cols(float *dst, const float *src, long ld, long nrows, long width) {
  const long nr = NR;
  const long nsl = (width + nr - 1) / nr;
  for (long d = 0; d < nsl; d++) {
    const long w = lmin(nr, width - d * nr);
    float *o = dst + d * nrows * nr;
    for (long row = 0; row < nrows; row++) {
      const float *x = src + row * ld + d * nr;
      float *y = o + row * nr;
      if (w == nr) {
        memcpy(y, x, (size_t)nr * sizeof(float));
      } else {
        long c = 0;
        for (; c < w; c++) y[c] = x[c];
        for (; c < nr; c++) y[c] = 0.0f;
      }
    }
  }
}

typedef float f4u __attribute__((vector_size(16), aligned(4), may_alias));

/* y[0..mr) = x[0..mr) in 4-wide pieces (the last one overlapping when 4 ∤ mr) */
static inline void copy_mr(float *y, const float *x) {
#if OPS_MR >= 4
#pragma GCC unroll 8
  for (long r = 0; r + 4 <= MR; r += 4) *(f4u *)(y + r) = *(const f4u *)(x + r);
  if (MR % 4) *(f4u *)(y + MR - 4) = *(const f4u *)(x + MR - 4);
#else
  for (long r = 0; r < MR; r++) y[r] = x[r];
#endif
}

typedef struct {
  const gemm_ukr *u;
  float *out, *lse, *dq, *dk, *dv;
  const float *q, *k, *v, *dout, *o, *lse_in;
  const int32_t *seg;
  long batch, sq, skv, heads, kvh, hd, kvbs, W, nqb;
  float scale;
  float *kpack, *vpack; /* forward: per (batch, KV head) */
  long kpack_stride, vpack_stride;
} att_ctx;

/* ---------------------------------------------------------------- forward, decoding (few queries) */
static void att_direct_task(void *c, int task, int thread) {
  const att_ctx *a = c;
  const long b = task / a->heads, h = task % a->heads, kh = h * a->kvh / a->heads;
  const long hd = a->hd, qw = a->heads * hd, kw = a->kvh * hd, off = a->skv - a->sq;
  float *s = tp_scratch(thread, 2, (size_t)(rup(a->skv, 16) + rup(hd, 16)) * sizeof(float));
  if (!s) abort();
  float *acc = s + rup(a->skv, 16);
  const float *kb = a->k + b * a->kvbs + kh * hd, *vb = a->v + b * a->kvbs + kh * hd;
  for (long i = 0; i < a->sq; i++) {
    const float *q = a->q + (b * a->sq + i) * qw + h * hd;
    const long first = a->seg ? a->seg[b * a->sq + i] : 0, last = off + i, n = last - first + 1;
    for (long j = first; j <= last; j++) s[j - first] = a->scale * (float)row_dot(q, kb + j * kw, hd);
    const float mx = row_max(s, n);
    const double sum = row_exp_sum(s, n, mx, 1);
    a->lse[(b * a->heads + h) * a->sq + i] = (float)((double)mx + log(sum));
    for (long d = 0; d < hd; d++) acc[d] = 0.0f;
    for (long j = 0; j < n; j++) {
      const float p = s[j];
      const float *vr = vb + (first + j) * kw;
      for (long d = 0; d < hd; d++) acc[d] += p * vr[d];
    }
    float *o = a->out + (b * a->sq + i) * qw + h * hd;
    const float inv = (float)(1.0 / sum);
    for (long d = 0; d < hd; d++) o[d] = acc[d] * inv;
  }
}

/* ---------------------------------------------------------------- forward, blocks of queries */
/* K of (batch, KV head) as A slivers of mr keys (depth headDim), V as B slivers of nr head dims (depth keys). */
static void att_pack_kv_task(void *c, int task, int thread) {
  (void)thread;
  const att_ctx *a = c;
  const long mr = MR;
  const long b = task / a->kvh, kh = task % a->kvh, kw = a->kvh * a->hd;
  const float *kb = a->k + b * a->kvbs + kh * a->hd, *vb = a->v + b * a->kvbs + kh * a->hd;
  pack_a_rows(a->kpack + task * a->kpack_stride, kb, kw, 0, a->skv, (a->skv + mr - 1) / mr, a->hd);
  pack_b_cols(a->vpack + task * a->vpack_stride, vb, kw, a->skv, a->hd);
}

static void att_block_task(void *c, int task, int thread) {
  const att_ctx *a = c;
  const gemm_ukr *u = a->u;
  const long mr = MR, nr = NR, W = a->W;
  /* the largest (last) query blocks first: it balances the causal triangle across threads */
  const long bh_n = a->batch * a->heads;
  const long qb = a->nqb - 1 - task / bh_n, bh = task % bh_n;
  const long b = bh / a->heads, h = bh % a->heads, kh = h * a->kvh / a->heads;
  const long hd = a->hd, qw = a->heads * hd, off = a->skv - a->sq;
  const long i0 = qb * W, mb = lmin(W, a->sq - i0);

  /* the keys query lane i sees: [lo[i], hi[i]]; lanes past the block see none */
  int32_t lo[ATT_WMAX] __attribute__((aligned(64))), hi[ATT_WMAX] __attribute__((aligned(64)));
  long jlo = off + i0;
  for (long i = 0; i < W; i++) {
    if (i < mb) {
      lo[i] = a->seg ? a->seg[b * a->sq + i0 + i] : 0;
      hi[i] = (int32_t)(off + i0 + i);
      if (lo[i] < jlo) jlo = lo[i];
    } else {
      lo[i] = INT32_MAX;
      hi[i] = -1;
    }
  }
  const long jhi = off + i0 + mb - 1;
  const long jb = jlo / mr * mr, nk = jhi - jb + 1, nkp = rup(nk, mr);
  const long ntq = (mb + nr - 1) / nr; /* query slivers of nr */
  const long mbr = rup(mb, mr);        /* query rows in whole mr slivers */

  char *sp = tp_scratch(thread, 2, (size_t)(rup(W * hd, 16) + rup(nkp * W, 16) + rup(nk * W, 16) + 64) * sizeof(float));
  if (!sp) abort();
  float *qt = carve(&sp, W * hd);  /* ntq B slivers of Qᵀ (depth hd) */
  float *st = carve(&sp, nkp * W); /* Sᵀ: [key][query lane] */
  float *as = carve(&sp, nk * W);  /* P as A slivers of mr queries: [sliver][key][mr] */

  const float *q0 = a->q + (b * a->sq + i0) * qw + h * hd;
  pack_b_rows_t(qt, q0, qw, 0, mb, ntq, hd);

  /* Sᵀ = scale·K·Qᵀ over the key slivers each query sliver can see */
  const float *kp = a->kpack + (b * a->kvh + kh) * a->kpack_stride;
  for (long t = 0; t < ntq; t++) {
    long tlo = INT32_MAX, thi = -1;
    for (long i = t * nr; i < lmin(t * nr + nr, mb); i++) {
      tlo = lmin(tlo, lo[i]);
      thi = lmax(thi, hi[i]);
    }
    for (long s = (tlo - jb) / mr; s <= (thi - jb) / mr; s++)
      u->ukr(hd, kp + (jb / mr + s) * hd * mr, qt + t * hd * nr, st + s * mr * W + t * nr, W, a->scale, 0.0f);
  }

  /* Softmax down each column of Sᵀ (the queries are the lanes). Per group of VL lanes: the keys some lane sees
   * [any_lo, any_hi] and the keys every lane sees [all_lo, all_hi] (masks are needed only outside the latter). */
  enum { GMAX = ATT_WMAX / VL };
  const long ng = (mbr + VL - 1) / VL, nus = mbr / mr;
  long all_lo[GMAX], all_hi[GMAX], any_lo[GMAX], any_hi[GMAX];
  vi vlo[GMAX], vhi[GMAX];
  vf mx[GMAX], sm[GMAX];
  const vf ninf = SPLAT(-INFINITY), zero = SPLAT(0.0f);
  for (long g = 0; g < ng; g++) {
    all_lo[g] = any_hi[g] = -1;
    all_hi[g] = any_lo[g] = INT32_MAX;
    for (long l = 0; l < VL; l++) {
      const long i = g * VL + l;
      all_lo[g] = lmax(all_lo[g], lo[i]);
      all_hi[g] = lmin(all_hi[g], hi[i]);
      any_lo[g] = lmin(any_lo[g], lo[i]);
      any_hi[g] = lmax(any_hi[g], hi[i]);
    }
    memcpy(&vlo[g], lo + g * VL, sizeof(vi));
    memcpy(&vhi[g], hi + g * VL, sizeof(vi));
    /* the maximum, one column of vectors at a time: masked rows, rows every lane sees, masked rows */
    const long a0 = any_lo[g] - jb, a1 = lmin(any_hi[g] - jb, nk - 1);
    const long f0 = lmax(all_lo[g] - jb, a0), f1 = all_lo[g] <= all_hi[g] ? lmin(all_hi[g] - jb, a1) : f0 - 1;
    const float *col = st + g * VL;
    vf m = ninf;
    for (long j = a0; j <= a1; j++) {
      if (j == f0) {
        /* four chains: one vmaxps chain down a column would wait on its latency */
        vf m1 = ninf, m2 = ninf, m3 = ninf;
        for (; j + 3 <= f1; j += 4) {
          m = v_max(LD(col + j * W), m);
          m1 = v_max(LD(col + (j + 1) * W), m1);
          m2 = v_max(LD(col + (j + 2) * W), m2);
          m3 = v_max(LD(col + (j + 3) * W), m3);
        }
        for (; j <= f1; j++) m = v_max(LD(col + j * W), m);
        m = v_max(v_max(m, m1), v_max(m2, m3));
        if (j > a1) break;
      }
      const vi vk = (vi)SPLAT(0) + (int32_t)(jb + j);
      m = v_max(v_sel((vk >= vlo[g]) & (vk <= vhi[g]), LD(col + j * W), ninf), m);
    }
    mx[g] = m;
    sm[g] = zero;
  }
  /* the sliver of mr queries us needs key rows [ur0[us], ur1[us]] of P */
  long ur0[ATT_WMAX / 4], ur1[ATT_WMAX / 4];
  for (long us = 0; us < nus; us++) {
    long ulo = INT32_MAX, uhi = -1;
    for (long i = us * mr; i < lmin(us * mr + mr, mb); i++) {
      ulo = lmin(ulo, lo[i]);
      uhi = lmax(uhi, hi[i]);
    }
    ur0[us] = ulo - jb;
    ur1[us] = uhi - jb;
  }
  /* exp and sums row by row; each row of Pᵀ goes straight into the A slivers (mr queries each) of O = P·V,
   * unnormalized: the outputs are divided by the sums afterwards (hd values a row instead of nk). */
  float trow[ATT_WMAX] __attribute__((aligned(64)));
  for (long j = 0; j < nk; j++) {
    const long key = jb + j;
    const float *row = st + j * W;
    const vi vk = (vi)SPLAT(0) + (int32_t)key;
    for (long g = 0; g < ng; g++) {
      if (key < any_lo[g] || key > any_hi[g]) {
        ST(trow + g * VL, zero);
        continue;
      }
      vf e = vexp(LD(row + g * VL) - mx[g]);
      if (key < all_lo[g] || key > all_hi[g]) e = v_sel((vk >= vlo[g]) & (vk <= vhi[g]), e, zero);
      ST(trow + g * VL, e);
      sm[g] += e;
    }
    for (long us = 0; us < nus; us++)
      if (j >= ur0[us] && j <= ur1[us]) copy_mr(as + us * nk * mr + (j - ur0[us]) * mr, trow + us * mr);
  }
  float inv[ATT_WMAX];
  for (long i = 0; i < mb; i++) {
    const float m = mx[i / VL][i % VL], sum = sm[i / VL][i % VL];
    a->lse[(b * a->heads + h) * a->sq + i0 + i] = (float)((double)m + log((double)sum));
    inv[i] = (float)(1.0 / (double)sum);
  }

  /* O = P·V, one sliver of mr queries at a time over the keys it sees, then O /= Σ */
  const float *vp = a->vpack + (b * a->kvh + kh) * a->vpack_stride;
  const long ndsl = (hd + nr - 1) / nr;
  for (long us = 0; us < nus; us++) {
    const long kc = ur1[us] - ur0[us] + 1, rows = lmin(mr, mb - us * mr);
    float *o = a->out + (b * a->sq + i0 + us * mr) * qw + h * hd;
    for (long d = 0; d < ndsl; d++)
      ukr_tile_k(u, kc, as + us * nk * mr, vp + d * a->skv * nr + (jb + ur0[us]) * nr, o + d * nr, qw, rows,
                 lmin(nr, hd - d * nr), 1.0f, 0.0f);
    for (long r = 0; r < rows; r++) {
      float *orow = o + r * qw;
      const float f = inv[us * mr + r];
      for (long d = 0; d < hd; d++) orow[d] *= f;
    }
  }
}

static void k_attention(float *out, float *lse, const float *q, const float *k, const float *v, long batch,
                        long seq_q, long seq_kv, long heads, long kv_heads, long head_dim, double scale,
                        const int32_t *seg_start, long kv_batch_stride) {
  if (batch <= 0 || seq_q <= 0 || heads <= 0) return;
  if (head_dim <= 0) {
    /* empty rows: the scores are all 0, so lse = log(number of keys seen) */
    for (long b = 0; b < batch; b++)
      for (long h = 0; h < heads; h++)
        for (long i = 0; i < seq_q; i++) {
          const long first = seg_start ? seg_start[b * seq_q + i] : 0, last = seq_kv - seq_q + i;
          lse[(b * heads + h) * seq_q + i] = (float)log((double)(last - first + 1));
        }
    return;
  }
  if (OPS_UKR.mr != MR || OPS_UKR.nr != NR) abort(); /* OPS_MR/OPS_NR disagree with the micro-kernel */
  att_ctx a = {0};
  a.u = &OPS_UKR;
  a.out = out; a.lse = lse; a.q = q; a.k = k; a.v = v; a.seg = seg_start;
  a.batch = batch; a.sq = seq_q; a.skv = seq_kv; a.heads = heads; a.kvh = kv_heads; a.hd = head_dim;
  a.kvbs = kv_batch_stride; a.scale = (float)scale;
  const double work = (double)batch * heads * seq_q * (double)seq_kv * head_dim;
  const int parallel = work >= 1e6; /* about 2 MFLOP: tens of microseconds */
  if (seq_q <= ATT_DIRECT_MAX) {
    par_tasks((int)(batch * heads), parallel, att_direct_task, &a);
    return;
  }
  const long mr = MR, nr = NR;
  a.W = att_block();
  a.nqb = (seq_q + a.W - 1) / a.W;
  a.kpack_stride = rup(rup(seq_kv, mr) * head_dim, 16);
  a.vpack_stride = rup((head_dim + nr - 1) / nr * seq_kv * nr, 16);
  float *buf = op_buffer((size_t)(batch * kv_heads * (a.kpack_stride + a.vpack_stride)) * sizeof(float));
  a.kpack = buf;
  a.vpack = buf + batch * kv_heads * a.kpack_stride;
  par_tasks((int)(batch * kv_heads), parallel, att_pack_kv_task, &a);
  par_tasks((int)(batch * heads * a.nqb), parallel, att_block_task, &a);
}

/* ---------------------------------------------------------------- backward */
static void att_bwd_task(void *c, int task, int thread) {
  const att_ctx *a = c;
  const gemm_ukr *u = a->u;
  const long mr = MR, nr = NR, W = a->W;
  const long b = task / a->kvh, kh = task % a->kvh;
  const long hd = a->hd, S = a->sq, qw = a->heads * hd, kw = a->kvh * hd;
  const long ndsl = (hd + nr - 1) / nr, nks = (S + nr - 1) / nr;
  const long ldmax = rup(S, 16) + rup(lmax(mr, nr), 16) + 16;

  for (long j = 0; j < S; j++) {
    memset(a->dk + (b * S + j) * kw + kh * hd, 0, (size_t)hd * sizeof(float));
    memset(a->dv + (b * S + j) * kw + kh * hd, 0, (size_t)hd * sizeof(float));
  }
  const size_t need = (size_t)(2 * rup(nks * nr * hd, 16) + rup(ndsl * S * nr, 16) + 2 * rup(W * hd, 16) +
                               2 * rup(ndsl * W * nr, 16) + 2 * rup(mr * ldmax, 16) + 2 * rup(W * ldmax, 16) +
                               rup(ldmax * mr, 16) + 64) * sizeof(float);
  char *sp = tp_scratch(thread, 2, need);
  if (!sp) abort();
  float *kt = carve(&sp, nks * nr * hd);  /* Kᵀ as B slivers of nr keys (depth hd): for S = Q·Kᵀ */
  float *vt = carve(&sp, nks * nr * hd);  /* Vᵀ likewise: for dP = dO·Vᵀ */
  float *kb = carve(&sp, ndsl * S * nr);  /* K as B slivers of nr dims (depth keys): for dQ = dS·K */
  float *qa = carve(&sp, W * hd);         /* Q block as A slivers */
  float *da = carve(&sp, W * hd);         /* dO block as A slivers */
  float *qb = carve(&sp, ndsl * W * nr);  /* Q block as B slivers of nr dims (depth queries): for dK */
  float *db = carve(&sp, ndsl * W * nr);  /* dO block likewise: for dV */
  float *P = carve(&sp, mr * ldmax);      /* S, then P, of one sliver of queries: [query][key] */
  float *G = carve(&sp, mr * ldmax);      /* dP, then dS, likewise */
  float *dsa = carve(&sp, ldmax * mr);    /* one A sliver of dS (mr queries, depth keys) */
  float *pta = carve(&sp, W * ldmax);     /* Pᵀ as A slivers of mr keys (depth queries): [key sliver][query][mr] */
  float *dsta = carve(&sp, W * ldmax);    /* dSᵀ likewise */

  const float *kbase = a->k + b * S * kw + kh * hd, *vbase = a->v + b * S * kw + kh * hd;
  pack_b_rows_t(kt, kbase, kw, 0, S, nks, hd);
  pack_b_rows_t(vt, vbase, kw, 0, S, nks, hd);
  pack_b_cols(kb, kbase, kw, S, hd);

  int32_t lo[ATT_WMAX], hi[ATT_WMAX];
  for (long h = 0; h < a->heads; h++) {
    if (h * a->kvh / a->heads != kh) continue;
    for (long qbk = 0; qbk < a->nqb; qbk++) {
      const long i0 = qbk * W, mb = lmin(W, S - i0), mbr = rup(mb, mr);
      long jlo = i0;
      for (long i = 0; i < mb; i++) {
        lo[i] = a->seg ? a->seg[b * S + i0 + i] : 0;
        hi[i] = (int32_t)(i0 + i);
        if (lo[i] < jlo) jlo = lo[i];
      }
      const long jhi = i0 + mb - 1;
      const long jb = jlo / nr * nr, nk = jhi - jb + 1;
      const long ld = rup(lmax(rup(nk, nr), rup(nk, mr)), 16);
      const float *q0 = a->q + (b * S + i0) * qw + h * hd, *do0 = a->dout + (b * S + i0) * qw + h * hd;
      const float *o0 = a->o + (b * S + i0) * qw + h * hd;
      const float *lse0 = a->lse_in + (b * a->heads + h) * S + i0;
      pack_a_rows(qa, q0, qw, 0, mb, mbr / mr, hd);
      pack_a_rows(da, do0, qw, 0, mb, mbr / mr, hd);
      pack_b_cols(qb, q0, qw, mb, hd);
      pack_b_cols(db, do0, qw, mb, hd);
      /* qb/db hold mb rows per sliver here (not W): index them with stride mb·nr below */

      /* One sliver of mr queries at a time, so that its rows of S, P and dS stay in L1:
       *   S and dP over the key slivers it can see; P = exp(S − lse) and dS = scale·P ⊙ (dP − D) on [lo, hi]
       *   of each row, 0 elsewhere; the rows' slices of mr keys into the A slivers of Pᵀ and dSᵀ (for dK, dV);
       *   dQ = dS·K with dS transposed into an A sliver. */
      float *dq0 = a->dq + (b * S + i0) * qw + h * hd;
      for (long us = 0; us * mr < mb; us++) {
        long ulo = INT32_MAX, uhi = -1;
        for (long i = us * mr; i < lmin(us * mr + mr, mb); i++) {
          ulo = lmin(ulo, lo[i]);
          uhi = lmax(uhi, hi[i]);
        }
        for (long t = (ulo - jb) / nr; t <= (uhi - jb) / nr; t++) {
          u->ukr(hd, qa + us * hd * mr, kt + (jb / nr + t) * hd * nr, P + t * nr, ld, a->scale, 0.0f);
          u->ukr(hd, da + us * hd * mr, vt + (jb / nr + t) * hd * nr, G + t * nr, ld, 1.0f, 0.0f);
        }
        for (long r = 0; r < mr; r++) {
          const long i = us * mr + r;
          float *p = P + r * ld, *g = G + r * ld;
          if (i >= mb) {
            memset(p, 0, (size_t)ld * sizeof(float));
            memset(g, 0, (size_t)ld * sizeof(float));
            continue;
          }
          const long l0 = lo[i] - jb, l1 = hi[i] - jb, n = l1 - l0 + 1;
          const float D = (float)row_dot(do0 + i * qw, o0 + i * qw, hd);
          const vf vD = SPLAT(D), vs = SPLAT(a->scale), vl = SPLAT(lse0[i]);
          float *pp = p + l0, *gg = g + l0;
          long j = 0;
          for (; j + VL <= n; j += VL) {
            const vf e = vexp(LD(pp + j) - vl);
            ST(pp + j, e);
            ST(gg + j, e * (LD(gg + j) - vD) * vs);
          }
          if (j < n) {
            const vf e = vexp(LD_TAIL(pp + j, n - j, 0.0f) - vl);
            ST_TAIL(pp + j, n - j, e);
            ST_TAIL(gg + j, n - j, e * (LD_TAIL(gg + j, n - j, 0.0f) - vD) * vs);
          }
          if (l0 > 0) {
            memset(p, 0, (size_t)l0 * sizeof(float));
            memset(g, 0, (size_t)l0 * sizeof(float));
          }
          if (l1 + 1 < ld) {
            memset(p + l1 + 1, 0, (size_t)(ld - l1 - 1) * sizeof(float));
            memset(g + l1 + 1, 0, (size_t)(ld - l1 - 1) * sizeof(float));
          }
          for (long s = 0; s * mr <= l1; s++) {
            copy_mr(pta + s * W * mr + i * mr, p + s * mr);
            copy_mr(dsta + s * W * mr + i * mr, g + s * mr);
          }
        }
        const long k0 = ulo - jb, kc = uhi - ulo + 1;
        transpose_block(dsa, mr, G + k0, ld, mr, kc);
        for (long d = 0; d < ndsl; d++)
          ukr_tile_k(u, kc, dsa, kb + d * S * nr + ulo * nr, dq0 + us * mr * qw + d * nr, qw, lmin(mr, mb - us * mr),
                     lmin(nr, hd - d * nr), 1.0f, 0.0f);
      }
      /* dK += dSᵀ·Q and dV += Pᵀ·dO, one sliver of mr keys at a time over the queries that can see it */
      for (long s = 0; s * mr < nk; s++) {
        const long key0 = jb + s * mr, qs = lmax(0, key0 - i0), kc = mb - qs;
        if (kc <= 0) continue;
        const float *ps = pta + s * W * mr, *gs = dsta + s * W * mr;
        const long rows = lmin(mr, S - key0);
        float *dk0 = a->dk + (b * S + key0) * kw + kh * hd, *dv0 = a->dv + (b * S + key0) * kw + kh * hd;
        for (long d = 0; d < ndsl; d++) {
          const long cols = lmin(nr, hd - d * nr);
          ukr_tile(u, kc, gs + qs * mr, qb + d * mb * nr + qs * nr, dk0 + d * nr, kw, rows, cols, 1.0f, 1.0f);
          ukr_tile(u, kc, ps + qs * mr, db + d * mb * nr + qs * nr, dv0 + d * nr, kw, rows, cols, 1.0f, 1.0f);
        }
      }
    }
  }
}

static void k_attention_backward(float *dq, float *dk, float *dv, const float *dout, const float *out,
                                 const float *lse, const float *q, const float *k, const float *v, long batch,
                                 long seq, long heads, long kv_heads, long head_dim, double scale,
                                 const int32_t *seg_start) {
  if (batch <= 0 || seq <= 0 || head_dim <= 0 || kv_heads <= 0) return;
  if (heads <= 0) {
    memset(dk, 0, (size_t)(batch * seq * kv_heads * head_dim) * sizeof(float));
    memset(dv, 0, (size_t)(batch * seq * kv_heads * head_dim) * sizeof(float));
    return;
  }
  if (OPS_UKR.mr != MR || OPS_UKR.nr != NR) abort(); /* OPS_MR/OPS_NR disagree with the micro-kernel */
  att_ctx a = {0};
  a.u = &OPS_UKR;
  a.dq = dq; a.dk = dk; a.dv = dv; a.dout = dout; a.o = out; a.lse_in = lse; a.q = q; a.k = k; a.v = v;
  a.seg = seg_start; a.batch = batch; a.sq = seq; a.skv = seq; a.heads = heads; a.kvh = kv_heads;
  a.hd = head_dim; a.kvbs = seq * kv_heads * head_dim; a.scale = (float)scale;
  a.W = att_block();
  a.nqb = (seq + a.W - 1) / a.W;
  const double work = (double)batch * heads * seq * (double)seq * head_dim;
  par_tasks((int)(batch * kv_heads), work >= 1e6, att_bwd_task, &a);
}
