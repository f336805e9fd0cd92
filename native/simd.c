#include "simd.h"
#include <stdlib.h>
#include <string.h>

static const char *NAMES[SIMD_LEVELS] = {"portable", "avx2", "avx512"};
static int g_level = -1;

const char *simd_name(simd_level level) { return (level >= 0 && level < SIMD_LEVELS) ? NAMES[level] : "unknown"; }

int simd_parse(const char *name) {
  for (int i = 0; i < SIMD_LEVELS; i++)
    if (strcmp(name, NAMES[i]) == 0) return i;
  return -1;
}

int simd_supported(simd_level level) {
  switch (level) {
    case SIMD_PORTABLE: return 1;
#if defined(PRETRAIN_X64)
    case SIMD_AVX2:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SIMD_AVX512:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    default: return 0;
  }
}

static simd_level best_level(void) {
  for (int l = SIMD_LEVELS - 1; l > 0; l--)
    if (simd_supported((simd_level)l)) return (simd_level)l;
  return SIMD_PORTABLE;
}

simd_level simd_current(void) {
  if (g_level < 0) {
    const char *env = getenv("PRETRAIN_SIMD");
    int want = (env && *env && strcmp(env, "auto") != 0) ? simd_parse(env) : -1;
    /* An unknown or unsupported request falls back to the best level; the binding reports the request. */
    g_level = (want >= 0 && simd_supported((simd_level)want)) ? want : (int)best_level();
  }
  return (simd_level)g_level;
}

int simd_set(simd_level level) {
  if (level < 0 || level >= SIMD_LEVELS || !simd_supported(level)) return -1;
  g_level = level;
  return 0;
}
