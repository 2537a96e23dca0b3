#!/usr/bin/python3
"""Makes a folder of photo-like JPEGs for the data bench (no photos can be downloaded here).

    /usr/bin/python3 bench/make-jpegs.py [OUT] [--count 2000] [--classes 10] [--seed 1] [--jobs 2]

Default OUT: .cache/jpeg-2000. Each image is W x H with W and H drawn independently from
300..2000 px, one subfolder per class. They are synthetic, not photos, but built so a JPEG
encoder sees what it sees in a photo, not flat colour: a smooth colour field (random low-res
gradients upscaled bicubically), a few soft-edged shapes (ellipses, polygons, drawn at half size and
upscaled; the class decides the dominant hue and shape), fine texture and per-pixel sensor-like noise. Saved by PIL at
quality 80-95 with 4:2:0 chroma subsampling, one in ten progressive (as many web photos are).
The script prints the mean bits per pixel so the entropy can be compared with real photos
(camera JPEGs are typically 1.5-4 bits per pixel at these qualities).
"""
import argparse
import os
import random
import sys
from multiprocessing import Pool

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def smooth_field(rng, w, h, colour):
    # A 4x4 to 8x8 grid of random colours around the class colour, upscaled: smooth gradients.
    gw, gh = rng.integers(3, 8, size=2)
    grid = np.clip(colour[None, None, :] + rng.normal(0, 55, size=(gh, gw, 3)), 0, 255).astype(np.uint8)
    return Image.fromarray(grid, 'RGB').resize((w, h), Image.BICUBIC)


def make(rng, w, h, cls):
    hue = np.array([(np.sin(cls * 2.4 + k * 2.1) * 0.5 + 0.5) * 200 + 25 for k in range(3)])
    # Drawn at half size and upscaled bicubically: soft edges, as out-of-focus objects give.
    fw, fh = w, h
    w, h = max(1, w // 2), max(1, h // 2)
    img = smooth_field(rng, w, h, hue)
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(3, 9))):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(0.05, 0.3) * min(w, h)
        col = tuple(int(v) for v in np.clip(255 - hue + rng.normal(0, 40, 3), 0, 255))
        if cls % 2 == 0:
            draw.ellipse([cx - r, cy - r * rng.uniform(0.5, 1.5), cx + r, cy + r], fill=col)
        else:
            n = 3 + cls % 5
            ang = np.sort(rng.uniform(0, 2 * np.pi, n))
            draw.polygon([(cx + r * np.cos(a), cy + r * np.sin(a)) for a in ang], fill=col)
    img = img.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.3, 1.2)))).resize((fw, fh), Image.BICUBIC)
    w, h = fw, fh
    a = np.asarray(img, dtype=np.float32)
    # Fine texture (a low-amplitude field at 1/4 resolution, like foliage or fabric) and noise.
    tex = rng.normal(0, 10, size=(max(1, h // 4), max(1, w // 4), 1)).astype(np.float32)
    tex = np.asarray(Image.fromarray(np.clip(tex[:, :, 0] + 128, 0, 255).astype(np.uint8), 'L').resize((w, h), Image.BILINEAR), dtype=np.float32) - 128
    a += tex[:, :, None]
    a += rng.normal(0, float(rng.uniform(2, 6)), size=a.shape).astype(np.float32)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), 'RGB')


def one(args):
    # Each image from its own seed: the same folder whatever the number of jobs; files already
    # there are kept (delete the folder to make it again).
    o, i = args
    rng = np.random.default_rng([o.seed, i])
    pick = random.Random(o.seed * 1_000_003 + i)
    cls = i % o.classes
    w, h = (int(v) for v in rng.integers(o.min, o.max + 1, size=2))
    f = os.path.join(o.out, f'class{cls}', f'img{i:05d}.jpg')
    if not os.path.exists(f):
        make(rng, w, h, cls).save(f, 'JPEG', quality=pick.randint(80, 95), subsampling=2, progressive=pick.random() < 0.1)
    if (i + 1) % 200 == 0:
        print(f'{i + 1}/{o.count}', file=sys.stderr, flush=True)
    return os.path.getsize(f), w * h


def main():
    p = argparse.ArgumentParser()
    p.add_argument('out', nargs='?', default='.cache/jpeg-2000')
    p.add_argument('--count', type=int, default=2000)
    p.add_argument('--classes', type=int, default=10)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--min', type=int, default=300)
    p.add_argument('--max', type=int, default=2000)
    p.add_argument('--jobs', type=int, default=2)
    o = p.parse_args()
    for c in range(o.classes):
        os.makedirs(os.path.join(o.out, f'class{c}'), exist_ok=True)
    with Pool(o.jobs) as pool:
        sizes = pool.map(one, [(o, i) for i in range(o.count)], chunksize=8)
    total_bytes = sum(b for b, _ in sizes)
    total_px = sum(p for _, p in sizes)
    print(f'{o.count} JPEGs in {o.out}: {total_bytes / 2**20:.0f} MiB, {total_px / o.count / 1e6:.2f} Mpixel each on average, {8 * total_bytes / total_px:.2f} bits per pixel')


if __name__ == '__main__':
    main()
