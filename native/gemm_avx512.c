/* AVX-512 micro-kernel: a 12×32 tile in 24 zmm accumulators; per step two loads of b and twelve broadcasts
 * of a. Compiled with -mavx512f; only called when the CPU has it. */
#include "gemm.h"
#include <immintrin.h>

#define MR 12
#define NR 32

static void ukr_avx512(long kc, const float *a, const float *b, float *c, long ldc, float alpha, float beta) {
  __m512 acc[MR][2];
  for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  /* The c tile is needed after the loop: start fetching it now. a streams from L2 (each sliver is used once per
   * b sliver), so fetch it a few iterations ahead; the b sliver stays in L1 across the a slivers. */
  for (int r = 0; r < MR; r++) {
    _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch((const char *)(c + r * ldc + 16), _MM_HINT_T0);
  }
#pragma GCC unroll 4
  for (long p = 0; p < kc; p++) {
    _mm_prefetch((const char *)(a + 16 * MR), _MM_HINT_T0);
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
      const __m512 ar = _mm512_set1_ps(a[r]);
      acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
    }
    a += MR;
    b += NR;
  }
  const __m512 va = _mm512_set1_ps(alpha);
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++) {
    float *cr = c + r * ldc;
    __m512 y0 = _mm512_mul_ps(va, acc[r][0]), y1 = _mm512_mul_ps(va, acc[r][1]);
    if (beta != 0.0f) {
      const __m512 vb = _mm512_set1_ps(beta);
      y0 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(cr), y0);
      y1 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(cr + 16), y1);
    }
    _mm512_storeu_ps(cr, y0);
    _mm512_storeu_ps(cr + 16, y1);
  }
}

const gemm_ukr gemm_ukr_avx512 = {MR, NR, 256, 144, ukr_avx512};
