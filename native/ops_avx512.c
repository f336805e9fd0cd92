/* The kernels other than gemm, AVX-512 build (16-float vectors). Compiled with -mavx512f -mavx2 -mfma; only
 * called when the CPU has them. */
#define VL 16
#define OPS_TABLE ops_avx512
#define OPS_UKR gemm_ukr_avx512
#define OPS_MR 12
#define OPS_NR 32
#include "ops_impl.h"
