/* The kernels other than gemm, portable build (128-bit vectors: SSE2 on x64, NEON on arm64, scalar code
 * elsewhere), and the choice of table by SIMD level. */
#include "ops.h"
#include "simd.h"

#define VL 4
#define OPS_TABLE ops_portable
#define OPS_UKR gemm_ukr_portable
#define OPS_MR 4
#define OPS_NR 16
#include "ops_impl.h"

const ops_table *ops_current(void) {
  switch (simd_current()) {
#if defined(PRETRAIN_X64)
    case SIMD_AVX512: return &ops_avx512;
    case SIMD_AVX2: return &ops_avx2;
#endif
    default: return &ops_portable;
  }
}
