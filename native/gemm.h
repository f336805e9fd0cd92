/* Single-precision GEMM: c = alpha·op(a)·op(b) + beta·c, row-major, contiguous.
 * A blocked, packed algorithm (the BLIS loop structure) around a register-tiled micro-kernel chosen by SIMD
 * level. Each element of c is summed in a fixed order, so results do not depend on the thread count. */
#ifndef PRETRAIN_GEMM_H
#define PRETRAIN_GEMM_H

/* The micro-kernel computes an mr×nr tile: c = alpha·(a·b) + beta·c, where a is packed as kc columns of mr
 * values and b as kc rows of nr values. beta = 0 must not read c. */
typedef void (*gemm_ukr_fn)(long kc, const float *a, const float *b, float *c, long ldc, float alpha, float beta);

typedef struct {
  int mr, nr;   /* register tile */
  int kc;       /* depth of one packed block (the b sliver kc×nr stays in L1) */
  int mc;       /* rows of one packed a block (mc×kc stays in L2) */
  gemm_ukr_fn ukr;
} gemm_ukr;

extern const gemm_ukr gemm_ukr_portable;
#if defined(PRETRAIN_X64)
extern const gemm_ukr gemm_ukr_avx2;
extern const gemm_ukr gemm_ukr_avx512;
#endif

/* Multi-threaded over the pool. */
void sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, const float *b,
           float beta, float *c);
/* The same on the calling thread only, for use inside other parallel kernels. scratch_thread selects the
 * per-thread scratch buffers to pack into. */
void sgemm_serial(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                  const float *b, long ldb, float beta, float *c, long ldc, int scratch_thread);
#endif
