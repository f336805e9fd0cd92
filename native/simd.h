/* Which instruction-set path the kernels use. Chosen at start-up from the CPU (and PRETRAIN_SIMD), changeable
 * at run time so that tests can run every path the CPU supports in one process. */
#ifndef PRETRAIN_SIMD_H
#define PRETRAIN_SIMD_H

typedef enum { SIMD_PORTABLE = 0, SIMD_AVX2 = 1, SIMD_AVX512 = 2, SIMD_LEVELS = 3 } simd_level;

const char *simd_name(simd_level level);
/* -1 when the name is unknown */
int simd_parse(const char *name);
int simd_supported(simd_level level);
simd_level simd_current(void);
/* Returns 0 on success, -1 when the CPU (or this build) lacks the level. */
int simd_set(simd_level level);
#endif
