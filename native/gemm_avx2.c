/* AVX2 + FMA micro-kernel: a 6×16 tile in 12 ymm accumulators; per step two loads of b and six broadcasts
 * of a. Compiled with -mavx2 -mfma; only called when the CPU has both. */
#include "gemm.h"
#include <immintrin.h>

#define MR 6
#define NR 16

static void ukr_avx2(long kc, const float *a, const float *b, float *c, long ldc, float alpha, float beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#pragma GCC unroll 8
  for (long p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
    __m256 ar;
    ar = _mm256_broadcast_ss(a + 0); c00 = _mm256_fmadd_ps(ar, b0, c00); c01 = _mm256_fmadd_ps(ar, b1, c01);
    ar = _mm256_broadcast_ss(a + 1); c10 = _mm256_fmadd_ps(ar, b0, c10); c11 = _mm256_fmadd_ps(ar, b1, c11);
    ar = _mm256_broadcast_ss(a + 2); c20 = _mm256_fmadd_ps(ar, b0, c20); c21 = _mm256_fmadd_ps(ar, b1, c21);
    ar = _mm256_broadcast_ss(a + 3); c30 = _mm256_fmadd_ps(ar, b0, c30); c31 = _mm256_fmadd_ps(ar, b1, c31);
    ar = _mm256_broadcast_ss(a + 4); c40 = _mm256_fmadd_ps(ar, b0, c40); c41 = _mm256_fmadd_ps(ar, b1, c41);
    ar = _mm256_broadcast_ss(a + 5); c50 = _mm256_fmadd_ps(ar, b0, c50); c51 = _mm256_fmadd_ps(ar, b1, c51);
    a += MR;
    b += NR;
  }
  const __m256 va = _mm256_set1_ps(alpha);
#define STORE_ROW(r, x0, x1)                                                              \
  do {                                                                                    \
    float *cr = c + (r) * ldc;                                                            \
    __m256 y0 = _mm256_mul_ps(va, x0), y1 = _mm256_mul_ps(va, x1);                        \
    if (beta != 0.0f) {                                                                   \
      const __m256 vb = _mm256_set1_ps(beta);                                             \
      y0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr), y0);                                  \
      y1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr + 8), y1);                              \
    }                                                                                     \
    _mm256_storeu_ps(cr, y0);                                                             \
    _mm256_storeu_ps(cr + 8, y1);                                                         \
  } while (0)
  STORE_ROW(0, c00, c01); STORE_ROW(1, c10, c11); STORE_ROW(2, c20, c21);
  STORE_ROW(3, c30, c31); STORE_ROW(4, c40, c41); STORE_ROW(5, c50, c51);
#undef STORE_ROW
}

const gemm_ukr gemm_ukr_avx2 = {MR, NR, 256, 144, ukr_avx2};
