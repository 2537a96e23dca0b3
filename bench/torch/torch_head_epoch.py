"""PyTorch's side of bench/head-epoch.ts: head-only fine-tuning of torchvision's resnet18 on a
folder of 224x224 images, recomputing the frozen backbone every epoch, as a user would
(backbone frozen with requires_grad False, in eval mode under torch.no_grad(); a new Linear
head; SGD momentum 0.9, batch 32, shuffled). The images are decoded once before the first
epoch (ImageFolder order), so every epoch times the backbone and the head, not JPEG decoding.
Prints one JSON line: {"epochs": [seconds, ...], "decode": seconds, "images": n}.
  /usr/bin/python3 bench/torch/torch_head_epoch.py DIR [--epochs 3] [--batch 32] [--threads 2]
  /usr/bin/python3 bench/torch/torch_head_epoch.py --make-images DIR [--count 1000] [--classes 10]
"""
import argparse
import json
import os
import time

import numpy as np


def make_images(root, count, classes, size=224):
    """count RGB JPEGs of size x size, `classes` subfolders: smooth random colour fields with a
    few rectangles (JPEG sizes like photos', not like noise)."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(1)
    for i in range(count):
        c = i % classes
        d = os.path.join(root, f"class{c}")
        os.makedirs(d, exist_ok=True)
        f = os.path.join(d, f"img{i:05d}.jpg")
        if os.path.exists(f):
            continue
        small = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
        img = Image.fromarray(small, "RGB").resize((size, size), Image.BILINEAR)
        draw = ImageDraw.Draw(img)
        for _ in range(4):
            x0, y0 = rng.integers(0, size - 40, size=2)
            w, h = rng.integers(20, 120, size=2)
            draw.rectangle([int(x0), int(y0), int(x0 + w), int(y0 + h)], fill=tuple(int(v) for v in rng.integers(0, 256, size=3)))
        img.save(f, quality=90)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--make-images", action="store_true")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    if a.make_images:
        make_images(a.dir, a.count, a.classes)
        return

    import torch
    import torchvision
    from torchvision import transforms

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    t0 = time.perf_counter()
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    ds = torchvision.datasets.ImageFolder(a.dir, transform=tf)
    xs = torch.stack([ds[i][0] for i in range(len(ds))])
    ys = torch.tensor(ds.targets)
    decode = time.perf_counter() - t0

    model = torchvision.models.resnet18(num_classes=10)
    model.fc = torch.nn.Linear(model.fc.in_features, len(ds.classes))
    backbone = torch.nn.Sequential(*list(model.children())[:-1])
    for q in backbone.parameters():
        q.requires_grad = False
    backbone.eval()
    head = model.fc
    opt = torch.optim.SGD(head.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    times = []
    losses = []
    for _ in range(a.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(len(ds))
        total = 0.0
        for s in range(0, len(ds), a.batch):
            idx = perm[s:s + a.batch]
            with torch.no_grad():
                f = torch.flatten(backbone(xs[idx]), 1)
            loss = loss_fn(head(f), ys[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        times.append(time.perf_counter() - t0)
        losses.append(total / len(ds))
    print(json.dumps({"engine": "pytorch", "epochs": times, "loss": losses, "decode": decode, "images": len(ds), "threads": a.threads}))


if __name__ == "__main__":
    main()
