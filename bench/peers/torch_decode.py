#!/usr/bin/env python3
"""Peer baseline: X-Prompt prompt compression and KV-cached decoding in PyTorch.

The model is the training peer's (torch_train_step.py, same directory), random
weights. Compression prefills the prefix [BOS][IE][XP] of the training
layout under the X-Prompt mask and keeps the keys and values of BOS and the
X-Prompt tokens only. Decoding then appends --tokens greedy tokens one at a
time for batches of 1 and 8 sequences that share the compressed prompt, with
preallocated key/value buffers (no copies of the cache per token).

Prints compress_ms (median) and tokens/s per batch size. Run with Debian's
interpreter: /usr/bin/python3 (python3-torch).
Usage: torch_decode.py --preset small [--threads 2] [--tokens 64] [--json]
"""
import argparse, json, math, statistics, time
import torch
from torch_train_step import PRESETS, Model, rope, xprompt_mask


def step(m, idx, pos, kc, vc, tk, mask):
    """Runs tokens idx (B, t) at positions pos (t) on top of tk cached entries,
    writing their keys and values into the buffers kc, vc (per layer,
    (B, H, Tmax, hd)); mask (t, tk + t) or None. Returns logits of the last token."""
    x = m.emb(idx)
    B, t, D = x.shape
    cos, sin = m.cos[pos], m.sin[pos]
    for l, blk in enumerate(m.blocks):
        H = blk.H; hd = D // H
        q, k, v = blk.qkv(blk.n1(x)).view(B, t, 3, H, hd).permute(2, 0, 3, 1, 4)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        kc[l][:, :, tk:tk + t] = k
        vc[l][:, :, tk:tk + t] = v
        K, V = kc[l][:, :, :tk + t], vc[l][:, :, :tk + t]
        att = (q @ K.transpose(-1, -2)) / math.sqrt(hd)
        if mask is not None:
            att = att.masked_fill(~mask, float("-inf"))
        y = (att.softmax(-1) @ V).transpose(1, 2).reshape(B, t, D)
        x = x + blk.o(y)
        a, b = blk.w12(blk.n2(x)).chunk(2, -1)
        x = x + blk.w3(torch.nn.functional.silu(a) * b)
    return m.norm(x[:, -1]) @ m.emb.weight.t()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="small", choices=PRESETS)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    p = PRESETS[a.preset]
    T, S, V = p["T"], p["S"], p["V"]
    m = Model(**p).eval()
    ie = (T - 1 - S) * 2 // 5
    P = 1 + ie + S
    prefix = torch.randint(0, V, (1, P))
    mask = xprompt_mask(T, S, "cpu")[:P, :P]
    keep = torch.tensor([0] + list(range(1 + ie, P)))
    L, H = p["L"], p["H"]
    hd = p["d"] // H
    tmax = P + a.tokens
    with torch.no_grad():
        times = []
        for _ in range(a.reps + 1):
            t0 = time.perf_counter()
            kc = [torch.empty(1, H, tmax, hd) for _ in range(L)]
            vc = [torch.empty(1, H, tmax, hd) for _ in range(L)]
            step(m, prefix, torch.arange(P), kc, vc, 0, mask)
            kept_k = [k[:, :, keep] for k in kc]
            kept_v = [v[:, :, keep] for v in vc]
            times.append(time.perf_counter() - t0)
        compress = statistics.median(times[1:])
        kept = len(keep)
        decode = []
        for B in (1, 8):
            kc = [torch.empty(B, H, kept + a.tokens, hd) for _ in range(L)]
            vc = [torch.empty(B, H, kept + a.tokens, hd) for _ in range(L)]
            for l in range(L):
                kc[l][:, :, :kept] = kept_k[l]
                vc[l][:, :, :kept] = kept_v[l]
            tok = torch.zeros(B, 1, dtype=torch.long)
            t0 = time.perf_counter()
            for i in range(a.tokens):
                logits = step(m, tok, torch.tensor([P + i]), kc, vc, kept + i, None)
                tok = logits.argmax(-1, keepdim=True)
            el = time.perf_counter() - t0
            decode.append({"batch": B, "tokens_per_s": round(B * a.tokens / el, 2)})
    res = {"bench": "gen", "peer": "torch " + torch.__version__, "preset": a.preset, "threads": a.threads,
           "prefix_tokens": P, "kept": kept, "new_tokens": a.tokens,
           "compress_ms": round(compress * 1e3, 2), "decode": decode}
    if a.json:
        print(json.dumps(res))
    else:
        print(" ".join(f"{k}={v}" for k, v in res.items()))


if __name__ == "__main__":
    main()
