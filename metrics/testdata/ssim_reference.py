#!/usr/bin/python3
"""Reference SSIM values for metrics/ssim_test.go, computed with scikit-image.

Run: /usr/bin/python3 metrics/testdata/ssim_reference.py
(Debian bookworm: python3-skimage 0.19.3, scipy 1.10.1, numpy 1.24.2.)

Each test image pair is defined by integer formulas k(x, y, c) in 0..255 that
metrics/ssim_test.go repeats exactly; a pixel value is float32(k)/255, as in
Go, then widened to float64 so that skimage computes in float64.
"""
import numpy as np
from skimage.metrics import structural_similarity


def clamp(k):
    return max(0, min(255, k))


PAIRS = {
    "ramp_vs_noisy": (32, 32,
        lambda x, y, c: (3 * x + 5 * y + 40 * c) % 256,
        lambda x, y, c: clamp((3 * x + 5 * y + 40 * c) % 256 + (x * 7 + y * 11 + c * 3) % 17 - 8)),
    "hash_vs_shifted": (40, 24,
        lambda x, y, c: (x * x * 31 + x * y * 17 + y * y * 7 + c * 101 + 7) % 256,
        lambda x, y, c: ((x + 1) * (x + 1) * 31 + (x + 1) * y * 17 + y * y * 7 + c * 101 + 7) % 256),
    "blocks_vs_mixed": (16, 13,
        lambda x, y, c: 255 if (x // 4 + y // 4 + c) % 2 == 0 else 30,
        lambda x, y, c: ((255 if (x // 4 + y // 4 + c) % 2 == 0 else 30) * 3 + 60 + x * y) % 256),
    "one_window_11x11": (11, 11,
        lambda x, y, c: (x * 23 + y * 9 + c * 50) % 256,
        lambda x, y, c: (x * y * 5 + c * 70 + 13) % 256),
}


def image(w, h, f):
    k = np.array([[[f(x, y, c) for c in range(3)] for x in range(w)] for y in range(h)])
    return (k.astype(np.float32) / np.float32(255)).astype(np.float64)


for name, (w, h, fa, fb) in PAIRS.items():
    a, b = image(w, h, fa), image(w, h, fb)
    s = structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
                              use_sample_covariance=False, data_range=1.0,
                              channel_axis=-1)
    print('{"%s", %r},' % (name, float(s)))
