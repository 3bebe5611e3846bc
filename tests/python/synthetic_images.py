"""Deterministic test images, so that the `permrsa features` tests run without the real data.

Each image is a smooth random field (a coarse NumPy Philox grid, upsampled bilinearly) plus a
little pixel noise, so that a network's layers tell the images apart, as they do photographs.
Sizes and colour modes vary (greyscale, RGB; portrait, landscape) to exercise the decoder's
grey-to-RGB path and the resize's long/short sides. Written with Pillow (Debian python3-pil)."""
import pathlib

import numpy as np
from PIL import Image

SIZES = [(48, 64), (64, 48), (56, 56), (40, 72)]  # (height, width)


def field(rng, height, width, channels):
    coarse = rng.random((6, 8, channels))
    rows = np.linspace(0, coarse.shape[0] - 1, height)
    cols = np.linspace(0, coarse.shape[1] - 1, width)
    r0 = np.floor(rows).astype(int).clip(0, coarse.shape[0] - 2)
    c0 = np.floor(cols).astype(int).clip(0, coarse.shape[1] - 2)
    fr, fc = (rows - r0)[:, None, None], (cols - c0)[None, :, None]
    top = coarse[r0][:, c0] * (1 - fc) + coarse[r0][:, c0 + 1] * fc
    bottom = coarse[r0 + 1][:, c0] * (1 - fc) + coarse[r0 + 1][:, c0 + 1] * fc
    smooth = top * (1 - fr) + bottom * fr
    noisy = smooth + 0.05 * rng.standard_normal(smooth.shape)
    return (255 * noisy.clip(0, 1)).round().astype(np.uint8)


def write_images(folder, count, seed=0, prefix="img"):
    """Writes `count` PNGs named <prefix>_NNN.png (sorted = written order); returns their paths."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.Generator(np.random.Philox(seed))
    paths = []
    for i in range(count):
        height, width = SIZES[i % len(SIZES)]
        grey = i % 3 == 2
        pixels = field(rng, height, width, 1 if grey else 3)
        image = Image.fromarray(pixels[:, :, 0] if grey else pixels, "L" if grey else "RGB")
        path = folder / f"{prefix}_{i + 1:03d}.png"
        image.save(path)
        paths.append(path)
    return paths
