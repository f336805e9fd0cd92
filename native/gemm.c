/* GEMM driver: packing, blocking and threading around the micro-kernels (gemm_avx2.c, gemm_avx512.c and the
 * portable one below). Loop order per task: K blocks → pack the a block → for each b sliver (kept in L1) →
 * for each a sliver → micro-kernel. */
#include "gemm.h"
#include "simd.h"
#include "threads.h"
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

/* ---------------------------------------------------------------- portable micro-kernel */
#define P_MR 4
#define P_NR 16
static void ukr_portable(long kc, const float *a, const float *b, float *c, long ldc, float alpha, float beta) {
  float acc[P_MR][P_NR];
  memset(acc, 0, sizeof acc);
  for (long p = 0; p < kc; p++) {
    const float *bp = b + p * P_NR;
    for (int r = 0; r < P_MR; r++) {
      const float ar = a[p * P_MR + r];
      for (int j = 0; j < P_NR; j++) acc[r][j] += ar * bp[j];
    }
  }
  for (int r = 0; r < P_MR; r++) {
    float *cr = c + r * ldc;
    if (beta == 0.0f)
      for (int j = 0; j < P_NR; j++) cr[j] = alpha * acc[r][j];
    else
      for (int j = 0; j < P_NR; j++) cr[j] = alpha * acc[r][j] + beta * cr[j];
  }
}
const gemm_ukr gemm_ukr_portable = {P_MR, P_NR, 256, 128, ukr_portable};

static const gemm_ukr *current_ukr(void) {
  switch (simd_current()) {
#if defined(PRETRAIN_X64)
    case SIMD_AVX512: return &gemm_ukr_avx512;
    case SIMD_AVX2: return &gemm_ukr_avx2;
#endif
    default: return &gemm_ukr_portable;
  }
}

/* ---------------------------------------------------------------- packing */
/* Packs rows i0..i0+mb of op(a), columns p0..p0+kc, as slivers of mr rows: element (p, r) of sliver s at
 * dst[s·kc·mr + p·mr + r]; rows past mb are zero. */
static void pack_a(const float *a, long lda, int trans, long i0, long mb, long p0, long kc, int mr, float *dst) {
  for (long s = 0; s < mb; s += mr) {
    long rows = mb - s < mr ? mb - s : mr;
    float *d = dst + (s / mr) * kc * mr;
    if (!trans) {
      const float *src[32];
      for (long r = 0; r < mr; r++) src[r] = r < rows ? a + (i0 + s + r) * lda + p0 : NULL;
      long p = 0;
#if defined(__SSE2__)
      /* Full slivers: transpose 4×4 blocks with SSE, so each source row is read in vectors and each packed column
       * written in vectors (the scalar version spends ~1 ns per element here). */
      if (rows == mr && (mr & 3) == 0) {
        for (; p + 4 <= kc; p += 4) {
          for (long r = 0; r < mr; r += 4) {
            __m128 r0 = _mm_loadu_ps(src[r] + p), r1 = _mm_loadu_ps(src[r + 1] + p);
            __m128 r2 = _mm_loadu_ps(src[r + 2] + p), r3 = _mm_loadu_ps(src[r + 3] + p);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            _mm_storeu_ps(d + p * mr + r, r0);
            _mm_storeu_ps(d + (p + 1) * mr + r, r1);
            _mm_storeu_ps(d + (p + 2) * mr + r, r2);
            _mm_storeu_ps(d + (p + 3) * mr + r, r3);
          }
        }
      }
#endif
      for (; p < kc; p++) {
        float *dp = d + p * mr;
        long r = 0;
        for (; r < rows; r++) dp[r] = src[r][p];
        for (; r < mr; r++) dp[r] = 0.0f;
      }
    } else {
      for (long p = 0; p < kc; p++) {
        const float *src = a + (p0 + p) * lda + i0 + s;
        float *dp = d + p * mr;
        long r = 0;
        for (; r < rows; r++) dp[r] = src[r];
        for (; r < mr; r++) dp[r] = 0.0f;
      }
    }
  }
}

