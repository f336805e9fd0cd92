{
  "variables": {
    "common_cflags": ["-O3", "-std=gnu11", "-fPIC", "-fno-math-errno", "-Wall", "-Wno-unused-function"]
  },
  "targets": [
    {
      "target_name": "pretrain_native",
      "sources": [
        "native/binding.c",
        "native/binding_ops.c",
        "native/threads.c",
        "native/simd.c",
        "native/gemm.c",
        "native/ops_portable.c"
      ],
      "cflags": ["<@(common_cflags)"],
      "cflags!": ["-O2", "-O0", "-fno-exceptions"],
      "libraries": ["-lpthread", "-lm"],
      "conditions": [
        ["target_arch=='x64'", {
          "defines": ["PRETRAIN_X64"],
          "dependencies": ["pretrain_avx2", "pretrain_avx512"]
        }],
        ["OS=='mac'", {
          "xcode_settings": { "OTHER_CFLAGS": ["<@(common_cflags)"] }
        }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "pretrain_avx2",
          "type": "static_library",
          "defines": ["PRETRAIN_X64"],
          "sources": ["native/gemm_avx2.c", "native/ops_avx2.c"],
          "cflags": ["<@(common_cflags)", "-mavx2", "-mfma"],
          "cflags!": ["-O2", "-O0"],
          "xcode_settings": { "OTHER_CFLAGS": ["<@(common_cflags)", "-mavx2", "-mfma"] }
        },
        {
          "target_name": "pretrain_avx512",
          "type": "static_library",
          "defines": ["PRETRAIN_X64"],
          "sources": ["native/gemm_avx512.c", "native/ops_avx512.c"],
          "cflags": ["<@(common_cflags)", "-mavx512f", "-mavx2", "-mfma"],
          "cflags!": ["-O2", "-O0"],
          "xcode_settings": { "OTHER_CFLAGS": ["<@(common_cflags)", "-mavx512f", "-mavx2", "-mfma"] }
        }
      ]
    }]
  ]
}
