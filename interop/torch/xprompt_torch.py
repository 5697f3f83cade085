"""The xprompt model in PyTorch: loads the weights that
`xprompt export --format safetensors` writes and computes the same logits and
loss as the Go model (model/transformer.go).

    model = XPromptModel.load("m.safetensors")
    logits = model(tokens, pos, allowed)        # (B, T, V)
    loss = weighted_cross_entropy(logits, targets, weights)

tokens are (B, T) ids, X-Prompt slots written -1-slot as in Go; pos (B, T)
the RoPE positions; allowed (B, T, T) the attention mask (query, key) as Go's
core.Mask.Allowed gives it. As a script it runs a case file written by the Go
test (interop/torch) and writes the logits and loss:

    python3 xprompt_torch.py MODEL.safetensors CASE.safetensors OUT.safetensors

Works with PyTorch 1.13 (Debian's python3-torch) and later; float32 on CPU.
"""

import json
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "I32": torch.int32}
NAMES = {torch.float32: "F32", torch.int32: "I32"}


def load_safetensors(path):
    """Returns ({name: tensor}, metadata) of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = data[8 + n:]
    tensors = {}
    for name, e in header.items():
        lo, hi = e["data_offsets"]
        t = torch.frombuffer(bytearray(body[lo:hi]), dtype=DTYPES[e["dtype"]])
        tensors[name] = t.reshape(e["shape"])
    return tensors, meta


def save_safetensors(path, tensors, meta=None):
    header, blobs, off = {}, [], 0
    if meta:
        header["__metadata__"] = meta
    for name, t in tensors.items():
        b = t.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    js = json.dumps(header).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)) + js + b"".join(blobs))


class RMSNorm(nn.Module):
    """x / sqrt(mean(x²) + eps) · w over the last axis."""

    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope(x, pos, base):
    """Rotates the pairs (x[2i], x[2i+1]) of x (B, H, T, hd) by pos·base^(-2i/hd),
    the angles computed in float64 as Go's ropeCosSin."""
    hd = x.shape[-1]
    inv = torch.pow(torch.tensor(float(base), dtype=torch.float64),
                    -2 * torch.arange(hd // 2, dtype=torch.float64) / hd)
    ang = pos.to(torch.float64)[:, None, :, None] * inv  # (B, 1, T, hd/2)
    cos, sin = ang.cos().to(x.dtype), ang.sin().to(x.dtype)
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), -1).flatten(-2)


