/* Helpers for the N-API bindings: argument unpacking with clear errors. Every binding checks that each
 * buffer is large enough for the sizes it was given before touching memory. */
#ifndef PRETRAIN_BINDING_H
#define PRETRAIN_BINDING_H
#define NAPI_VERSION 8
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

int arg_f32(napi_env env, napi_value v, float **data, size_t *len, const char *fn, const char *name);
/* Accepts null/undefined as "absent" when nullable (data = NULL, len = 0). */
int arg_i32(napi_env env, napi_value v, int32_t **data, size_t *len, const char *fn, const char *name, int nullable);
int arg_long(napi_env env, napi_value v, long *out, const char *fn, const char *name);
int arg_dbl(napi_env env, napi_value v, double *out, const char *fn, const char *name);
int arg_bool(napi_env env, napi_value v, int *out, const char *fn, const char *name);
/* Throws a RangeError unless len ≥ need. */
int arg_need(napi_env env, size_t len, double need, const char *fn, const char *name);
napi_value make_double(napi_env env, double v);
napi_value make_undefined(napi_env env);
void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb);

/* Argument-unpacking shorthands for a binding named FN with `napi_value argv[]` in scope. */
#define BIND_ARGS(n)                                                                   \
  size_t argc = (n);                                                                   \
  napi_value argv[(n) > 0 ? (n) : 1];                                                  \
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);                                \
  if (argc < (size_t)(n)) {                                                            \
    napi_throw_type_error(env, NULL, FN ": expected " #n " arguments");                \
    return NULL;                                                                       \
  }
#define ARG_F32(i, x) float *x; size_t x##_len; if (!arg_f32(env, argv[i], &x, &x##_len, FN, #x)) return NULL
#define ARG_I32(i, x) int32_t *x; size_t x##_len; if (!arg_i32(env, argv[i], &x, &x##_len, FN, #x, 0)) return NULL
#define ARG_I32_OR_NULL(i, x) int32_t *x; size_t x##_len; if (!arg_i32(env, argv[i], &x, &x##_len, FN, #x, 1)) return NULL
#define ARG_LONG(i, x) long x; if (!arg_long(env, argv[i], &x, FN, #x)) return NULL
#define ARG_DBL(i, x) double x; if (!arg_dbl(env, argv[i], &x, FN, #x)) return NULL
#define ARG_BOOL(i, x) int x; if (!arg_bool(env, argv[i], &x, FN, #x)) return NULL
#define NEED(x, count) if (!arg_need(env, x##_len, (double)(count), FN, #x)) return NULL

/* Registers the kernels other than gemm (binding_ops.c). */
void register_ops(napi_env env, napi_value exports);
#endif
