#!/usr/bin/python3
"""Independent PyTorch reference for the pretrain-ts model, and the parity fixtures it is checked against.

Run with Debian's interpreter (it has python3-torch):

    /usr/bin/python3 scripts/torch/make_parity_fixtures.py            # writes test/fixtures/parity-*.safetensors
    /usr/bin/python3 scripts/torch/make_parity_fixtures.py --check    # same, plus the self-checks

Nothing here imports or reads the TypeScript sources: the model below is written from the recipe
(spec §1–§5) and the config semantics of src/model/config.ts / src/model/layout.ts, as a functional
forward over a {name: tensor} dict, so that autograd gives the reference gradients and torch.optim.AdamW
gives the reference optimizer trajectory.

Every fixture holds, for one small config (B=2 rows, S=12 tokens):
  param.<name>      initial weights (after the documented perturbation)
  input_ids, targets, positions, seg_start  (I32 [B,S]) of the step-0 batch
  logits (F32 [B,S,V]), loss (F32 []), grad.<name> (gradient of the step-0 loss, before clipping)
  train.input_ids, train.targets (I32 [10,B,S]; train.*[0] is the step-0 batch; positions/seg_start reused)
  train.losses, train.grad_norm (pre-clip), train.lr_multiplier (F32 [10])
  final.<name>      weights after the 10 AdamW steps
The bench peer bench/peers/torch_train.py imports the model code from this file.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import struct
import sys
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FORMAT = "pretrain-ts-parity-v1"
GENERATOR = "scripts/torch/make_parity_fixtures.py"
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FIXTURE_DIR = os.path.join(REPO_ROOT, "test", "fixtures")

Params = Dict[str, torch.Tensor]

# --------------------------------------------------------------------------------------------------
# Model configuration (the semantics of src/model/config.ts, re-stated)
# --------------------------------------------------------------------------------------------------

GATE_KEYS = ["q", "k", "v", "o", "gate_up", "down", "input_norm", "post_norm", "final_norm", "lm_head"]

# Defaults for the optional fields; None means "derived" (resolved below).
CONFIG_DEFAULTS = {
    "num_kv_heads": None,
    "max_seq_len": 4096,
    "rope_theta": 10000,
    "norm_eps": 1e-6,
    "tie_embeddings": True,
    "qkv_bias": True,
    "qk_layernorm": False,
    "scale_emb": 10,
    "residual_multiplier": None,
    "dim_model_base": None,
    "mup_init_rule": "cerebras",
    "attention_scale_base": None,
    "logit_scale_base": None,
    "wesar": True,
    "wesar_init": {},
    "init_std": 5e-5,
    "z_loss": 1e-4,
    "bos_token_id": None,
    "eos_token_id": None,
}

# The field order of the resolved config (as in the ModelConfig interface).
CONFIG_FIELDS = [
    "num_layers", "d_model", "ffn_size", "num_heads", "num_kv_heads", "vocab_size", "max_seq_len", "rope_theta",
    "norm_eps", "tie_embeddings", "qkv_bias", "qk_layernorm", "scale_emb", "residual_multiplier", "dim_model_base",
    "mup_init_rule", "attention_scale_base", "logit_scale_base", "wesar", "wesar_init", "init_std", "z_loss",
    "bos_token_id", "eos_token_id",
]


def width_multiplier(c: dict) -> float:
    """m = d_model / dim_model_base (1 without muP)."""
    return 1.0 if c["dim_model_base"] is None else c["d_model"] / c["dim_model_base"]


def mup_init_factors(c: dict) -> Tuple[float, float]:
    """(fan-in factor, residual-output factor): 1/sqrt(m) and 1/sqrt(2 m L) (cerebras) or 1/sqrt(m) (minicpm)."""
    if c["dim_model_base"] is None:
        return 1.0, 1.0
    m = width_multiplier(c)
    fan_in = 1.0 / math.sqrt(m)
    if c["mup_init_rule"] == "cerebras":
        return fan_in, 1.0 / math.sqrt(2.0 * m * c["num_layers"])
    return fan_in, fan_in


def head_dim(c: dict) -> int:
    return c["d_model"] // c["num_heads"]


def attention_scale(c: dict) -> float:
    return math.sqrt(c["attention_scale_base"]) / head_dim(c)


def logit_multiplier(c: dict) -> float:
    return c["logit_scale_base"] / c["d_model"]


def resolve_config(user: dict) -> dict:
    """Fills defaults and derived values; returns every field, in ModelConfig order."""
    for k in ("num_layers", "d_model", "ffn_size", "num_heads", "vocab_size"):
        if k not in user:
            raise ValueError(f"model config needs {k}")
    unknown = set(user) - set(CONFIG_FIELDS)
    if unknown:
        raise ValueError(f"unknown model config fields {sorted(unknown)}")
    raw = dict(CONFIG_DEFAULTS)
    raw.update(user)
    d, h = raw["d_model"], raw["num_heads"]
    kv = raw["num_kv_heads"] if raw["num_kv_heads"] is not None else h
    if d % h != 0:
        raise ValueError("d_model must be a multiple of num_heads")
    if (d // h) % 2 != 0:
        raise ValueError("head_dim must be even for RoPE")
    if h % kv != 0:
        raise ValueError("num_heads must be a multiple of num_kv_heads")
    if raw["mup_init_rule"] not in ("cerebras", "minicpm"):
        raise ValueError("mup_init_rule must be cerebras or minicpm")
    raw["num_kv_heads"] = kv
    if raw["residual_multiplier"] is None:
        raw["residual_multiplier"] = 1.4 / math.sqrt(raw["num_layers"])
    if raw["attention_scale_base"] is None:
        raw["attention_scale_base"] = d // h
    if raw["logit_scale_base"] is None:
        raw["logit_scale_base"] = d
    fan_in, res_out = mup_init_factors(raw)
    gates = {"q": fan_in, "k": fan_in, "v": fan_in, "o": res_out, "gate_up": fan_in, "down": res_out,
             "input_norm": 1.0, "post_norm": 1.0, "final_norm": 1.0, "lm_head": 1.0}
    for k, v in (raw["wesar_init"] or {}).items():
        if k not in gates:
            raise ValueError(f"unknown wesar_init key {k}")
        if v is not None:
            gates[k] = v
    raw["wesar_init"] = gates
    return {k: raw[k] for k in CONFIG_FIELDS}


# --------------------------------------------------------------------------------------------------
# Parameter list (names/shapes/kinds in the order of layout.ts modelTensors) and optimizer groups
# --------------------------------------------------------------------------------------------------

HIDDEN_SUBSTRINGS = ("down_proj", "o_proj", "q_proj", "k_proj", "v_proj", "up_proj", "gate_proj", "lm_head")


def param_group(name: str) -> str:
    """'hidden' (muP hidden matrices, lr*d0/d) or 'base' (everything else), spec §2.6."""
    if name.endswith(".weight") and any(s in name for s in HIDDEN_SUBSTRINGS):
        return "hidden"
    return "base"


def model_tensors(c: dict) -> List[Tuple[str, List[int], str]]:
    hd = head_dim(c)
    q_dim, kv_dim, d = c["num_heads"] * hd, c["num_kv_heads"] * hd, c["d_model"]
    out: List[Tuple[str, List[int], str]] = [("model.embed_tokens.weight", [c["vocab_size"], d], "embedding")]
    for i in range(c["num_layers"]):
        p = f"model.layers.{i}"
        out.append((f"{p}.input_layernorm.weight", [d], "norm"))
        if c["wesar"]:
            out.append((f"{p}.input_layernorm_alpha", [], "gate"))
        for proj, rows in (("q", q_dim), ("k", kv_dim), ("v", kv_dim)):
            out.append((f"{p}.self_attn.{proj}_proj.weight", [rows, d], "matrix_in"))
            if c["qkv_bias"]:
                out.append((f"{p}.self_attn.{proj}_proj.bias", [rows], "bias"))
            if c["wesar"]:
                out.append((f"{p}.self_attn.{proj}_proj_alpha", [1], "gate"))
        if c["qk_layernorm"]:
            out.append((f"{p}.self_attn.q_layernorm.weight", [q_dim], "qk_norm"))
            out.append((f"{p}.self_attn.k_layernorm.weight", [kv_dim], "qk_norm"))
        out.append((f"{p}.self_attn.o_proj.weight", [d, q_dim], "matrix_out"))
        if c["wesar"]:
            out.append((f"{p}.self_attn.o_proj_alpha", [1], "gate"))
        out.append((f"{p}.post_attention_layernorm.weight", [d], "norm"))
        if c["wesar"]:
            out.append((f"{p}.post_attention_layernorm_alpha", [], "gate"))
        out.append((f"{p}.mlp.gate_proj.weight", [c["ffn_size"], d], "matrix_in"))
        out.append((f"{p}.mlp.up_proj.weight", [c["ffn_size"], d], "matrix_in"))
        out.append((f"{p}.mlp.down_proj.weight", [d, c["ffn_size"]], "matrix_out"))
        if c["wesar"]:
            out.append((f"{p}.gate_up_proj_alpha", [], "gate"))
            out.append((f"{p}.down_proj_alpha", [], "gate"))
    out.append(("model.norm.weight", [d], "norm"))
    if c["wesar"]:
        out.append(("model.norm_alpha", [], "gate"))
    if not c["tie_embeddings"]:
        out.append(("lm_head.weight", [c["vocab_size"], d], "lm_head"))
    if c["wesar"]:
        out.append(("lm_head_alpha", [], "gate"))
    return out


def gate_key(name: str) -> str:
    """The wesar_init key of a gate parameter name."""
    table = [("input_layernorm_alpha", "input_norm"), ("post_attention_layernorm_alpha", "post_norm"),
             ("q_proj_alpha", "q"), ("k_proj_alpha", "k"), ("v_proj_alpha", "v"), ("o_proj_alpha", "o"),
             ("gate_up_proj_alpha", "gate_up"), ("down_proj_alpha", "down"), ("model.norm_alpha", "final_norm"),
             ("lm_head_alpha", "lm_head")]
    for suffix, key in table:
        if name.endswith(suffix):
            return key
    raise KeyError(name)


# --------------------------------------------------------------------------------------------------
# Initialization (spec §2.3) and the fixture perturbation
# --------------------------------------------------------------------------------------------------

PERTURBATION_NOTE = (
    "After the spec init (every matrix ~ N(0, init_std^2), embedding included; with wesar=false and muP the "
    "mupInitFactors multiply the std; gates = wesar_init; norm gains 1; biases 0) the fixture perturbs every "
    "path: each norm gain (RMSNorm and QK-LayerNorm) += N(0, 0.1^2), each bias ~ N(0, 0.02^2), each WeSaR gate "
    "*= (1 + N(0, 0.1^2)). The param.* tensors are the perturbed values; config.wesar_init holds the unperturbed "
    "gate inits. Gradients of shared (tied) embeddings are summed over both uses. Clipping is "
    "torch.nn.utils.clip_grad_norm_: coef = min(1, clip / (total_norm + 1e-6)) applied to all gradients."
)


def init_params(c: dict, gen: torch.Generator, perturb: bool = True, dtype=torch.float32) -> Params:
    fan_in, res_out = mup_init_factors(c)
    # Without WeSaR, the muP init factors go into the std (with WeSaR they are the gate inits).
    scale_std = not c["wesar"]
    params: Params = {}
    for name, shape, kind in model_tensors(c):
        if kind in ("embedding", "lm_head", "matrix_in", "matrix_out"):
            std = c["init_std"]
            if scale_std and kind == "matrix_in":
                std *= fan_in
            elif scale_std and kind == "matrix_out":
                std *= res_out
            t = torch.randn(shape, generator=gen, dtype=torch.float64) * std
        elif kind in ("norm", "qk_norm"):
            t = torch.ones(shape, dtype=torch.float64)
            if perturb:
                t = t + 0.1 * torch.randn(shape, generator=gen, dtype=torch.float64)
        elif kind == "bias":
            t = torch.zeros(shape, dtype=torch.float64)
            if perturb:
                t = 0.02 * torch.randn(shape, generator=gen, dtype=torch.float64)
        elif kind == "gate":
            t = torch.full(shape, float(c["wesar_init"][gate_key(name)]), dtype=torch.float64)
            if perturb:
                t = t * (1.0 + 0.1 * torch.randn(shape, generator=gen, dtype=torch.float64))
        else:
            raise AssertionError(kind)
        params[name] = t.to(dtype).contiguous()
    return params


# --------------------------------------------------------------------------------------------------
# Forward pass (spec §2.2 with the config options)
# --------------------------------------------------------------------------------------------------


def rms_norm(x: torch.Tensor, gain: torch.Tensor, eps: float) -> torch.Tensor:
    """x / sqrt(mean(x^2) + eps) * gain over the last axis."""
    inv = torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)
    return x * inv * gain


def per_head_layer_norm(x: torch.Tensor, gain: torch.Tensor, heads: int, eps: float) -> torch.Tensor:
    """LayerNorm without bias over each head's slice of the last axis (biased variance); gain is [heads*hd]."""
    shape = x.shape
    xh = x.reshape(*shape[:-1], heads, shape[-1] // heads)
    mu = xh.mean(dim=-1, keepdim=True)
    centred = xh - mu
    var = centred.pow(2).mean(dim=-1, keepdim=True)
    y = centred * torch.rsqrt(var + eps)
    return y.reshape(shape) * gain


def rope_tables(positions: torch.Tensor, hd: int, theta: float, dtype) -> Tuple[torch.Tensor, torch.Tensor]:
    """cos/sin [B,1,S,hd] in the HF rotate_half layout (frequencies duplicated); computed in float64, then cast."""
    half = hd // 2
    inv_freq = torch.tensor([theta ** (-2.0 * i / hd) for i in range(half)], dtype=torch.float64)
    ang = positions.to(torch.float64)[..., None] * inv_freq  # [B,S,half]
    ang = torch.cat([ang, ang], dim=-1)[:, None, :, :]
    return ang.cos().to(dtype), ang.sin().to(dtype)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def visibility_mask(seg_start: torch.Tensor) -> torch.Tensor:
    """[B,S,S] bool: key j visible to query i iff seg_start[b,i] <= j <= i."""
    s = seg_start.shape[1]
    j = torch.arange(s)
    i = torch.arange(s)
    causal = j[None, :] <= i[:, None]  # [S,S]
    in_doc = j[None, None, :] >= seg_start[:, :, None].long()  # [B,S,S]
    return causal[None] & in_doc


def forward(c: dict, p: Params, ids: torch.Tensor, positions: torch.Tensor, seg_start: torch.Tensor,
            mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Returns logits [B,S,V] (dtype of the parameters)."""
    wesar = c["wesar"]
    eps = c["norm_eps"]
    rm = c["residual_multiplier"]
    H, KV, hd = c["num_heads"], c["num_kv_heads"], head_dim(c)
    B, S = ids.shape
    dtype = p["model.embed_tokens.weight"].dtype

    def gate(name: str):
        return p[name] if wesar else None

    def scaled(x: torch.Tensor, name: str) -> torch.Tensor:
        g = gate(name)
        return x if g is None else x * g

    cos, sin = rope_tables(positions, hd, c["rope_theta"], dtype)
    if mask is None:
        mask = visibility_mask(seg_start)
    neg = torch.zeros(mask.shape, dtype=dtype).masked_fill(~mask, float("-inf"))[:, None]  # [B,1,S,S]
    kv_of_head = torch.tensor([(h * KV) // H for h in range(H)], dtype=torch.long)
    att_scale = attention_scale(c)
    softmax_dtype = torch.float64 if dtype == torch.float64 else torch.float32  # softmax in at least fp32

    emb = p["model.embed_tokens.weight"]
    x = c["scale_emb"] * emb[ids.long()]
    for l in range(c["num_layers"]):
        pre = f"model.layers.{l}"
        a = scaled(rms_norm(x, p[f"{pre}.input_layernorm.weight"], eps), f"{pre}.input_layernorm_alpha")
        proj = {}
        for name in ("q", "k", "v"):
            y = a.matmul(p[f"{pre}.self_attn.{name}_proj.weight"].t())
            if c["qkv_bias"]:
                y = y + p[f"{pre}.self_attn.{name}_proj.bias"]
            proj[name] = scaled(y, f"{pre}.self_attn.{name}_proj_alpha")
        q, k, v = proj["q"], proj["k"], proj["v"]
        if c["qk_layernorm"]:
            q = per_head_layer_norm(q, p[f"{pre}.self_attn.q_layernorm.weight"], H, eps)
            k = per_head_layer_norm(k, p[f"{pre}.self_attn.k_layernorm.weight"], KV, eps)
        q = q.reshape(B, S, H, hd).transpose(1, 2)
        k = k.reshape(B, S, KV, hd).transpose(1, 2)
        v = v.reshape(B, S, KV, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k[:, kv_of_head]
        v = v[:, kv_of_head]
        scores = q.matmul(k.transpose(-1, -2)) * att_scale + neg
        probs = torch.softmax(scores.to(softmax_dtype), dim=-1).to(dtype)
        o = probs.matmul(v).transpose(1, 2).reshape(B, S, H * hd)
        o = o.matmul(p[f"{pre}.self_attn.o_proj.weight"].t())
        x = x + rm * scaled(o, f"{pre}.self_attn.o_proj_alpha")
        b = scaled(rms_norm(x, p[f"{pre}.post_attention_layernorm.weight"], eps), f"{pre}.post_attention_layernorm_alpha")
        b = scaled(b, f"{pre}.gate_up_proj_alpha")
        gate_act = F.silu(b.matmul(p[f"{pre}.mlp.gate_proj.weight"].t()))
        up = b.matmul(p[f"{pre}.mlp.up_proj.weight"].t())
        mlp = (gate_act * up).matmul(p[f"{pre}.mlp.down_proj.weight"].t())
        x = x + rm * scaled(mlp, f"{pre}.down_proj_alpha")
    h = scaled(rms_norm(x, p["model.norm.weight"], eps), "model.norm_alpha")
    h = scaled(h, "lm_head_alpha") * logit_multiplier(c)
    head = emb if c["tie_embeddings"] else p["lm_head.weight"]
    return h.matmul(head.t())


def loss_fn(c: dict, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean over targets != -1 of CE + z_loss * logsumexp^2."""
    valid = targets.long() != -1
    if not bool(valid.any()):
        raise ValueError("batch has no target")
    lse = torch.logsumexp(logits, dim=-1)
    picked = logits.gather(-1, targets.long().clamp(min=0)[..., None])[..., 0]
    per_token = (lse - picked) + c["z_loss"] * lse * lse
    return per_token[valid].mean()


# --------------------------------------------------------------------------------------------------
# Optimizer and schedule (spec §2.6, §4, §5)
# --------------------------------------------------------------------------------------------------


def wsd_lambda(step: int, sched: dict) -> float:
    ds = sched.get("decay_start")
    if ds is not None and step >= ds:
        s = step if sched.get("clamp_step") is None else min(step, sched["clamp_step"])
        prog = min(1.0, (s - ds) / sched["decay_steps"])
        shape = sched["decay_shape"]
        if shape == "1-sqrt":
            f = 1.0 - math.sqrt(prog)
        elif shape == "linear":
            f = 1.0 - prog
        elif shape == "cosine":
            f = (1.0 + math.cos(math.pi * prog)) / 2.0
        else:
            raise ValueError(shape)
        return sched["end_lambda"] + (sched["start_lambda"] - sched["end_lambda"]) * f
    if step < sched["warmup_steps"]:
        return step / sched["warmup_steps"]
    return 1.0


def group_lrs(c: dict, lr: float) -> Dict[str, float]:
    hidden = lr * (c["dim_model_base"] / c["d_model"]) if c["dim_model_base"] is not None else lr
    return {"hidden": hidden, "base": lr}


def make_optimizer(c: dict, params: Params, train: dict) -> torch.optim.AdamW:
    lrs = group_lrs(c, train["lr"])
    groups = []
    for g in ("hidden", "base"):
        members = [params[n] for n, _, _ in model_tensors(c) if param_group(n) == g]
        if members:
            groups.append({"params": members, "lr": lrs[g], "base_lr": lrs[g], "group": g})
    return torch.optim.AdamW(groups, lr=train["lr"], betas=(train["beta1"], train["beta2"]), eps=train["eps"],
                             weight_decay=train["weight_decay"], amsgrad=False, foreach=False)


# --------------------------------------------------------------------------------------------------
# safetensors, written and read by hand
# --------------------------------------------------------------------------------------------------

_DTYPES = {np.dtype("float32"): "F32", np.dtype("int32"): "I32", np.dtype("float64"): "F64", np.dtype("int64"): "I64"}
_NP_OF = {v: k for k, v in _DTYPES.items()}


def write_safetensors(path: str, tensors: Dict[str, np.ndarray], metadata: Dict[str, str]) -> int:
    header: Dict[str, object] = {"__metadata__": {str(k): str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        arr = np.array(arr, order="C", copy=False)  # (ascontiguousarray would turn 0-d into 1-d)
        if arr.dtype not in _DTYPES:
            raise TypeError(f"{name}: unsupported dtype {arr.dtype}")
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _DTYPES[arr.dtype], "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)
    return 8 + len(hjson) + offset


def read_safetensors(path: str) -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        dt = _NP_OF[info["dtype"]].newbyteorder("<")
        out[name] = np.frombuffer(raw[base + b:base + e], dtype=dt).reshape(info["shape"]).astype(dt.newbyteorder("="))
    return out, meta


# --------------------------------------------------------------------------------------------------
# The three fixtures
# --------------------------------------------------------------------------------------------------

B, S, STEPS = 2, 12, 10

FIXTURES = {
    "yulan": {
        "seed": 20240101,
        "model": {
            "num_layers": 2, "d_model": 32, "ffn_size": 48, "num_heads": 4, "num_kv_heads": 2, "vocab_size": 67,
            "max_seq_len": 16, "rope_theta": 10000, "norm_eps": 1e-6, "tie_embeddings": True, "qkv_bias": True,
            "qk_layernorm": False, "scale_emb": 10, "residual_multiplier": 1.4 / math.sqrt(2), "dim_model_base": 16,
            "mup_init_rule": "cerebras", "attention_scale_base": 8, "logit_scale_base": 32, "wesar": True,
            "init_std": 0.02, "z_loss": 1e-4,
        },
        "train": {"lr": 1e-2, "beta1": 0.9, "beta2": 0.95, "eps": 1e-15, "weight_decay": 0.1, "clip": 1.0,
                  "decay_shape": "1-sqrt"},
        "docs": None,
        "ignored_fraction": 0.0,
    },
    "llama": {
        "seed": 20240202,
        "model": {
            "num_layers": 2, "d_model": 32, "ffn_size": 64, "num_heads": 4, "num_kv_heads": 4, "vocab_size": 61,
            "max_seq_len": 16, "rope_theta": 10000, "norm_eps": 1e-5, "tie_embeddings": False, "qkv_bias": False,
            "qk_layernorm": False, "scale_emb": 1, "residual_multiplier": 1, "dim_model_base": None, "wesar": False,
            "init_std": 0.02, "z_loss": 0,
        },
        "train": {"lr": 3e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01, "clip": 1.0,
                  "decay_shape": "cosine"},
        "docs": None,
        "ignored_fraction": 0.0,
    },
    "variants": {
        "seed": 20240303,
        "model": {
            "num_layers": 2, "d_model": 48, "ffn_size": 40, "num_heads": 4, "num_kv_heads": 1, "vocab_size": 53,
            "max_seq_len": 16, "rope_theta": 10000, "norm_eps": 1e-6, "tie_embeddings": False, "qkv_bias": True,
            "qk_layernorm": True, "scale_emb": 12, "residual_multiplier": 0.5, "dim_model_base": 16,
            "mup_init_rule": "minicpm", "attention_scale_base": 1, "logit_scale_base": 16, "wesar": True,
            "init_std": 0.02, "z_loss": 1e-3,
        },
        "train": {"lr": 5e-3, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "weight_decay": 0.1, "clip": 0.5,
                  "decay_shape": "linear"},
        "docs": [[5, 7], [3, 4, 5]],  # document lengths per row; positions and seg_start restart at each
        "ignored_fraction": 0.15,
    },
}


def train_config(spec: dict) -> dict:
    t = spec["train"]
    return {
        "lr": t["lr"], "beta1": t["beta1"], "beta2": t["beta2"], "eps": t["eps"], "weight_decay": t["weight_decay"],
        "clip": t["clip"],
        "schedule": {"warmup_steps": 2, "decay_start": 5, "decay_steps": 5, "decay_shape": t["decay_shape"],
                     "start_lambda": 1, "end_lambda": 0.1, "clamp_step": None},
        "steps": STEPS,
    }


def layout_tensors(docs: Optional[List[List[int]]]) -> Tuple[torch.Tensor, torch.Tensor]:
    """positions and seg_start (int32 [B,S]) for packed rows of documents (one document per row when None)."""
    positions = torch.zeros(B, S, dtype=torch.int32)
    seg = torch.zeros(B, S, dtype=torch.int32)
    for b in range(B):
        lengths = docs[b] if docs is not None else [S]
        assert sum(lengths) == S
        start = 0
        for n in lengths:
            positions[b, start:start + n] = torch.arange(n, dtype=torch.int32)
            seg[b, start:start + n] = start
            start += n
    return positions, seg


def random_batch(gen: torch.Generator, vocab: int, ignored_fraction: float) -> Tuple[torch.Tensor, torch.Tensor]:
    seq = torch.randint(0, vocab, (B, S + 1), generator=gen, dtype=torch.int64)
    ids, targets = seq[:, :S].clone(), seq[:, 1:].clone()
    n_ignored = int(round(ignored_fraction * B * S))
    if n_ignored:
        flat = targets.reshape(-1)
        flat[torch.randperm(B * S, generator=gen)[:n_ignored]] = -1
    return ids.to(torch.int32), targets.to(torch.int32)


def build_fixture(name: str) -> dict:
    spec = FIXTURES[name]
    c = resolve_config(spec["model"])
    train = train_config(spec)
    seed = spec["seed"]
    torch.manual_seed(seed)
    init_gen = torch.Generator().manual_seed(seed)
    data_gen = torch.Generator().manual_seed(seed + 1)

    init = init_params(c, init_gen)
    positions, seg_start = layout_tensors(spec["docs"])
    batches = [random_batch(data_gen, c["vocab_size"], spec["ignored_fraction"]) for _ in range(STEPS)]
    mask = visibility_mask(seg_start)

    params = {k: v.clone().requires_grad_(True) for k, v in init.items()}
    opt = make_optimizer(c, params, train)
    ordered = [params[n] for n, _, _ in model_tensors(c)]
    losses, norms, lambdas = [], [], []
    step0 = {}
    for s in range(STEPS):
        ids, targets = batches[s]
        opt.zero_grad(set_to_none=True)
        logits = forward(c, params, ids, positions, seg_start, mask)
        loss = loss_fn(c, logits, targets)
        loss.backward()
        if s == 0:
            step0["logits"] = logits.detach().clone()
            step0["loss"] = loss.detach().clone()
            step0["grads"] = {n: params[n].grad.detach().clone() for n in params}
        total = torch.nn.utils.clip_grad_norm_(ordered, max_norm=train["clip"], norm_type=2.0)
        lam = wsd_lambda(s, train["schedule"])
        for g in opt.param_groups:
            g["lr"] = g["base_lr"] * lam
        opt.step()
        losses.append(float(loss))
        norms.append(float(total))
        lambdas.append(lam)

    tensors: Dict[str, np.ndarray] = {}
    for n, _, _ in model_tensors(c):
        tensors[f"param.{n}"] = init[n].numpy()
    tensors["input_ids"] = batches[0][0].numpy()
    tensors["targets"] = batches[0][1].numpy()
    tensors["positions"] = positions.numpy()
    tensors["seg_start"] = seg_start.numpy()
    tensors["logits"] = step0["logits"].numpy()
    tensors["loss"] = step0["loss"].reshape([]).numpy()
    for n, _, _ in model_tensors(c):
        tensors[f"grad.{n}"] = step0["grads"][n].numpy()
    tensors["train.input_ids"] = torch.stack([b[0] for b in batches]).numpy()
    tensors["train.targets"] = torch.stack([b[1] for b in batches]).numpy()
    tensors["train.losses"] = np.array(losses, dtype=np.float32)
    tensors["train.grad_norm"] = np.array(norms, dtype=np.float32)
    tensors["train.lr_multiplier"] = np.array(lambdas, dtype=np.float32)
    for n, _, _ in model_tensors(c):
        tensors[f"final.{n}"] = params[n].detach().numpy()
    for k in list(tensors):
        arr = tensors[k]
        tensors[k] = np.array(arr.astype(np.int32) if arr.dtype.kind in "iu" else arr.astype(np.float32), order="C")

    metadata = {
        "format": FORMAT,
        "config": json.dumps(c),
        "train": json.dumps(train),
        "generator": GENERATOR,
        "torch_version": torch.__version__,
        "seed": str(seed),
        "note": PERTURBATION_NOTE,
    }
    return {"name": name, "config": c, "train": train, "tensors": tensors, "metadata": metadata,
            "losses": losses, "norms": norms, "lambdas": lambdas}


def summarize(fx: dict, path: str, size: int) -> None:
    c, t = fx["config"], fx["tensors"]
    kinds: Dict[str, float] = {}
    for n, _, kind in model_tensors(c):
        g = np.abs(t[f"grad.{n}"]).max() if t[f"grad.{n}"].size else 0.0
        kinds[kind] = max(kinds.get(kind, 0.0), float(g))
    nparams = sum(int(np.prod(s)) for _, s, _ in model_tensors(c))
    print(f"[{fx['name']}] {os.path.relpath(path, REPO_ROOT)}: {size} bytes, {nparams} parameters")
    print(f"  step-0 loss {float(t['loss']):.7f}   logits |max| {float(np.abs(t['logits']).max()):.5f}")
    print("  max |grad| by kind: " + ", ".join(f"{k} {v:.4e}" for k, v in kinds.items()))
    print("  losses:    " + " ".join(f"{x:.6f}" for x in fx["losses"]))
    print("  grad norm: " + " ".join(f"{x:.4f}" for x in fx["norms"]))
    print("  lambda:    " + " ".join(f"{x:.4f}" for x in fx["lambdas"]))


# --------------------------------------------------------------------------------------------------
# Self-checks (--check)
# --------------------------------------------------------------------------------------------------


class _RMSNorm(nn.Module):
    def __init__(self, d: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


class _Attention(nn.Module):
    def __init__(self, d, heads, kv_heads, bias):
        super().__init__()
        self.heads, self.kv_heads, self.hd = heads, kv_heads, d // heads
        self.q_proj = nn.Linear(d, heads * self.hd, bias=bias)
        self.k_proj = nn.Linear(d, kv_heads * self.hd, bias=bias)
        self.v_proj = nn.Linear(d, kv_heads * self.hd, bias=bias)
        self.o_proj = nn.Linear(heads * self.hd, d, bias=False)

    def forward(self, x, cos, sin):
        bsz, seq, _ = x.shape
        q = self.q_proj(x).view(bsz, seq, self.heads, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(bsz, seq, self.kv_heads, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(bsz, seq, self.kv_heads, self.hd).transpose(1, 2)

        def rot(t):
            t1, t2 = t[..., : self.hd // 2], t[..., self.hd // 2:]
            return torch.cat((-t2, t1), dim=-1)

        q = q * cos + rot(q) * sin
        k = k * cos + rot(k) * sin
        rep = self.heads // self.kv_heads
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        w = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.hd)
        causal = torch.full((seq, seq), float("-inf"), dtype=x.dtype).triu(1)
        w = torch.softmax((w + causal).float(), dim=-1).to(q.dtype)
        out = torch.matmul(w, v).transpose(1, 2).reshape(bsz, seq, -1)
        return self.o_proj(out)


class _MLP(nn.Module):
    def __init__(self, d, f):
        super().__init__()
        self.gate_proj = nn.Linear(d, f, bias=False)
        self.up_proj = nn.Linear(d, f, bias=False)
        self.down_proj = nn.Linear(f, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class _Layer(nn.Module):
    def __init__(self, d, f, heads, kv_heads, eps, bias):
        super().__init__()
        self.self_attn = _Attention(d, heads, kv_heads, bias)
        self.mlp = _MLP(d, f)
        self.input_layernorm = _RMSNorm(d, eps)
        self.post_attention_layernorm = _RMSNorm(d, eps)

    def forward(self, x, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class _Inner(nn.Module):
    def __init__(self, vocab, d, f, layers, heads, kv_heads, eps, bias):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList([_Layer(d, f, heads, kv_heads, eps, bias) for _ in range(layers)])
        self.norm = _RMSNorm(d, eps)


class TextbookLlama(nn.Module):
    """A plain Hugging Face-style Llama (untied head, 1/sqrt(hd) attention, causal mask, positions 0..S-1)."""

    def __init__(self, vocab, d, f, layers, heads, kv_heads, eps, theta, bias=False):
        super().__init__()
        self.model = _Inner(vocab, d, f, layers, heads, kv_heads, eps, bias)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        hd = d // heads
        inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, ids):
        seq = ids.shape[1]
        t = torch.arange(seq, dtype=torch.float64)
        freqs = torch.outer(t, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        dtype = self.lm_head.weight.dtype
        cos, sin = emb.cos().to(dtype)[None, None], emb.sin().to(dtype)[None, None]
        x = self.model.embed_tokens(ids)
        for layer in self.model.layers:
            x = layer(x, cos, sin)
        return self.lm_head(self.model.norm(x))


def _report(label: str, ok: bool, detail: str) -> bool:
    print(f"  [{'ok' if ok else 'FAIL'}] {label}: {detail}")
    return ok


def _max_rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / b.abs().max().clamp(min=1e-30))


def check_fixture(fx: dict, path: str) -> bool:
    name, c, t = fx["name"], fx["config"], fx["tensors"]
    ok = True
    print(f"[check {name}]")
    # 1. round trip through the file
    back, meta = read_safetensors(path)
    same = set(back) == set(t) and all(np.array_equal(back[k], t[k]) and back[k].dtype == t[k].dtype for k in t)
    ok &= _report("safetensors round trip", same and meta == fx["metadata"], f"{len(back)} tensors, metadata {sorted(meta)}")

    ids = torch.from_numpy(t["input_ids"])
    targets = torch.from_numpy(t["targets"])
    positions = torch.from_numpy(t["positions"])
    seg = torch.from_numpy(t["seg_start"])
    p64 = {n: torch.from_numpy(t[f"param.{n}"]).double() for n, _, _ in model_tensors(c)}

    # 2. float64 autograd vs the stored float32 gradients, and central finite differences on sampled entries
    leaf = {k: v.clone().requires_grad_(True) for k, v in p64.items()}
    loss64 = loss_fn(c, forward(c, leaf, ids, positions, seg), targets)
    loss64.backward()
    global_max = max(float(v.grad.abs().max()) for v in leaf.values())
    worst, worst_name, tiny = 0.0, "", []
    for n in leaf:
        ref = leaf[n].grad
        got = torch.from_numpy(t[f"grad.{n}"]).double()
        # error relative to the tensor's largest gradient; tensors whose whole gradient is < 1e-6 of the
        # global largest (e.g. the q/k gates under QK-LayerNorm, which act only through eps) are held to an
        # absolute 1e-9 of the global scale instead
        if float(ref.abs().max()) < 1e-6 * global_max:
            tiny.append(n.split(".", 2)[-1] if n.startswith("model.layers") else n)
            err = float((got - ref).abs().max()) / global_max / 1e3
        else:
            err = float((got - ref).abs().max() / ref.abs().max())
        if err > worst:
            worst, worst_name = err, n
    detail = f"max per-tensor rel err {worst:.2e} ({worst_name}); loss fp32 {float(t['loss']):.7f} fp64 {float(loss64):.7f}"
    if tiny:
        detail += f"; near-zero-gradient tensors (abs check): {sorted(set(tiny))}"
    ok &= _report("fp32 fixture grads vs fp64 autograd", worst < 1e-4, detail)
    gen = torch.Generator().manual_seed(7)
    fd_worst = 0.0
    h = 1e-5
    names = [n for n, _, _ in model_tensors(c)]
    for n in names:
        flat_n = p64[n].numel()
        for idx in torch.randperm(flat_n, generator=gen)[:2].tolist():
            vals = []
            for sign in (1.0, -1.0):
                q = {k: v.clone() for k, v in p64.items()}
                q[n].view(-1)[idx] += sign * h
                vals.append(float(loss_fn(c, forward(c, q, ids, positions, seg), targets)))
            fd = (vals[0] - vals[1]) / (2 * h)
            an = float(leaf[n].grad.view(-1)[idx])
            scale = max(abs(fd), abs(an), 1e-3 * float(leaf[n].grad.abs().max()), 1e-6 * global_max)
            fd_worst = max(fd_worst, abs(fd - an) / scale)
    ok &= _report("fp64 central differences (h=1e-5) vs autograd, 2 entries of every tensor", fd_worst < 1e-3,
                  f"max rel err {fd_worst:.2e}")

    # torch.autograd.gradcheck on a few whole tensors (gates, biases, norms, qk-norms, a matrix)
    picks = [n for n in names if (n.endswith("_alpha") or n.endswith(".bias") or "layernorm" in n or n == "model.norm.weight")
             and n.startswith(("model.layers.1", "model.norm", "lm_head"))]
    picks += ["model.layers.0.self_attn.k_proj.weight"]

    def fn(*tensors):
        q = dict(p64)
        for n, v in zip(picks, tensors):
            q[n] = v
        return loss_fn(c, forward(c, q, ids, positions, seg), targets)

    inputs = tuple(p64[n].clone().requires_grad_(True) for n in picks)
    passed = torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-7, rtol=1e-5, raise_exception=False)
    ok &= _report("torch.autograd.gradcheck", bool(passed), f"{len(picks)} tensors ({sum(p64[n].numel() for n in picks)} entries)")

    # 3. loss against F.cross_entropy(ignore_index=-1)
    logits = torch.from_numpy(t["logits"]).double()
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1).long(), ignore_index=-1)
    lse = torch.logsumexp(logits, -1)
    keep = targets.long() != -1
    alt = ce + c["z_loss"] * (lse[keep] ** 2).mean()
    ok &= _report("loss vs F.cross_entropy + z-term", abs(float(alt) - float(t["loss"])) < 1e-5,
                  f"{float(alt):.7f} vs {float(t['loss']):.7f}")

    # 4. the 10 optimizer steps re-done with a hand-written clip + AdamW (spec §4) in float64
    ok &= check_manual_adamw(fx)

    # 5. fixture-specific independent forwards
    if name == "llama":
        ok &= check_textbook_llama(fx)
    if name == "yulan":
        ok &= check_merged_into_llama(fx)
    if name == "variants":
        ok &= check_document_isolation(fx)
    return ok


def check_manual_adamw(fx: dict) -> bool:
    c, t, tr = fx["config"], fx["tensors"], fx["train"]
    names = [n for n, _, _ in model_tensors(c)]
    p = {n: torch.from_numpy(t[f"param.{n}"]).double() for n in names}
    m = {n: torch.zeros_like(v) for n, v in p.items()}
    v2 = {n: torch.zeros_like(v) for n, v in p.items()}
    lrs = group_lrs(c, tr["lr"])
    positions = torch.from_numpy(t["positions"])
    seg = torch.from_numpy(t["seg_start"])
    b1, b2, eps, wd = tr["beta1"], tr["beta2"], tr["eps"], tr["weight_decay"]
    loss_err = norm_err = 0.0
    for s in range(tr["steps"]):
        leaf = {k: x.clone().requires_grad_(True) for k, x in p.items()}
        loss = loss_fn(c, forward(c, leaf, torch.from_numpy(t["train.input_ids"][s]), positions, seg),
                       torch.from_numpy(t["train.targets"][s]))
        loss.backward()
        g = {k: leaf[k].grad for k in names}
        norm = math.sqrt(sum(float((x * x).sum()) for x in g.values()))
        coef = min(1.0, tr["clip"] / (norm + 1e-6))
        lam = wsd_lambda(s, tr["schedule"])
        loss_err = max(loss_err, abs(float(loss) - float(t["train.losses"][s])))
        norm_err = max(norm_err, abs(norm - float(t["train.grad_norm"][s])) / norm)
        step = s + 1
        for k in names:
            gk = g[k] * coef
            lr = lrs[param_group(k)] * lam
            m[k] = b1 * m[k] + (1 - b1) * gk
            v2[k] = b2 * v2[k] + (1 - b2) * gk * gk
            mhat = m[k] / (1 - b1 ** step)
            vhat = v2[k] / (1 - b2 ** step)
            p[k] = p[k] - lr * (mhat / (vhat.sqrt() + eps) + wd * p[k])
    worst, worst_name = 0.0, ""
    for k in names:
        ref = torch.from_numpy(t[f"final.{k}"]).double()
        init = torch.from_numpy(t[f"param.{k}"]).double()
        moved = (ref - init).abs().max()
        err = float((p[k] - ref).abs().max() / (moved + 1e-12))
        if err > worst:
            worst, worst_name = err, k
    ok = worst < 2e-2 and loss_err < 1e-4 and norm_err < 1e-4
    return _report("10 steps with hand-written clip+AdamW in fp64 vs torch AdamW fp32", ok,
                   f"max |dfinal|/|movement| {worst:.2e} ({worst_name}), max loss diff {loss_err:.1e}, "
                   f"grad-norm rel diff {norm_err:.1e}")


def _textbook_from(c: dict, state: Dict[str, torch.Tensor], bias: bool) -> TextbookLlama:
    model = TextbookLlama(c["vocab_size"], c["d_model"], c["ffn_size"], c["num_layers"], c["num_heads"],
                          c["num_kv_heads"], c["norm_eps"], c["rope_theta"], bias=bias)
    model.load_state_dict(state, strict=True)
    return model


def check_textbook_llama(fx: dict) -> bool:
    c, t = fx["config"], fx["tensors"]
    state = {n: torch.from_numpy(t[f"param.{n}"]).clone() for n, _, _ in model_tensors(c)}
    model = _textbook_from(c, state, bias=False)
    ids = torch.from_numpy(t["input_ids"]).long()
    logits = model(ids)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), torch.from_numpy(t["targets"]).long().reshape(-1))
    loss.backward()
    le = _max_rel(logits.detach(), torch.from_numpy(t["logits"]))
    ge = 0.0
    for n, prm in model.named_parameters():
        ge = max(ge, _max_rel(prm.grad, torch.from_numpy(t[f"grad.{n}"])))
    ok = le < 1e-5 and ge < 1e-4 and abs(float(loss) - float(t["loss"])) < 1e-5
    return _report("llama == textbook HF-style Llama module", ok,
                   f"logits rel err {le:.2e}, grads rel err {ge:.2e}, loss {float(loss):.7f}")


def check_merged_into_llama(fx: dict) -> bool:
    """Folds gates, scale_emb, residual multiplier and logit scale into plain Llama weights (spec §3.4)."""
    c, t = fx["config"], fx["tensors"]
    P = {n: torch.from_numpy(t[f"param.{n}"]).double() for n, _, _ in model_tensors(c)}
    rm = c["residual_multiplier"]
    st: Dict[str, torch.Tensor] = {"model.embed_tokens.weight": c["scale_emb"] * P["model.embed_tokens.weight"]}
    for l in range(c["num_layers"]):
        pre = f"model.layers.{l}"
        for proj in "qkv":
            a = P[f"{pre}.self_attn.{proj}_proj_alpha"]
            st[f"{pre}.self_attn.{proj}_proj.weight"] = a * P[f"{pre}.self_attn.{proj}_proj.weight"]
            st[f"{pre}.self_attn.{proj}_proj.bias"] = a * P[f"{pre}.self_attn.{proj}_proj.bias"]
        st[f"{pre}.self_attn.o_proj.weight"] = rm * P[f"{pre}.self_attn.o_proj_alpha"] * P[f"{pre}.self_attn.o_proj.weight"]
        gu = P[f"{pre}.gate_up_proj_alpha"]
        st[f"{pre}.mlp.gate_proj.weight"] = gu * P[f"{pre}.mlp.gate_proj.weight"]
        st[f"{pre}.mlp.up_proj.weight"] = gu * P[f"{pre}.mlp.up_proj.weight"]
        st[f"{pre}.mlp.down_proj.weight"] = rm * P[f"{pre}.down_proj_alpha"] * P[f"{pre}.mlp.down_proj.weight"]
        st[f"{pre}.input_layernorm.weight"] = P[f"{pre}.input_layernorm_alpha"] * P[f"{pre}.input_layernorm.weight"]
        st[f"{pre}.post_attention_layernorm.weight"] = (P[f"{pre}.post_attention_layernorm_alpha"]
                                                        * P[f"{pre}.post_attention_layernorm.weight"])
    st["model.norm.weight"] = P["model.norm_alpha"] * P["model.norm.weight"]
    st["lm_head.weight"] = P["lm_head_alpha"] * logit_multiplier(c) * P["model.embed_tokens.weight"]
    assert abs(attention_scale(c) - 1 / math.sqrt(head_dim(c))) < 1e-15
    model = _textbook_from(c, st, bias=True).double()
    with torch.no_grad():
        logits = model(torch.from_numpy(t["input_ids"]).long())
    err = _max_rel(logits, torch.from_numpy(t["logits"]).double())
    return _report("yulan (WeSaR+muP) == merged plain Llama (spec §3.4)", err < 1e-5, f"logits rel err {err:.2e}")


def check_document_isolation(fx: dict) -> bool:
    """Packed rows must equal each document run alone from position 0."""
    c, t = fx["config"], fx["tensors"]
    P = {n: torch.from_numpy(t[f"param.{n}"]).double() for n, _, _ in model_tensors(c)}
    ids = torch.from_numpy(t["input_ids"])
    seg = t["seg_start"]
    ref = torch.from_numpy(t["logits"]).double()
    worst = 0.0
    ndocs = 0
    for b in range(ids.shape[0]):
        starts = sorted(set(int(x) for x in seg[b]))
        ends = starts[1:] + [ids.shape[1]]
        for s0, s1 in zip(starts, ends):
            n = s1 - s0
            with torch.no_grad():
                lg = forward(c, P, ids[b:b + 1, s0:s1], torch.arange(n)[None], torch.zeros(1, n, dtype=torch.int32))
            worst = max(worst, _max_rel(lg[0], ref[b, s0:s1]))
            ndocs += 1
    return _report("packed documents == each document alone", worst < 1e-5, f"{ndocs} documents, logits rel err {worst:.2e}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="also run the self-checks (float64 gradients, textbook Llama, ...)")
    ap.add_argument("--out", default=FIXTURE_DIR, help="output directory (default test/fixtures)")
    ap.add_argument("--only", nargs="*", choices=sorted(FIXTURES), help="fixtures to build (default all)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)
    all_ok = True
    for name in args.only or list(FIXTURES):
        fx = build_fixture(name)
        path = os.path.join(args.out, f"parity-{name}.safetensors")
        size = write_safetensors(path, fx["tensors"], fx["metadata"])
        summarize(fx, path, size)
        if args.check:
            all_ok &= check_fixture(fx, path)
    if args.check:
        print("self-checks: " + ("all passed" if all_ok else "SOME FAILED"))
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
