/* Bindings of the kernels other than gemm. */
#include "binding.h"

void register_ops(napi_env env, napi_value exports) {
  (void)env;
  (void)exports;
}
