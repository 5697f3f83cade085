#!/usr/bin/env python3
"""Peer baseline: one training step of the reference X-Prompt transformer in PyTorch.

Same architecture the project's presets name: pre-norm decoder, RMSNorm, RoPE,
SwiGLU MLP, multi-head attention under an X-Prompt mask (TODO tokens cannot see
in-context-example tokens), tied input/output embeddings, AdamW.

Prints tokens/second for forward+backward+AdamW, the median of --steps timed steps
after --warmup steps. Run with Debian's interpreter: /usr/bin/python3 (python3-torch).
Usage: torch_train_step.py --preset small [--threads 2] [--device cpu|cuda] [--compile] [--amp] [--json]
With --json the result is one JSON object (what `xprompt bench train --peer torch` reads).
"""
import argparse, json, math, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F

SDPA = hasattr(F, "scaled_dot_product_attention")

PRESETS = {
    # d_model, layers, heads, vocab, seq, batch, xprompt tokens
    "tiny":  dict(d=64,  L=2,  H=4,  V=1040, T=192,  B=8,  S=4),
    "small": dict(d=256, L=6,  H=8,  V=1040, T=336,  B=8,  S=8),
    "base":  dict(d=512, L=12, H=8,  V=8448, T=1024, B=16, S=16),
}

def xprompt_mask(T, S, device):
    # layout: [BOS][IE: 40% of the rest][XP: S][TD: the rest]
    ie = (T - 1 - S) * 2 // 5
    seg = torch.zeros(T, dtype=torch.long, device=device)  # 0 bos, 1 IE, 2 XP, 3 TD
    seg[1:1 + ie] = 1
    seg[1 + ie:1 + ie + S] = 2
    seg[1 + ie + S:] = 3
    q = seg[:, None]; k = seg[None, :]
    causal = torch.ones(T, T, dtype=torch.bool, device=device).tril()
    return causal & ~((q == 3) & (k == 1))

class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__(); self.w = nn.Parameter(torch.ones(d)); self.eps = eps
    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.w

def rope(x, cos, sin):
    x1, x2 = x[..., ::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), -1).flatten(-2)

class Block(nn.Module):
    def __init__(self, d, H):
        super().__init__()
        self.H = H
        self.n1, self.n2 = RMSNorm(d), RMSNorm(d)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.o = nn.Linear(d, d, bias=False)
        h = ((int(8 * d / 3) + 63) // 64) * 64
        self.w12 = nn.Linear(d, 2 * h, bias=False)
        self.w3 = nn.Linear(h, d, bias=False)
    def forward(self, x, mask, cos, sin):
        B, T, D = x.shape
        q, k, v = self.qkv(self.n1(x)).view(B, T, 3, self.H, D // self.H).permute(2, 0, 3, 1, 4)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        if SDPA:  # PyTorch >= 2.0: fused attention with the boolean mask
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        else:
            att = (q @ k.transpose(-1, -2)) / math.sqrt(D // self.H)
            att = att.masked_fill(~mask, float("-inf")).softmax(-1)
            y = att @ v
        y = y.transpose(1, 2).reshape(B, T, D)
        x = x + self.o(y)
        a, b = self.w12(self.n2(x)).chunk(2, -1)
        return x + self.w3(F.silu(a) * b)

class Model(nn.Module):
    def __init__(self, d, L, H, V, T, **_):
        super().__init__()
        self.emb = nn.Embedding(V, d)
        nn.init.normal_(self.emb.weight, std=0.02)
        self.blocks = nn.ModuleList(Block(d, H) for _ in range(L))
        self.norm = RMSNorm(d)
        hd = d // H
        inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
        ang = torch.arange(T).float()[:, None] * inv[None, :]
        self.register_buffer("cos", ang.cos()); self.register_buffer("sin", ang.sin())
    def forward(self, idx, mask):
        x = self.emb(idx)
        for b in self.blocks:
            x = b(x, mask, self.cos, self.sin)
        return self.norm(x) @ self.emb.weight.t()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="small", choices=PRESETS)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--amp", action="store_true", help="bf16 autocast (CUDA)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    p = PRESETS[a.preset]
    dev = torch.device(a.device)
    m = Model(**p).to(dev)
    fwd = torch.compile(m) if a.compile else m
    opt = torch.optim.AdamW(m.parameters(), lr=3e-4, weight_decay=0.1)
    mask = xprompt_mask(p["T"], p["S"], dev)
    idx = torch.randint(0, p["V"], (p["B"], p["T"] + 1), device=dev)
    x, y = idx[:, :-1], idx[:, 1:]
    nparams = sum(t.numel() for t in m.parameters())
    times = []
    for i in range(a.warmup + a.steps):
        if dev.type == "cuda": torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=a.amp):
            logits = fwd(x, mask)
            loss = F.cross_entropy(logits.reshape(-1, p["V"]).float(), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if dev.type == "cuda": torch.cuda.synchronize()
        if i >= a.warmup:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    toks = p["B"] * p["T"] / med
    if a.json:
        print(json.dumps({"bench": "train", "peer": "torch " + torch.__version__, "preset": a.preset,
                          "params": nparams, "device": a.device, "threads": a.threads, "sdpa": SDPA,
                          "step_ms": round(med * 1e3, 2), "tokens_per_s": round(toks, 2), "loss": round(loss.item(), 4)}))
        return
    print(f"torch {torch.__version__} preset={a.preset} params={nparams} device={a.device} sdpa={SDPA} "
          f"amp={a.amp} compile={a.compile} threads={a.threads} step_ms={med*1e3:.1f} tokens_per_s={toks:.0f} loss={loss.item():.3f}")

if __name__ == "__main__":
    main()
