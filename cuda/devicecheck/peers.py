#!/usr/bin/env python3
"""PyTorch peers of `xprompt bench gemm|attention|train --device cuda`.

Prints one JSON line per measurement: float32 matmul (TF32 off and on),
fused attention forward+backward under the X-Prompt mask (float32 and
bfloat16, scaled_dot_product_attention with a boolean mask), and a training
step of the same transformer as the presets (pre-norm, RMSNorm, RoPE,
SwiGLU, tied embeddings, AdamW), eager, float32.
Usage: peers.py gemm M K N | attention B H T HD | train PRESET BATCH
"""
import json, math, statistics, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

dev = "cuda"

def timed(f, iters):
    f(); torch.cuda.synchronize()
    ts = []
    for _ in range(iters):
        s = time.perf_counter(); f(); torch.cuda.synchronize(); ts.append(time.perf_counter() - s)
    return statistics.median(ts)

def emit(**kw):
    kw["peer"] = "torch " + torch.__version__
    print(json.dumps(kw), flush=True)

def seg_ids(T, S):
    ie = (T - 1 - S) * 2 // 5
    seg = torch.full((T,), 3, dtype=torch.long, device=dev)
    seg[0] = 0; seg[1:1 + ie] = 1; seg[1 + ie:1 + ie + S] = 2
    return seg

def xprompt_mask(T, S):
    seg = seg_ids(T, S); q, k = seg[:, None], seg[None, :]
    return torch.ones(T, T, dtype=torch.bool, device=dev).tril() & ~((q == 3) & (k == 1))

def gemm(m, k, n):
    a, b = torch.randn(m, k, device=dev), torch.randn(k, n, device=dev)
    for tf32 in (False, True):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        t = timed(lambda: a @ b, 20)
        emit(bench="gemm", m=m, k=k, n=n, dtype="tf32" if tf32 else "fp32", gflops=round(2 * m * n * k / t / 1e9, 1))
    torch.backends.cuda.matmul.allow_tf32 = False

def attention(b, h, t, hd):
    mask = xprompt_mask(t, 8)
    for dtype in (torch.float32, torch.bfloat16):
        q, k, v = (torch.randn(b, h, t, hd, device=dev, dtype=dtype, requires_grad=True) for _ in range(3))
        g = torch.randn(b, h, t, hd, device=dev, dtype=dtype)
        def step():
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
            o.backward(g)
        emit(bench="attention", batch=b, heads=h, t=t, hd=hd, dtype=str(dtype).split(".")[1], ms_fwd_bwd=round(timed(step, 10) * 1e3, 3))

PRESETS = {  # d, layers, heads, vocab, seq, xprompt tokens (as model.Presets)
    "tiny": (64, 2, 4, 1040, 192, 4), "small": (256, 6, 8, 1040, 336, 8), "base": (512, 12, 8, 8448, 1024, 16),
}

class RMSNorm(nn.Module):
    def __init__(self, d):
        super().__init__(); self.w = nn.Parameter(torch.ones(d))
    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.w

def rope(x, cos, sin):
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), -1).flatten(-2)

class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        hidden = (8 * d // 3 + 63) // 64 * 64  # model.HiddenFor
        self.h, self.n1, self.n2 = h, RMSNorm(d), RMSNorm(d)
        self.qkv, self.o = nn.Linear(d, 3 * d, bias=False), nn.Linear(d, d, bias=False)
        self.up, self.down = nn.Linear(d, 2 * hidden, bias=False), nn.Linear(hidden, d, bias=False)
    def forward(self, x, mask, cos, sin):
        B, T, D = x.shape
        q, k, v = self.qkv(self.n1(x)).view(B, T, 3, self.h, D // self.h).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(rope(q, cos, sin), rope(k, cos, sin), v, attn_mask=mask)
        x = x + self.o(a.transpose(1, 2).reshape(B, T, D))
        u, g = self.up(self.n2(x)).chunk(2, -1)
        return x + self.down(F.silu(u) * g)

def train(preset, batch):
    d, L, H, V, T, S = PRESETS[preset]
    emb = nn.Embedding(V, d).to(dev)
    blocks = nn.ModuleList(Block(d, H) for _ in range(L)).to(dev)
    norm = RMSNorm(d).to(dev)
    params = list(emb.parameters()) + list(blocks.parameters()) + list(norm.parameters())
    opt = torch.optim.AdamW(params, lr=3e-4, weight_decay=0.1)
    mask = xprompt_mask(T, S)
    hd = d // H
    theta = 10000 ** (-torch.arange(0, hd, 2, device=dev) / hd)
    ang = torch.arange(T, device=dev)[:, None] * theta[None, :]
    cos, sin = ang.cos(), ang.sin()
    toks, tgt = torch.randint(0, V, (batch, T), device=dev), torch.randint(0, V, (batch, T), device=dev)
    def step():
        x = emb(toks)
        for b in blocks:
            x = b(x, mask, cos, sin)
        loss = F.cross_entropy((norm(x) @ emb.weight.t()).view(-1, V), tgt.view(-1))
        opt.zero_grad(); loss.backward(); opt.step()
    t = timed(step, 5)
    emit(bench="train", preset=preset, batch=batch, seq=T, dtype="fp32", step_ms=round(t * 1e3, 2), tokens_per_s=round(batch * T / t))

if __name__ == "__main__":
    torch.backends.cuda.matmul.allow_tf32 = False
    what, args = sys.argv[1], [a if not a.isdigit() else int(a) for a in sys.argv[2:]]
    {"gemm": gemm, "attention": attention, "train": train}[what](*args)