/* Packs one sliver: columns j0..j0+nb of op(b), rows p0..p0+kc, as dst[p·nr + c]; columns past nb are zero. */
static void pack_b_sliver(const float *b, long ldb, int trans, long j0, long nb, long p0, long kc, int nr, float *dst) {
  if (!trans) {
    for (long p = 0; p < kc; p++) {
      const float *src = b + (p0 + p) * ldb + j0;
      float *dp = dst + p * nr;
      long c = 0;
      for (; c < nb; c++) dp[c] = src[c];
      for (; c < nr; c++) dp[c] = 0.0f;
    }
  } else {
    long p = 0;
#if defined(__SSE2__)
    if (nb == nr && (nr & 3) == 0) {
      for (; p + 4 <= kc; p += 4) {
        for (long c = 0; c < nr; c += 4) {
          const float *s0 = b + (j0 + c) * ldb + p0 + p;
          __m128 r0 = _mm_loadu_ps(s0), r1 = _mm_loadu_ps(s0 + ldb);
          __m128 r2 = _mm_loadu_ps(s0 + 2 * ldb), r3 = _mm_loadu_ps(s0 + 3 * ldb);
          _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
          _mm_storeu_ps(dst + p * nr + c, r0);
          _mm_storeu_ps(dst + (p + 1) * nr + c, r1);
          _mm_storeu_ps(dst + (p + 2) * nr + c, r2);
          _mm_storeu_ps(dst + (p + 3) * nr + c, r3);
        }
      }
    }
#endif
    for (; p < kc; p++) {
      float *dp = dst + p * nr;
      long c = 0;
      for (; c < nb; c++) dp[c] = b[(j0 + c) * ldb + p0 + p];
      for (; c < nr; c++) dp[c] = 0.0f;
    }
  }
}

/* Multiplies one packed a block (mb rows) by the b slivers js0..js1 of one K block into c. */
static void block_kernel(const gemm_ukr *u, long kc, const float *apack, long mb, const float *bblock, long js0,
                         long js1, long n, float *c, long ldc, long i0, float alpha, float beta) {
  const int mr = u->mr, nr = u->nr;
  float tmp[32 * 64] __attribute__((aligned(64)));
  for (long js = js0; js < js1; js++) {
    const long j0 = js * nr;
    const long nb = n - j0 < nr ? n - j0 : nr;
    const float *bp = bblock + js * kc * nr;
    for (long is = 0; is * mr < mb; is++) {
      const long i = i0 + is * mr;
      const long ib = mb - is * mr < mr ? mb - is * mr : mr;
      const float *ap = apack + is * kc * mr;
      if (ib == mr && nb == nr) {
        u->ukr(kc, ap, bp, c + i * ldc + j0, ldc, alpha, beta);
      } else {
        u->ukr(kc, ap, bp, tmp, nr, 1.0f, 0.0f);
        for (long r = 0; r < ib; r++) {
          float *cr = c + (i + r) * ldc + j0;
          const float *tr = tmp + r * nr;
          if (beta == 0.0f)
            for (long q = 0; q < nb; q++) cr[q] = alpha * tr[q];
          else
            for (long q = 0; q < nb; q++) cr[q] = alpha * tr[q] + beta * cr[q];
        }
      }
    }
  }
}

static void scale_c(long m, long n, float beta, float *c, long ldc) {
  for (long i = 0; i < m; i++) {
    float *cr = c + i * ldc;
    if (beta == 0.0f) memset(cr, 0, (size_t)n * sizeof(float));
    else if (beta != 1.0f) for (long j = 0; j < n; j++) cr[j] *= beta;
  }
}

/* ---------------------------------------------------------------- serial driver */
void sgemm_serial(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                  const float *b, long ldb, float beta, float *c, long ldc, int thread) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) { scale_c(m, n, beta, c, ldc); return; }
  const gemm_ukr *u = current_ukr();
  const long mr = u->mr, nr = u->nr, kcmax = u->kc, mcmax = u->mc;
  const long nsl = (n + nr - 1) / nr;
  const long kc0 = k < kcmax ? k : kcmax;
  float *bpack = tp_scratch(thread, 1, (size_t)(kc0 * nsl * nr) * sizeof(float));
  float *apack = tp_scratch(thread, 0, (size_t)(kc0 * ((mcmax + mr - 1) / mr) * mr) * sizeof(float));
  if (!bpack || !apack) abort();
  for (long p0 = 0; p0 < k; p0 += kcmax) {
    const long kc = k - p0 < kcmax ? k - p0 : kcmax;
    for (long js = 0; js < nsl; js++) {
      const long j0 = js * nr;
      pack_b_sliver(b, ldb, trans_b, j0, n - j0 < nr ? n - j0 : nr, p0, kc, (int)nr, bpack + js * kc * nr);
    }
    const float be = p0 == 0 ? beta : 1.0f;
    for (long i0 = 0; i0 < m; i0 += mcmax) {
      const long mb = m - i0 < mcmax ? m - i0 : mcmax;
      pack_a(a, lda, trans_a, i0, mb, p0, kc, (int)mr, apack);
      block_kernel(u, kc, apack, mb, bpack, 0, nsl, n, c, ldc, i0, alpha, be);
    }
  }
}

/* ---------------------------------------------------------------- threaded driver */
static float *g_bpack;
static size_t g_bpack_size;

typedef struct {
  const gemm_ukr *u;
  int trans_a, trans_b;
  long m, n, k;
  float alpha, beta;
  const float *a, *b;
  float *c;
  long npad, nsl, kblocks;
  long mcb, mblocks, nblocks, sl_per_nblock;
  long pack_groups; /* sliver groups per K block for packing */
} gemm_job;

#define PACK_GROUP 8