class Block(nn.Module):
    """Pre-norm block: x + Wo·attention(RoPE(q), RoPE(k), v); x + W3·SwiGLU(W12·x)."""

    def __init__(self, cfg):
        super().__init__()
        d, hidden = cfg["D"], cfg["Hidden"]
        self.heads = cfg["Heads"]
        self.base = cfg["RopeBase"]
        self.norm1 = RMSNorm(d, cfg["NormEps"])
        self.wqkv = nn.Parameter(torch.empty(3 * d, d))
        self.wo = nn.Parameter(torch.empty(d, d))
        self.norm2 = RMSNorm(d, cfg["NormEps"])
        self.w12 = nn.Parameter(torch.empty(2 * hidden, d))
        self.w3 = nn.Parameter(torch.empty(d, hidden))

    def forward(self, x, pos, allowed):
        B, T, D = x.shape
        hd = D // self.heads
        qkv = (self.norm1(x) @ self.wqkv.t()).view(B, T, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = rope(qkv[0], pos, self.base), rope(qkv[1], pos, self.base), qkv[2]  # (B, H, T, hd)
        att = (q @ k.transpose(-1, -2)) / (hd ** 0.5)
        mask = allowed[:, None]  # (B, 1, T, T)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        att = torch.where(mask, att, torch.zeros_like(att))  # a query that sees no key gets zeros
        y = (att @ v).transpose(1, 2).reshape(B, T, D)
        x = x + y @ self.wo.t()
        a, b = (self.norm2(x) @ self.w12.t()).chunk(2, -1)
        return x + (F.silu(a) * b) @ self.w3.t()


class XPromptModel(nn.Module):
    """Token and X-Prompt embeddings (plus learned row and column embeddings of
    image tokens with ImagePos2D), the blocks, a final RMSNorm and the output
    projection tied to the token embedding."""

    def __init__(self, cfg, tokens):
        super().__init__()
        self.cfg, self.tokens = cfg, tokens
        d, v = cfg["D"], tokens["vocab"]
        self.tok_emb = nn.Parameter(torch.empty(v, d))
        self.xp_emb = nn.Parameter(torch.empty(max(cfg["XP"], 1), d))
        self.pos2d = bool(cfg.get("ImagePos2D"))
        if self.pos2d:
            self.row_emb = nn.Parameter(torch.empty(cfg["ImageSide"] + 2, d))
            self.col_emb = nn.Parameter(torch.empty(cfg["ImageSide"] + 2, d))
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg["Layers"]))
        self.norm_f = RMSNorm(d, cfg["NormEps"])

    @classmethod
    def load(cls, path):
        tensors, meta = load_safetensors(path)
        m = cls(json.loads(meta["xprompt.config"]), json.loads(meta["xprompt.tokens"]))
        m.load_state_dict({go_to_torch(k): v for k, v in tensors.items()})
        return m.eval()

    def image_positions(self, tokens):
        """Row and column table indices (B, T), as Vocab.imagePositions in Go:
        the cell of the (side+1)-wide grid each image token predicts, side+1
        outside images."""
        side = self.cfg["ImageSide"]
        none, wide = side + 1, side + 1
        last = side * wide
        boi, eoi, size = self.tokens["boi"], self.tokens["eoi"], self.tokens["size"]
        rows = torch.full(tokens.shape, none, dtype=torch.long)
        cols = torch.full(tokens.shape, none, dtype=torch.long)
        for i, seq in enumerate(tokens.tolist()):
            nxt = -1
            for j, tok in enumerate(seq):
                if tok == boi:
                    nxt = -2
                elif nxt == -2:
                    if tok == size:
                        rows[i, j], cols[i, j] = 0, 0
                        nxt = 1
                    else:
                        nxt = -1
                elif tok == eoi:
                    nxt = -1
                elif 1 <= nxt <= last:
                    rows[i, j], cols[i, j] = nxt // wide, nxt % wide
                    nxt += 1
                else:
                    nxt = -1
        return rows, cols

    def forward(self, tokens, pos, allowed):
        v = self.tok_emb.shape[0]
        ids = torch.where(tokens >= 0, tokens, v + (-1 - tokens)).long()
        x = torch.cat([self.tok_emb, self.xp_emb])[ids]  # (B, T, D)
        if self.pos2d:
            rows, cols = self.image_positions(tokens)
            x = x + (self.row_emb[rows] + self.col_emb[cols])
        for blk in self.layers:
            x = blk(x, pos.long(), allowed)
        return self.norm_f(x) @ self.tok_emb.t()  # (B, T, V)


def go_to_torch(name):
    """Maps a Go parameter name to this module's: "layer3.wqkv" →
    "layers.3.wqkv", "layer0.norm1" → "layers.0.norm1.weight"."""
    if name.startswith("layer"):
        idx, rest = name[len("layer"):].split(".", 1)
        name = "layers.%s.%s" % (idx, rest)
    if name.endswith(("norm1", "norm2", "norm_f")):
        name += ".weight"
    return name


def weighted_cross_entropy(logits, targets, weights, ignore=-100):
    """Σ wᵢ·ℓᵢ / Σ wᵢ over rows whose target is not ignore and weight > 0, as
    ops.CrossEntropy; ℓᵢ = −log softmax(logitsᵢ)[targetᵢ]."""
    logits = logits.reshape(-1, logits.shape[-1])
    targets, weights = targets.reshape(-1).long(), weights.reshape(-1)
    keep = (targets != ignore) & (weights > 0)
    ce = F.cross_entropy(logits[keep], targets[keep], reduction="none")
    return (ce * weights[keep]).sum() / weights[keep].sum()


def main(argv):
    if len(argv) != 4:
        print(__doc__)
        return 2
    torch.set_num_threads(1)
    model = XPromptModel.load(argv[1])
    case, _ = load_safetensors(argv[2])
    with torch.no_grad():
        logits = model(case["tokens"], case["pos"], case["allowed"] != 0)
        loss = weighted_cross_entropy(logits, case["targets"], case["weights"])
    save_safetensors(argv[3], {"logits": logits.float(), "loss": loss.reshape(1).float()})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
