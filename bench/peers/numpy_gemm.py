#!/usr/bin/python3
"""float32 GEMM throughput through numpy + OpenBLAS: a peer for the native kernels in `npm run bench`.

    /usr/bin/python3 bench/peers/numpy_gemm.py --shapes 2048x256x256,2048x256x640 --trans NN --threads 2
    /usr/bin/python3 bench/peers/numpy_gemm.py --shapes 2048x256x256 --threads 1 --coretype SkylakeX

A shape MxKxN times C[M,N] = op(A) op(B) with op(A) [M,K] and op(B) [K,N]; --trans NN|NT|TN says which
operand is stored transposed (NT: B is stored [N,K]; TN: A is stored [K,M]), as numpy passes transposed
views straight to sgemm. Prints one JSON line per shape (median of --repeats timed runs after --warmup runs).

Debian's OpenBLAS 0.3.21 does not know recent Xeons and silently falls back to its SSE3 "Prescott" kernels.
The core it picked is reported (from OPENBLAS_VERBOSE=2 in a subprocess, and from openblas_get_corename);
--coretype NAME sets OPENBLAS_CORETYPE (Haswell = AVX2, SkylakeX = AVX-512, ...) to measure a better kernel.
numpy only uses OpenBLAS when the libblas.so.3 alternative points at it (package libopenblas0-pthread);
the "blas" field says which library is actually loaded ("reference" = netlib BLAS, very slow).
Run on demand only (not in CI). Needs numpy; nothing else.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time


def parse_args(argv):
    ap = argparse.ArgumentParser(description="numpy/OpenBLAS float32 GEMM GFLOP/s")
    ap.add_argument("--shapes", default="2048x256x256,2048x256x640,2048x640x256,2048x256x8192",
                    help="comma-separated MxKxN list")
    ap.add_argument("--trans", default="NN", help="NN, NT, TN or TT (comma list allowed)")
    ap.add_argument("--threads", type=int, default=1, help="OPENBLAS_NUM_THREADS")
    ap.add_argument("--coretype", default=None, help="OPENBLAS_CORETYPE (e.g. Haswell, SkylakeX); default: auto-detect")
    ap.add_argument("--repeats", type=int, default=15, help="timed runs per shape (at least 10 are done)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed runs per shape")
    ap.add_argument("--serve", action="store_true",
                    help="after set-up, read requests 'MxKxN TRANS REPEATS' from stdin, one JSON line each "
                         "(lets the benchmark alternate with its own kernel shape by shape)")
    args = ap.parse_args(argv)
    shapes = []
    for s in args.shapes.split(","):
        s = s.strip()
        if not s:
            continue
        parts = s.lower().split("x")
        if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
            ap.error(f"bad shape {s!r}; want MxKxN")
        shapes.append(tuple(int(p) for p in parts))
    trans = [t.strip().upper() for t in args.trans.split(",") if t.strip()]
    for t in trans:
        if t not in ("NN", "NT", "TN", "TT"):
            ap.error(f"bad --trans {t!r}")
    if args.repeats < 10:
        print(f"note: --repeats {args.repeats} raised to 10 (the median is taken over at least 10 runs)", file=sys.stderr)
        args.repeats = 10
    if args.threads < 1:
        ap.error("--threads must be >= 1")
    return args, shapes, trans


def blas_environment(threads: int, coretype):
    env = dict(os.environ)
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "GOTO_NUM_THREADS"):
        env[k] = str(threads)
    env.pop("OPENBLAS_VERBOSE", None)
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    else:
        env.pop("OPENBLAS_CORETYPE", None)
    return env


def verbose_core(env) -> str | None:
    """The core OpenBLAS reports with OPENBLAS_VERBOSE=2 when numpy loads it (None: no OpenBLAS message)."""
    probe = dict(env)
    probe["OPENBLAS_VERBOSE"] = "2"
    r = subprocess.run([sys.executable, "-c", "import numpy"], env=probe, capture_output=True, text=True, timeout=120)
    m = re.search(r"Core:\s*(\S+)", r.stderr + r.stdout)
    return m.group(1) if m else None


def loaded_blas():
    """(kind, path, corename, threads, config) of the BLAS that serves numpy's sgemm in this process.

    numpy links libblas.so.3 (a Debian alternative): the mapped libblas decides. OpenBLAS may be mapped
    even when it does not serve BLAS (liblapack.so.3 pulls it in), so its mere presence proves nothing.
    """
    mapped = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and parts[-1].startswith("/") and parts[-1] not in mapped:
                    mapped.append(parts[-1])
    except OSError:
        pass
    base = {p: os.path.basename(p) for p in mapped}
    openblas = next((p for p in mapped if re.match(r"libopenblas", base[p])), None)
    front = next((p for p in mapped if re.match(r"lib(c)?blas\.so", base[p])), None)
    kind, lib = "unknown", front
    if front is not None:
        real = os.path.realpath(front)
        if "openblas" in real:
            kind, lib = "openblas", openblas or real
        elif "blis" in real:
            kind = "blis"
        elif "mkl" in real:
            kind = "mkl"
        else:
            kind = "reference"
    elif openblas is not None:  # e.g. a wheel with its own bundled OpenBLAS
        kind, lib = "openblas", openblas
    corename = cfg = None
    nthreads = None
    if kind == "openblas":
        try:
            h = ctypes.CDLL(lib)
            h.openblas_get_corename.restype = ctypes.c_char_p
            corename = h.openblas_get_corename().decode()
            h.openblas_get_config.restype = ctypes.c_char_p
            cfg = h.openblas_get_config().decode()
            nthreads = int(h.openblas_get_num_threads())
        except (OSError, AttributeError):
            pass
    return kind, lib, corename, nthreads, cfg


def main(argv=None) -> int:
    args, shapes, trans_list = parse_args(sys.argv[1:] if argv is None else argv)
    env = blas_environment(args.threads, args.coretype)
    detected = verbose_core(env)
    # The environment must be in place before numpy (and so libblas) is loaded into this process.
    os.environ.clear()
    os.environ.update(env)
    import numpy as np  # noqa: E402  (deliberately late)

    kind, lib, corename, nthreads, cfg = loaded_blas()
    if kind != "openblas":
        print(f"warning: numpy is using {kind} BLAS ({lib}), not OpenBLAS; install libopenblas0-pthread",
              file=sys.stderr)
    if args.coretype and corename and corename.lower() != args.coretype.lower():
        print(f"warning: asked for core {args.coretype}, OpenBLAS runs {corename}", file=sys.stderr)

    rng = np.random.default_rng(0)
    base = {
        "peer": "numpy-openblas" if kind == "openblas" else f"numpy-{kind}",
        "numpy": np.__version__,
        "blas": kind,
        "blas_library": lib,
        "blas_config": cfg,
        "core_detected": detected,
        "core_running": corename,
        "coretype_requested": args.coretype,
        "threads": args.threads,
        "blas_threads": nthreads,
        "cpu": platform.processor() or platform.machine(),
    }
    cache = {}

    def measure(m, k, n, trans, repeats, warmup):
        key = (m, k, n, trans)
        if key not in cache:
            a = rng.standard_normal((k, m) if trans[0] == "T" else (m, k), dtype=np.float32)
            b = rng.standard_normal((n, k) if trans[1] == "T" else (k, n), dtype=np.float32)
            cache[key] = (a.T if trans[0] == "T" else a, b.T if trans[1] == "T" else b,
                          np.empty((m, n), dtype=np.float32))
        op_a, op_b, out = cache[key]
        for _ in range(warmup):
            np.matmul(op_a, op_b, out=out)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            np.matmul(op_a, op_b, out=out)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        flops = 2.0 * m * k * n
        rec = dict(base)
        rec.update({"m": m, "k": k, "n": n, "trans": trans, "runs": repeats,
                    "median_s": med, "min_s": min(times), "gflops": flops / med / 1e9,
                    "best_gflops": flops / min(times) / 1e9})
        print(json.dumps(rec), flush=True)

    if args.serve:
        print(json.dumps(dict(base, ready=True)), flush=True)
        for line in sys.stdin:
            parts = line.split()
            if not parts:
                continue
            m, k, n = (int(x) for x in parts[0].lower().split("x"))
            measure(m, k, n, parts[1].upper(), int(parts[2]), 1)
        return 0
    for trans in trans_list:
        for (m, k, n) in shapes:
            measure(m, k, n, trans, args.repeats, args.warmup)
    return 0


if __name__ == "__main__":
    sys.exit(main())
