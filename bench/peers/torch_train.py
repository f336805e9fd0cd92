#!/usr/bin/python3
"""PyTorch (CPU, float32) training-step throughput of the benchmark model: a peer for `npm run bench`.

    /usr/bin/python3 bench/peers/torch_train.py --d-model 256 --threads 2 --steps 5
    /usr/bin/python3 bench/peers/torch_train.py --d-model 512 --threads 2 --coretype SkylakeX

The model is the one of scripts/torch/make_parity_fixtures.py (imported, not re-written): Llama-style,
8 layers, 8 heads / 2 KV heads, SwiGLU ffn 2.5·d, vocab 8192, tied embeddings, q/k/v bias, WeSaR gates,
μP (cerebras init rule, hidden-matrix lr·d0/d), z-loss 1e-4; batch 8 × 256 tokens. A step is forward,
backward, global-norm clip at 1.0 and AdamW over the two parameter groups. After --warmup steps, --steps
steps are timed; prints one JSON object.

Debian's torch 1.13 does its float32 matmuls through the system libblas.so.3 (OpenBLAS 0.3.21 here), which
falls back to SSE3 "Prescott" kernels on CPUs it does not know: --coretype sets OPENBLAS_CORETYPE to measure
with a proper kernel, and "blas_core" reports the core in use. Run on demand only (not in CI).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_DIR = os.path.join(HERE, "..", "..", "scripts", "torch")


def parse_args(argv):
    ap = argparse.ArgumentParser(description="PyTorch CPU training throughput of the benchmark model")
    ap.add_argument("--d-model", type=int, default=256, help="hidden size (256 or 512 in the benchmark)")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads and OpenBLAS/OpenMP threads")
    ap.add_argument("--steps", type=int, default=5, help="timed steps")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    ap.add_argument("--coretype", default=None, help="OPENBLAS_CORETYPE (e.g. SkylakeX); default: auto-detect")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--dim-model-base", type=int, default=128, help="muP base width d0")
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args(argv)


def bench_config(d_model: int, seq: int, dim_model_base: int) -> dict:
    return {
        "num_layers": 8, "d_model": d_model, "ffn_size": int(round(2.5 * d_model)), "num_heads": 8, "num_kv_heads": 2,
        "vocab_size": 8192, "max_seq_len": seq, "rope_theta": 10000, "norm_eps": 1e-6, "tie_embeddings": True,
        "qkv_bias": True, "qk_layernorm": False, "scale_emb": 10, "dim_model_base": dim_model_base,
        "mup_init_rule": "cerebras", "wesar": True, "z_loss": 1e-4,
    }


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # Thread counts and the OpenBLAS core must be in the environment before torch loads libblas / libgomp.
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "GOTO_NUM_THREADS"):
        os.environ[k] = str(args.threads)
    os.environ.pop("OPENBLAS_VERBOSE", None)
    if args.coretype:
        os.environ["OPENBLAS_CORETYPE"] = args.coretype
    else:
        os.environ.pop("OPENBLAS_CORETYPE", None)
    probe = dict(os.environ, OPENBLAS_VERBOSE="2")
    r = subprocess.run([sys.executable, "-c", "import torch"], env=probe, capture_output=True, text=True, timeout=300)
    m = re.search(r"Core:\s*(\S+)", r.stderr + r.stdout)
    blas_core = m.group(1) if m else None

    sys.dont_write_bytecode = True  # keep scripts/torch free of __pycache__
    sys.path.insert(0, os.path.abspath(MODEL_DIR))
    import torch  # noqa: E402
    import make_parity_fixtures as ref  # noqa: E402

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    c = ref.resolve_config(bench_config(args.d_model, args.seq, args.dim_model_base))
    gen = torch.Generator().manual_seed(args.seed)
    params = {k: v.requires_grad_(True) for k, v in ref.init_params(c, gen, perturb=False).items()}
    ordered = [params[n] for n, _, _ in ref.model_tensors(c)]
    train = {"lr": 1e-2, "beta1": 0.9, "beta2": 0.95, "eps": 1e-15, "weight_decay": 0.1}
    opt = ref.make_optimizer(c, params, train)
    n_params = sum(p.numel() for p in ordered)

    B, S = args.batch, args.seq
    positions = torch.arange(S, dtype=torch.int32)[None].expand(B, S).contiguous()
    seg_start = torch.zeros(B, S, dtype=torch.int32)
    mask = ref.visibility_mask(seg_start)
    total = args.warmup + args.steps
    batches = [torch.randint(0, c["vocab_size"], (B, S + 1), generator=gen) for _ in range(total)]

    times, losses = [], []
    for i in range(total):
        ids, targets = batches[i][:, :S], batches[i][:, 1:]
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        logits = ref.forward(c, params, ids, positions, seg_start, mask)
        loss = ref.loss_fn(c, logits, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(ordered, max_norm=1.0)
        opt.step()
        dt = time.perf_counter() - t0
        losses.append(float(loss))
        if i >= args.warmup:
            times.append(dt)
        print(f"step {i + 1}/{total} {'(warm-up) ' if i < args.warmup else ''}{dt:.3f}s loss {float(loss):.4f}",
              file=sys.stderr, flush=True)

    med = statistics.median(times)
    out = {
        "peer": "torch",
        "d_model": args.d_model,
        "threads": args.threads,
        "params": n_params,
        "tokens_per_step": B * S,
        "step_seconds": [round(t, 4) for t in times],
        "median_tokens_per_s": B * S / med,
        "best_tokens_per_s": B * S / min(times),
        "torch_version": torch.__version__,
        "blas_core": blas_core,
        "coretype_requested": args.coretype,
        "losses": [round(x, 4) for x in losses],
        "config": c,
    }
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
