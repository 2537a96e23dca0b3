"""PyTorch side of the LeNet-5 accuracy parity check (scripts/lenet-parity.sh; also the PyTorch side of npm run bench's time to accuracy).

Trains LeNet-5 on Debian's Fashion-MNIST for 2 epochs (SGD lr 0.01, momentum 0.9, batch 64)
and prints the test accuracy as JSON. With --init model.onnx it starts from the weights of
Netwright's init.onnx (so both engines start from the same point); without it, from
PyTorch's default initialization. Run with Debian's /usr/bin/python3.
"""
import argparse
import gzip
import json

import numpy as np
import torch
import torch.nn as nn

FMNIST = "/usr/share/datasets/fashion-mnist"
# Netwright's class index is the sorted folder name; map Fashion-MNIST labels to it.
NAMES = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"]
REMAP = np.array([sorted(NAMES).index(n) for n in NAMES])


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(prefix):
    x = torch.from_numpy(idx(f"{FMNIST}/{prefix}-images-idx3-ubyte.gz").astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(REMAP[idx(f"{FMNIST}/{prefix}-labels-idx1-ubyte.gz")].astype(np.int64))
    return x, y


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def load_init(model, path):
    import onnx
    from onnx import numpy_helper
    weights = {t.name: numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer}
    names = ["conv1", "conv2", "fc1", "fc2", "fc3"]
    layers = [m for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        for name, layer in zip(names, layers):
            layer.weight.copy_(torch.from_numpy(weights[f"{name}.W"].copy()))
            layer.bias.copy_(torch.from_numpy(weights[f"{name}.B"].copy()))


def test_accuracy(model, xte, yte):
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(xte[i:i + 1000]).argmax(1) for i in range(0, xte.shape[0], 1000)])
    model.train()
    return (pred == yte).float().mean().item()


def time_to_target(model, opt, lossf, xtr, ytr, xte, yte, args):
    """Training time (evaluation excluded) until the test accuracy first reaches args.target."""
    import time
    train_s, step = 0.0, 0
    for epoch in range(20):
        perm = torch.randperm(xtr.shape[0])
        for s in range(0, xtr.shape[0], 64):
            t = time.perf_counter()
            i = perm[s:s + 64]
            opt.zero_grad(set_to_none=True)
            lossf(model(xtr[i]), ytr[i]).backward()
            opt.step()
            train_s += time.perf_counter() - t
            step += 1
            if step % args.eval_every == 0:
                acc = test_accuracy(model, xte, yte)
                if acc >= args.target:
                    print(json.dumps({"engine": "pytorch", "target": args.target, "seconds": train_s, "steps": step, "test_acc": acc}))
                    return
    print(json.dumps({"engine": "pytorch", "target": args.target, "seconds": None, "steps": step}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--init")
    ap.add_argument("--target", type=float, help="stop when test accuracy reaches this; report the training time to get there")
    ap.add_argument("--eval-every", type=int, default=100, help="with --target: steps between test evaluations")
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    xtr, ytr = load("train")
    xte, yte = load("t10k")
    model = lenet5()
    if args.init:
        load_init(model, args.init)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    lossf = nn.CrossEntropyLoss()
    if args.target:
        time_to_target(model, opt, lossf, xtr, ytr, xte, yte, args)
        return
    for _ in range(2):
        model.train()
        perm = torch.randperm(xtr.shape[0])
        for s in range(0, xtr.shape[0], 64):
            i = perm[s:s + 64]
            opt.zero_grad(set_to_none=True)
            lossf(model(xtr[i]), ytr[i]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(xte[i:i + 1000]).argmax(1) for i in range(0, xte.shape[0], 1000)])
    print(json.dumps({"seed": args.seed, "init": "netwright" if args.init else "pytorch", "test_acc": (pred == yte).float().mean().item()}))


if __name__ == "__main__":
    main()