static void pack_task(void *ctx, int task, int thread) {
  (void)thread;
  gemm_job *j = ctx;
  const long kb = task / j->pack_groups, g = task % j->pack_groups;
  const long p0 = kb * j->u->kc;
  const long kc = j->k - p0 < j->u->kc ? j->k - p0 : j->u->kc;
  const long nr = j->u->nr;
  float *base = g_bpack + p0 * j->npad;
  const long s1 = (g + 1) * PACK_GROUP < j->nsl ? (g + 1) * PACK_GROUP : j->nsl;
  for (long js = g * PACK_GROUP; js < s1; js++) {
    const long j0 = js * nr;
    pack_b_sliver(j->b, j->trans_b ? j->k : j->n, j->trans_b, j0, j->n - j0 < nr ? j->n - j0 : nr, p0, kc,
                  (int)nr, base + js * kc * nr);
  }
}

static void compute_task(void *ctx, int task, int thread) {
  gemm_job *j = ctx;
  const gemm_ukr *u = j->u;
  const long mi = task / j->nblocks, nj = task % j->nblocks;
  const long i0 = mi * j->mcb;
  if (i0 >= j->m) return;
  const long mb = j->m - i0 < j->mcb ? j->m - i0 : j->mcb;
  const long js0 = nj * j->sl_per_nblock;
  const long js1 = js0 + j->sl_per_nblock < j->nsl ? js0 + j->sl_per_nblock : j->nsl;
  if (js0 >= js1) return;
  const long kcmax = u->kc;
  float *apack = tp_scratch(thread, 0, (size_t)(kcmax * ((j->mcb + u->mr - 1) / u->mr) * u->mr) * sizeof(float));
  if (!apack) abort();
  const long lda = j->trans_a ? j->m : j->k;
  for (long p0 = 0; p0 < j->k; p0 += kcmax) {
    const long kc = j->k - p0 < kcmax ? j->k - p0 : kcmax;
    pack_a(j->a, lda, j->trans_a, i0, mb, p0, kc, u->mr, apack);
    block_kernel(u, kc, apack, mb, g_bpack + p0 * j->npad, js0, js1, j->n, j->c, j->n, i0, j->alpha,
                 p0 == 0 ? j->beta : 1.0f);
  }
}

void sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, const float *b,
           float beta, float *c) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) { scale_c(m, n, beta, c, n); return; }
  const int threads = tp_num_threads();
  /* Below about 2M multiply-adds (tens of microseconds on one core) waking the pool costs more than it saves,
   * and on a loaded machine a sleeping worker may not run for a whole time slice (milliseconds): one-token
   * decoding and small evaluation passes stay on the calling thread. */
  if (threads == 1 || (double)m * (double)n * (double)k <= 128.0 * 128.0 * 128.0) {
    sgemm_serial(trans_a, trans_b, m, n, k, alpha, a, trans_a ? m : k, b, trans_b ? k : n, beta, c, n, 0);
    return;
  }
  gemm_job j;
  j.u = current_ukr();
  j.trans_a = trans_a; j.trans_b = trans_b;
  j.m = m; j.n = n; j.k = k; j.alpha = alpha; j.beta = beta; j.a = a; j.b = b; j.c = c;
  const long mr = j.u->mr, nr = j.u->nr;
  j.nsl = (n + nr - 1) / nr;
  j.npad = j.nsl * nr;
  j.kblocks = (k + j.u->kc - 1) / j.u->kc;
  size_t need = (size_t)(k * j.npad) * sizeof(float);
  if (need > g_bpack_size) {
    free(g_bpack);
    void *p = NULL;
    if (posix_memalign(&p, 64, need) != 0) abort();
    g_bpack = p;
    g_bpack_size = need;
  }
  j.pack_groups = (j.nsl + PACK_GROUP - 1) / PACK_GROUP;
  tp_parallel_for((int)(j.kblocks * j.pack_groups), pack_task, &j);

  /* Task grid: M blocks of at most mc rows, a multiple of the thread count when there are enough rows;
   * split N as well when M alone cannot keep the threads busy. */
  long mblocks = (m + j.u->mc - 1) / j.u->mc;
  const long max_mblocks = (m + mr - 1) / mr;
  if (mblocks % threads) mblocks += threads - mblocks % threads;
  if (mblocks > max_mblocks) mblocks = max_mblocks;
  j.mcb = ((m + mblocks - 1) / mblocks + mr - 1) / mr * mr;
  j.mblocks = (m + j.mcb - 1) / j.mcb;
  j.nblocks = 1;
  if (j.mblocks < 2 * threads) {
    j.nblocks = (2 * threads + j.mblocks - 1) / j.mblocks;
    if (j.nblocks > j.nsl) j.nblocks = j.nsl;
  }
  j.sl_per_nblock = (j.nsl + j.nblocks - 1) / j.nblocks;
  tp_parallel_for((int)(j.mblocks * j.nblocks), compute_task, &j);
}
