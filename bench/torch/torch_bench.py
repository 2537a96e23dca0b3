"""PyTorch (Debian python3-torch 1.13) CPU anchor on Fashion-MNIST.

Times training steps (forward + cross-entropy + backward + SGD(momentum 0.9) step, batch 64)
and forward-only inference (batch 256) for the bench nets (nets.py; RGB nets on random images, inference at batch 64), then trains LeNet-5 for
2 epochs and reports test accuracy. Run with /usr/bin/python3 (Debian's interpreter).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fmnist  # noqa: E402
import nets  # noqa: E402
from benchutil import timed_windows  # noqa: E402


def blas_info():
    import ctypes
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        # only meaningful if torch's libblas.so.3 actually resolved to OpenBLAS
        maps = open("/proc/self/maps").read()
        if "openblas" in maps and "/blas/libblas.so" not in maps:
            return "OpenBLAS core=" + lib.openblas_get_corename().decode()
    except OSError:
        pass
    maps = open("/proc/self/maps").read()
    if "/blas/libblas.so" in maps:
        return "reference BLAS (libblas3)"
    return "unknown"


def bench_train(name, xtr, ytr, args, head=False):
    """Training steps; with head=True only the last Linear trains (the backbone frozen, in eval
    mode so BatchNorm uses its running statistics), as fine-tuning a backbone does."""
    torch.manual_seed(0)
    model = nets.NETS[name]()
    model.train()
    params = model.parameters()
    if head:
        model.eval()
        last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
        for p in model.parameters():
            p.requires_grad_(False)
        for p in last.parameters():
            p.requires_grad_(True)
        params = last.parameters()
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9)
    lossf = nn.CrossEntropyLoss()
    bs = nets.plan(name)["batch"]
    nb = xtr.shape[0] // bs
    state = {"i": 0}

    def step():
        i = state["i"]
        state["i"] = (i + 1) % nb
        xb = xtr[i * bs:(i + 1) * bs]
        yb = ytr[i * bs:(i + 1) * bs]
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(xb), yb)
        loss.backward()
        opt.step()

    return timed_windows(step, bs, args.windows, args.window_s)


def bench_infer(name, xte, args):
    torch.manual_seed(0)
    model = nets.NETS[name]()
    model.eval()
    bs = nets.plan(name)["infer_batch"]  # as bench/engine-bench.ts
    nb = xte.shape[0] // bs
    state = {"i": 0}

    def step():
        i = state["i"]
        state["i"] = (i + 1) % nb
        with torch.no_grad():
            model(xte[i * bs:(i + 1) * bs])

    return timed_windows(step, bs, args.windows, args.window_s)


def train_lenet_2epochs(xtr, ytr, xte, yte):
    torch.manual_seed(0)
    model = nets.lenet5()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    lossf = nn.CrossEntropyLoss()
    bs = 64
    n = xtr.shape[0]
    out = {"epochs": []}
    t_all = time.perf_counter()
    train_s = 0.0
    for ep in range(2):
        t = time.perf_counter()
        model.train()
        perm = torch.randperm(n)
        tot = 0.0
        for s in range(0, n, bs):
            idx = perm[s:s + bs]
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            tot += loss.item() * idx.numel()
        ep_s = time.perf_counter() - t
        train_s += ep_s
        model.eval()
        with torch.no_grad():
            pred = torch.cat([model(xte[i:i + 1000]).argmax(1) for i in range(0, xte.shape[0], 1000)])
        acc = (pred == yte).float().mean().item()
        out["epochs"].append({"epoch": ep + 1, "train_loss": tot / n, "test_acc": acc, "train_s": ep_s})
        print(f"  lenet5 epoch {ep + 1}: train loss {tot / n:.4f}  test acc {acc:.4f}  ({ep_s:.1f} s)", flush=True)
    out["train_s"] = train_s
    out["total_s"] = time.perf_counter() - t_all
    out["test_acc"] = out["epochs"][-1]["test_acc"]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nets", default="mlp,lenet5,small_cnn")
    ap.add_argument("--windows", type=int, default=7)
    ap.add_argument("--window-s", type=float, default=1.0)
    ap.add_argument("--no-train2", action="store_true", help="skip the 2-epoch LeNet-5 run")
    ap.add_argument("--no-infer", action="store_true")
    ap.add_argument("--json", help="write results here")
    args = ap.parse_args()

    torch.set_num_threads(2)
    xtr_np, ytr_np = fmnist.load("train")
    xte_np, yte_np = fmnist.load("test")
    xtr, ytr = torch.from_numpy(xtr_np), torch.from_numpy(ytr_np)
    xte, yte = torch.from_numpy(xte_np), torch.from_numpy(yte_np)

    res = {
        "torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_info(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "LD_LIBRARY_PATH", "OMP_NUM_THREADS")},
        "train": {}, "head": {}, "infer": {}, "macs_per_sample": {},
    }
    print(f"torch {res['torch']} threads {res['threads']} blas: {res['blas']}", flush=True)
    res["params"] = {}
    for name in args.nets.split(","):
        shape = nets.input_shape(name)
        res["macs_per_sample"][name] = nets.macs_per_sample(nets.NETS[name](), shape)
        res["params"][name] = sum(p.numel() for p in nets.NETS[name]().parameters())
        xtr_n, ytr_n, xte_n = xtr, ytr, xte
        if shape != (1, 28, 28):
            # Random images of the net's size, a pool of batches as bench/engine-bench.ts cycles.
            per = shape[0] * shape[1] * shape[2]
            bs = nets.plan(name)["batch"]
            pool = bs * max(2, min(32, (64 << 20) // (bs * per * 4)))
            g = torch.Generator().manual_seed(1)
            xtr_n = torch.rand((pool, *shape), generator=g)
            ytr_n = torch.randint(0, 10, (pool,), generator=g)
            xte_n = xtr_n
        for phase in [p for p in nets.plan(name)["phases"] if p != "infer"]:
            r = bench_train(name, xtr_n, ytr_n, args, head=phase == "head")
            res[phase][name] = r
            print(f"{phase:6s} {name:14s} batch {nets.plan(name)['batch']:3d}: median {r['median']:9.0f} samples/s  (min {r['min']:.0f}, max {r['max']:.0f})", flush=True)
        if not args.no_infer:
            r = bench_infer(name, xte_n, args)
            res["infer"][name] = r
            print(f"infer  {name:14s} batch {nets.plan(name)['infer_batch']:3d}: median {r['median']:9.0f} samples/s  (min {r['min']:.0f}, max {r['max']:.0f})", flush=True)
    if not args.no_train2:
        res["lenet5_2epochs"] = train_lenet_2epochs(xtr, ytr, xte, yte)
        r = res["lenet5_2epochs"]
        print(f"lenet5 2 epochs: test acc {r['test_acc']:.4f}, train loop {r['train_s']:.1f} s, total {r['total_s']:.1f} s")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
