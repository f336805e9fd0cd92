/* The N-API module: argument helpers, the pool and SIMD controls, and gemm. The other kernels register
 * themselves from binding_ops.c. Buffers are used in place (no copies). */
#include "binding.h"
#include "gemm.h"
#include "simd.h"
#include "threads.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

static void throw_fmt(napi_env env, int range, const char *fmt, const char *fn, const char *name) {
  char msg[256];
  snprintf(msg, sizeof msg, fmt, fn, name);
  if (range) napi_throw_range_error(env, NULL, msg);
  else napi_throw_type_error(env, NULL, msg);
}

int arg_f32(napi_env env, napi_value v, float **data, size_t *len, const char *fn, const char *name) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) {
    throw_fmt(env, 0, "%s: %s must be a Float32Array", fn, name);
    return 0;
  }
  napi_typedarray_type type;
  void *p = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL) != napi_ok || type != napi_float32_array) {
    throw_fmt(env, 0, "%s: %s must be a Float32Array", fn, name);
    return 0;
  }
  *data = (float *)p;
  return 1;
}

int arg_i32(napi_env env, napi_value v, int32_t **data, size_t *len, const char *fn, const char *name, int nullable) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (nullable && (t == napi_null || t == napi_undefined)) {
    *data = NULL;
    *len = 0;
    return 1;
  }
  bool is_ta = false;
  napi_typedarray_type type;
  void *p = NULL;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL) != napi_ok || type != napi_int32_array) {
    throw_fmt(env, 0, nullable ? "%s: %s must be an Int32Array or null" : "%s: %s must be an Int32Array", fn, name);
    return 0;
  }
  *data = (int32_t *)p;
  return 1;
}

int arg_dbl(napi_env env, napi_value v, double *out, const char *fn, const char *name) {
  if (napi_get_value_double(env, v, out) != napi_ok) {
    throw_fmt(env, 0, "%s: %s must be a number", fn, name);
    return 0;
  }
  return 1;
}

int arg_long(napi_env env, napi_value v, long *out, const char *fn, const char *name) {
  double d;
  if (!arg_dbl(env, v, &d, fn, name)) return 0;
  if (!(d >= 0) || d != floor(d) || d > 9007199254740991.0) {
    throw_fmt(env, 1, "%s: %s must be a non-negative integer", fn, name);
    return 0;
  }
  *out = (long)d;
  return 1;
}

int arg_bool(napi_env env, napi_value v, int *out, const char *fn, const char *name) {
  bool b;
  if (napi_get_value_bool(env, v, &b) != napi_ok) {
    throw_fmt(env, 0, "%s: %s must be a boolean", fn, name);
    return 0;
  }
  *out = b ? 1 : 0;
  return 1;
}

int arg_need(napi_env env, size_t len, double need, const char *fn, const char *name) {
  if ((double)len < need) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s: %s has %zu elements but the sizes given need %.0f", fn, name, len, need);
    napi_throw_range_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

napi_value make_double(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

napi_value make_undefined(napi_env env) {
  napi_value r;
  napi_get_undefined(env, &r);
  return r;
}

void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &f);
  napi_set_named_property(env, exports, name, f);
}

/* ---------------------------------------------------------------- pool and SIMD controls */
static napi_value js_get_threads(napi_env env, napi_callback_info info) {
  (void)info;
  return make_double(env, tp_num_threads());
}

#undef FN
#define FN "setThreads"
static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  BIND_ARGS(1);
  ARG_LONG(0, n);
  if (n < 1 || n > TP_MAX_THREADS || tp_set_threads((int)n) != 0) {
    napi_throw_range_error(env, NULL, "setThreads: the thread count must be between 1 and 256");
    return NULL;
  }
  return make_undefined(env);
}

static napi_value js_simd_level(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_create_string_utf8(env, simd_name(simd_current()), NAPI_AUTO_LENGTH, &r);
  return r;
}

static napi_value js_simd_levels(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t n = 0;
  for (int l = 0; l < SIMD_LEVELS; l++) {
    if (!simd_supported((simd_level)l)) continue;
    napi_value s;
    napi_create_string_utf8(env, simd_name((simd_level)l), NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, arr, n++, s);
  }
  return arr;
}

#undef FN
#define FN "setSimdLevel"
static napi_value js_set_simd_level(napi_env env, napi_callback_info info) {
  BIND_ARGS(1);
  char name[32];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "setSimdLevel: the level must be a string");
    return NULL;
  }
  int level = simd_parse(name);
  if (level < 0 || simd_set((simd_level)level) != 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "setSimdLevel: '%s' is not available on this CPU (use portable, avx2 or avx512 as supported)", name);
    napi_throw_range_error(env, NULL, msg);
    return NULL;
  }
  return make_undefined(env);
}

/* ---------------------------------------------------------------- gemm */
#undef FN
#define FN "gemm"
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  BIND_ARGS(10);
  ARG_BOOL(0, trans_a);
  ARG_BOOL(1, trans_b);
  ARG_LONG(2, m);
  ARG_LONG(3, n);
  ARG_LONG(4, k);
  ARG_DBL(5, alpha);
  ARG_F32(6, a);
  ARG_F32(7, b);
  ARG_DBL(8, beta);
  ARG_F32(9, c);
  NEED(a, (double)m * k);
  NEED(b, (double)k * n);
  NEED(c, (double)m * n);
  sgemm(trans_a, trans_b, m, n, k, (float)alpha, a, b, (float)beta, c);
  return make_undefined(env);
}

static napi_value init(napi_env env, napi_value exports) {
  export_fn(env, exports, "getThreads", js_get_threads);
  export_fn(env, exports, "setThreads", js_set_threads);
  export_fn(env, exports, "simdLevel", js_simd_level);
  export_fn(env, exports, "simdLevels", js_simd_levels);
  export_fn(env, exports, "setSimdLevel", js_set_simd_level);
  export_fn(env, exports, "gemm", js_gemm);
  register_ops(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
