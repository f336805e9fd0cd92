/* The kernels other than gemm, AVX2 + FMA build (8-float vectors). Compiled with -mavx2 -mfma; only called
 * when the CPU has both. */
#define VL 8
#define OPS_TABLE ops_avx2
#define OPS_UKR gemm_ukr_avx2
#define OPS_MR 6
#define OPS_NR 16
#include "ops_impl.h"
