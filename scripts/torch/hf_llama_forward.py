#!/usr/bin/python3
"""Logits of a Hugging Face Llama folder, computed by an independent PyTorch forward pass.

    /usr/bin/python3 scripts/torch/hf_llama_forward.py <folder> <comma-separated token ids>

Reads config.json and the weights (model.safetensors, or shards listed in model.safetensors.index.json; F32, BF16
or F16) by itself -- no `transformers` or `safetensors` package is needed -- and runs the textbook Llama forward
pass in float32: RMSNorm, rotate_half RoPE with rope_theta, grouped-query attention with an optional q/k/v/o bias,
SwiGLU MLP, tied or untied head. Prints {"vocab": V, "logits": [[...], ...]} (one row per position) as JSON.
The pretrain-ts export tests compare these logits with the toolkit's own (`test/export/hf-torch.test.ts`).
"""
import json
import math
import os
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        raw = bytearray(data[base + begin:base + end])
        t = torch.frombuffer(raw, dtype=dtype) if end > begin else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).to(torch.float32)
    return out


def load_weights(folder):
    single = os.path.join(folder, "model.safetensors")
    if os.path.exists(single):
        return read_safetensors(single)
    with open(os.path.join(folder, "model.safetensors.index.json")) as f:
        index = json.load(f)
    weights = {}
    for shard in sorted(set(index["weight_map"].values())):
        weights.update(read_safetensors(os.path.join(folder, shard)))
    return weights


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def forward(cfg, w, ids):
    d = cfg["hidden_size"]
    n_heads = cfg["num_attention_heads"]
    n_kv = cfg.get("num_key_value_heads", n_heads)
    hd = d // n_heads
    eps = cfg["rms_norm_eps"]
    theta = cfg.get("rope_theta", 10000.0)
    s = len(ids)
    inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    angles = torch.outer(torch.arange(s, dtype=torch.float64), inv_freq)
    cos = torch.cat((angles.cos(), angles.cos()), dim=-1).to(torch.float32)
    sin = torch.cat((angles.sin(), angles.sin()), dim=-1).to(torch.float32)
    mask = torch.full((s, s), float("-inf")).triu(1)

    def lin(x, name, bias=True):
        y = x @ w[name + ".weight"].T
        if bias and (name + ".bias") in w:
            y = y + w[name + ".bias"]
        return y

    x = w["model.embed_tokens.weight"][torch.tensor(ids)]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}"
        a = rms_norm(x, w[p + ".input_layernorm.weight"], eps)
        q = lin(a, p + ".self_attn.q_proj").view(s, n_heads, hd).transpose(0, 1)
        k = lin(a, p + ".self_attn.k_proj").view(s, n_kv, hd).transpose(0, 1)
        v = lin(a, p + ".self_attn.v_proj").view(s, n_kv, hd).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = n_heads // n_kv
        k = k.repeat_interleave(rep, dim=0)
        v = v.repeat_interleave(rep, dim=0)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + mask, dim=-1)
        o = (att @ v).transpose(0, 1).reshape(s, d)
        x = x + lin(o, p + ".self_attn.o_proj")
        b = rms_norm(x, w[p + ".post_attention_layernorm.weight"], eps)
        m = torch.nn.functional.silu(lin(b, p + ".mlp.gate_proj")) * lin(b, p + ".mlp.up_proj")
        x = x + lin(m, p + ".mlp.down_proj")
    h = rms_norm(x, w["model.norm.weight"], eps)
    head = w["lm_head.weight"] if "lm_head.weight" in w else w["model.embed_tokens.weight"]
    return h @ head.T


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    folder, id_list = sys.argv[1], sys.argv[2]
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    ids = [int(t) for t in id_list.split(",") if t.strip()]
    torch.set_num_threads(1)
    with torch.no_grad():
        logits = forward(cfg, load_weights(folder), ids)
    json.dump({"vocab": logits.shape[-1], "logits": logits.tolist()}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
