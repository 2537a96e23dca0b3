// train.py: the document's data pipeline, optimizer, schedule, loss and settings as one PyTorch
// script that runs alone or under torchrun (DistributedDataParallel). The Python below follows
// Netwright's own rules, each named where it is ported: the image-folder scan and seeded split
// (engine/data/scan.ts, engine/graph/rng.ts), decoding (data/decode.ts), augmentation and
// normalization (data/batches.ts), the learning-rate schedule (train/schedule.ts), the
// optimizers (autodiff/optimizers.ts: PyTorch's own update rules), metrics.csv (train/metrics.ts).
import { LOSSES, type LossName } from '../../graph/losses.ts';

/** A JSON value as a Python literal. */
export function pyLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? "float('inf')" : "float('-inf')";
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(pyLiteral).join(', ')}]`;
  return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${JSON.stringify(k)}: ${pyLiteral(x)}`).join(', ')}}`;
}

export interface TrainConfig {
  name: string;
  className: string;
  /** The document's training block with every default filled in (schedule and data too). */
  training: Record<string, unknown>;
  loss: LossName;
  /** From a run: its class names and normalization; null for a plain document. */
  classNames: string[] | null;
  mean: number[] | null;
  std: number[] | null;
}

export function trainSource(c: TrainConfig): string {
  const loss = LOSSES[c.loss];
  const settings = Object.entries({ ...c.training, loss: c.loss, classNames: c.classNames, mean: c.mean, std: c.std })
    .map(([k, v]) => `    ${JSON.stringify(k)}: ${pyLiteral(v)},`)
    .join('\n');
  return TEMPLATE.replace('@NAME@', c.name.replace(/"""/g, "'''")).replace('@CLASS@', c.className).replace('@SETTINGS@', settings)
    .replace('@LOSS_LABEL@', loss.label).replace('@LOSS_SUM@', loss.pytorch.lossSum).replace('@PROBS@', loss.pytorch.probs).replace('@OUTPUT_TAG@', loss.outputTag);
}

const TEMPLATE = String.raw`#!/usr/bin/env python3
"""Trains @NAME@ with PyTorch: the network (model.py), the data pipeline and
the settings of its Netwright document. See README.md for the commands.

    python train.py --data DIR                                   # one process: CPU, or one GPU
    torchrun --nnodes 1 --nproc_per_node 4 train.py --data DIR   # DistributedDataParallel

Under torchrun (or SLURM's srun wrappers, or Kubernetes' PyTorchJob) it reads only RANK,
LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT; nccl on CUDA, gloo on CPU. --batch is the
global batch: each of W processes takes ceil(batch / W) samples a step. Only rank 0 writes files.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from PIL import Image, ImageOps
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import @CLASS@ as Net  # noqa: E402

# The document's settings (netwright export-pytorch writes them; edit freely).
SETTINGS = {
@SETTINGS@
}

METRICS_HEADER = "step,epoch,loss,accuracy,val_loss,val_accuracy,samples_per_s"


# ---- Netwright's seeded generator (xoshiro128**), so the validation split is Netwright's ----

M32 = 0xFFFFFFFF


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


class Rng:
    def __init__(self, seed):
        self.s = []
        x = seed & M32
        for _ in range(4):
            x = (x + 0x9E3779B9) & M32
            z = x
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
            self.s.append((z ^ (z >> 16)) & M32)

    def next_u32(self):
        s = self.s
        r = (_rotl((s[1] * 5) & M32, 7) * 9) & M32
        t = (s[1] << 9) & M32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 11)
        return r

    def int(self, n):
        return math.floor(self.next_u32() / 4294967296 * n)

    def shuffle(self, a):
        for i in range(len(a) - 1, 0, -1):
            j = self.int(i + 1)
            a[i], a[j] = a[j], a[i]
        return a


# ---- The image folder: one subfolder per class (index = sorted name), or train/ beside val/ ----

LITTER = {"thumbs.db", "desktop.ini", "__macosx"}


def _entries(folder, skipped):
    dirs, files = [], []
    try:
        names = sorted(os.listdir(folder))
    except OSError as e:
        skipped.append((folder, "cannot list folder (%s)" % e.strerror))
        return dirs, files
    for name in names:
        p = os.path.join(folder, name)
        if name.startswith(".") or name.lower() in LITTER:
            skipped.append((p, "hidden or system file (ignored)"))
        elif os.path.isdir(p):
            dirs.append(name)
        elif os.path.isfile(p):
            files.append(name)
        else:
            skipped.append((p, "not a regular file (broken link, FIFO, socket or device)"))
    return dirs, files


def _files_below(folder, seen, skipped, out):
    real = os.path.realpath(folder)
    if real in seen:
        skipped.append((folder, "symbolic link loop"))
        return out
    seen.add(real)
    dirs, files = _entries(folder, skipped)
    out.extend(os.path.join(folder, f) for f in files)
    for d in dirs:
        _files_below(os.path.join(folder, d), seen, skipped, out)
    return out


def _classes(folder, skipped, above=()):
    dirs, files = _entries(folder, skipped)
    skipped.extend((os.path.join(folder, f), "not inside a class folder") for f in files)
    reals = {os.path.realpath(d) for d in (folder, *above)}
    return {d: _files_below(os.path.join(folder, d), set(reals), skipped, []) for d in dirs}


def scan_folder(root, val_split, seed):
    """(class names, train [(path, label)], val [(path, label)], skipped [(path, reason)]), as Netwright splits."""
    root = os.path.abspath(root)
    if not os.path.isdir(root):
        raise SystemExit("dataset folder %s does not exist" % root)
    skipped = []
    top, _ = _entries(root, [])
    eval_name = "val" if "val" in top else "test" if "test" in top else None
    train, val = [], []
    if "train" in top and eval_name and _entries(os.path.join(root, "train"), [])[0] and _entries(os.path.join(root, eval_name), [])[0]:
        sides = [_classes(os.path.join(root, side), skipped, [root]) for side in ("train", eval_name)]
        names = sorted(n for n in set(sides[0]) | set(sides[1]) if sides[0].get(n) or sides[1].get(n))
        for label, n in enumerate(names):
            train += [(p, label) for p in sorted(sides[0].get(n, []))]
            val += [(p, label) for p in sorted(sides[1].get(n, []))]
    else:
        classes = _classes(root, skipped)
        names = sorted(n for n, files in classes.items() if files)
        for label, n in enumerate(names):
            files = Rng(seed).shuffle(list(classes[n]))
            n_val = math.floor(len(files) * val_split + 0.5)
            val += [(p, label) for p in sorted(files[:n_val])]
            train += [(p, label) for p in sorted(files[n_val:])]
    if not names:
        raise SystemExit("found no class folders with images in %s: expected one subfolder per class, e.g. %s" % (root, os.path.join(root, "cat", "*.png")))
    return names, train, val, skipped


def readable(samples, skipped):
    """Samples PIL can open (header check); the rest go to skipped with the reason."""
    out = []
    for path, label in samples:
        try:
            with Image.open(path):
                out.append((path, label))
        except Exception as e:  # noqa: BLE001 - any failure means the file is not a usable image
            skipped.append((path, "not a readable image (%s)" % type(e).__name__))
    return out


_LANCZOS = getattr(Image, "Resampling", Image).LANCZOS


def load_image(path, channels, height, width, resize):
    """uint8 [C, H, W]: EXIF orientation applied, alpha flattened on black, fitted by the resize policy."""
    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im)
        if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
            im = Image.alpha_composite(Image.new("RGBA", im.size, (0, 0, 0, 255)), im.convert("RGBA"))
        im = im.convert("L" if channels == 1 else "RGB")
        if im.size != (width, height):
            if resize == "center-crop":
                im = ImageOps.fit(im, (width, height), _LANCZOS)
            elif resize == "letterbox":
                im = ImageOps.pad(im, (width, height), _LANCZOS, color=0)
            else:
                im = im.resize((width, height), _LANCZOS)
        px = torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8)
    return px.view(height, width, channels).permute(2, 0, 1).contiguous()


def _offset(r):
    return int(torch.randint(-r, r + 1, ()).item()) if r > 0 else 0


def augment(x, a):
    """Netwright's augmentation of one image in [0, 1]: flip, shift (crop padding + translate, zero fill), brightness, contrast."""
    c, h, w = x.shape
    if a["hflip"] and torch.rand(()).item() < 0.5:
        x = x.flip(2)
    dx = _offset(a["cropPadding"]) + _offset(math.floor(a["translate"] * w + 0.5))
    dy = _offset(a["cropPadding"]) + _offset(math.floor(a["translate"] * h + 0.5))
    if dx or dy:
        out = torch.zeros_like(x)
        hh, ww = h - abs(dy), w - abs(dx)
        if hh > 0 and ww > 0:
            out[:, max(dy, 0):max(dy, 0) + hh, max(dx, 0):max(dx, 0) + ww] = x[:, max(-dy, 0):max(-dy, 0) + hh, max(-dx, 0):max(-dx, 0) + ww]
        x = out
    if a["brightness"] > 0:
        x = (x * (1 + a["brightness"] * (2 * torch.rand(()).item() - 1))).clamp(max=1)
    if a["contrast"] > 0:
        k = 1 + a["contrast"] * (2 * torch.rand(()).item() - 1)
        gray = (0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]).mean() if c == 3 else x.mean()
        x = ((x - gray) * k + gray).clamp(0, 1)
    return x


class ImageFolderDataset(Dataset):
    def __init__(self, samples, mean, std, augment_settings=None):
        self.samples = samples
        self.mean = torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).view(-1, 1, 1)
        self.augment = augment_settings

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        path, label = self.samples[i]
        c, h, w = Net.input_shape
        try:
            x = load_image(path, c, h, w, SETTINGS["data"]["resize"]).float() / 255
        except Exception as e:
            raise RuntimeError("cannot decode %s: %s (netwright dataset inspect lists unusable files)" % (path, e)) from e
        if self.augment:
            x = augment(x, self.augment)
        return (x - self.mean) / self.std, label


def is_augmenting(a):
    return a["hflip"] or a["cropPadding"] > 0 or a["translate"] > 0 or a["brightness"] > 0 or a["contrast"] > 0


def lr_at(base, s, step, steps_per_epoch, total_steps):
    """Learning rate of optimizer step 'step' (1-based): warm-up, then constant, step decay or cosine."""
    warm = s["warmupSteps"]
    if warm > 0 and step <= warm:
        return base * step / warm
    if s["kind"] == "step":
        epoch = (step - 1) // max(1, steps_per_epoch)
        return base * s["gamma"] ** (epoch // s["stepEpochs"])
    if s["kind"] == "cosine":
        span = max(1, total_steps - warm - 1)
        t = min(1.0, max(0.0, (step - warm - 1) / span))
        low = base * s["minFactor"]
        return low + (base - low) * (1 + math.cos(math.pi * t)) / 2
    return base


def make_optimizer(params, t):
    if t["optimizer"] == "sgd":
        m = t["momentum"]
        return torch.optim.SGD(params, lr=t["lr"], momentum=m, nesterov=bool(t["nesterov"] and m > 0), weight_decay=t["weightDecay"])
    kind = torch.optim.Adam if t["optimizer"] == "adam" else torch.optim.AdamW  # adam: L2; adamw: decoupled
    return kind(params, lr=t["lr"], betas=(t["beta1"], t["beta2"]), eps=t["eps"], weight_decay=t["weightDecay"])


def loss_sum(logits, y):
    """Summed over the batch: @LOSS_LABEL@."""
    return @LOSS_SUM@


def all_sum(values, device, distributed):
    t = torch.tensor(values, dtype=torch.float64, device=device)
    if distributed:
        dist.all_reduce(t)
    return t.tolist()


def channel_stats(samples, device, distributed, rank, world):
    """Per-channel mean and std of pixel/255 over the training split (each rank reads its share)."""
    c, h, w = Net.input_shape
    acc = [0.0] * (2 * c)
    for path, _ in samples[rank::world]:
        x = load_image(path, c, h, w, SETTINGS["data"]["resize"]).double() / 255
        acc = [a + b for a, b in zip(acc, x.sum(dim=(1, 2)).tolist() + (x * x).sum(dim=(1, 2)).tolist())]
    acc = all_sum(acc, device, distributed)
    n = max(1, len(samples) * h * w)
    mean = [s / n for s in acc[:c]]
    std = [max(math.sqrt(max(q / n - m * m, 0.0)), 1e-3) for q, m in zip(acc[c:], mean)]
    return mean, std


def evaluate(model, samples, mean, std, device, distributed, workers):
    """(loss sum, correct, count) over every rank's share of the validation split."""
    model.eval()
    totals = [0.0, 0.0, 0.0]
    if samples:
        loader = DataLoader(ImageFolderDataset(samples, mean, std), batch_size=256, num_workers=workers)
        with torch.no_grad():
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                out = model(x)
                totals[0] += loss_sum(out, y).item()
                totals[1] += (out.argmax(1) == y).sum().item()
                totals[2] += len(y)
    return all_sum(totals, device, distributed)


def save_atomic(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(tag, payload):
    return bytes([tag]) + _varint(len(payload)) + payload


class WithProbs(nn.Module):
    """The exported graph Netwright reads: input -> logits and probs (softmax for cross-entropy)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        logits = self.net(x)
        return logits, @PROBS@


def export_onnx(model, path, class_names, mean, std):
    c, h, w = Net.input_shape
    model = WithProbs(model).cpu().eval()
    torch.onnx.export(model, torch.zeros(1, c, h, w), path, input_names=["input"], output_names=["logits", "probs"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}, "probs": {0: "N"}}, opset_version=17)
    meta = {
        "netwright.class_names": json.dumps(class_names),
        "netwright.input_shape": json.dumps([c, h, w]),
        "netwright.scaling": "(x/255 - mean) / std" if SETTINGS["data"]["normalize"] == "mean-std" else "x/255",
        "netwright.output": "@OUTPUT_TAG@",
    }
    if SETTINGS["data"]["normalize"] == "mean-std":
        meta.update({"netwright.mean": json.dumps(mean), "netwright.std": json.dumps(std)})
    document = os.path.join(HERE, "network.json")
    if os.path.exists(document):
        with open(document, encoding="utf-8") as f:
            meta["netwright.document"] = json.dumps(json.load(f))
    # ModelProto.metadata_props (field 14): appending fields to a protobuf message is valid, so no onnx package is needed.
    with open(path, "ab") as f:
        f.write(b"".join(_field(0x72, _field(0x0A, k.encode()) + _field(0x12, v.encode())) for k, v in meta.items()))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="image folder: one subfolder per class, or train/ beside val/")
    p.add_argument("--out", default="runs/pytorch", help="output folder (default runs/pytorch)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch", type=int, help="global batch size (split over the processes)")
    p.add_argument("--lr", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--val-split", type=float, help="fraction of each class held out (class-folder layout)")
    p.add_argument("--max-steps", type=int, help="stop after this many optimizer steps")
    p.add_argument("--weights", help="initial weights (default: weights.pt beside train.py when present; 'none': PyTorch's initialization)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--onnx", help="write the trained model as ONNX for Netwright (netwright eval FILE --data DIR)")
    p.add_argument("--workers", type=int, default=2, help="data loader processes per training process (default 2)")
    p.add_argument("--threads", type=int, help="torch threads per process")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    return p.parse_args()


def main():
    args = parse_args()
    rank = int(os.environ.get("RANK", "0"))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    distributed = world > 1
    cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    if cuda:
        torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank) if cuda else torch.device("cpu")
    if args.threads:
        torch.set_num_threads(args.threads)
    if distributed:
        dist.init_process_group("nccl" if cuda else "gloo", init_method="env://", rank=rank, world_size=world)
    main_rank = rank == 0

    def log(msg):
        if main_rank:
            print(msg, flush=True)

    t = dict(SETTINGS)
    for key, value in (("epochs", args.epochs), ("batchSize", args.batch), ("lr", args.lr), ("seed", args.seed), ("valSplit", args.val_split)):
        if value is not None:
            t[key] = value
    torch.manual_seed(t["seed"])
    names, train_samples, val_samples, skipped = scan_folder(args.data, t["valSplit"], t["seed"])
    train_samples, val_samples = readable(train_samples, skipped), readable(val_samples, skipped)
    if len(names) != Net.classes:
        raise SystemExit("the network has %d classes but %s has %d class folders (%s)" % (Net.classes, args.data, len(names), ", ".join(names)))
    if t["classNames"] and t["classNames"] != names:
        raise SystemExit("%s has the classes %s but the exported run was trained on %s" % (args.data, names, t["classNames"]))
    if not train_samples:
        raise SystemExit("no usable training images in %s" % args.data)

    model = Net()
    weights = args.weights if args.weights is not None else (os.path.join(HERE, "weights.pt") if os.path.exists(os.path.join(HERE, "weights.pt")) else "none")
    if weights != "none":
        model.load_state_dict(torch.load(weights, map_location="cpu"))
    model.to(device)
    net = DistributedDataParallel(model, device_ids=[local_rank] if cuda else None) if distributed else model

    data = t["data"]
    c = Net.input_shape[0]
    if data["normalize"] != "mean-std":
        mean, std = [0.0] * c, [1.0] * c
    elif t["mean"]:
        mean, std = t["mean"], t["std"]
    else:
        mean, std = channel_stats(train_samples, device, distributed, rank, world)

    per_rank = math.ceil(t["batchSize"] / world)
    train_set = ImageFolderDataset(train_samples, mean, std, data["augment"] if is_augmenting(data["augment"]) else None)
    sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True, seed=t["seed"], drop_last=False) if distributed else None
    order = torch.Generator()
    order.manual_seed(t["seed"])
    loader = DataLoader(train_set, batch_size=per_rank, shuffle=sampler is None, sampler=sampler, generator=order, num_workers=args.workers,
                        pin_memory=cuda, drop_last=False, persistent_workers=args.workers > 0)
    steps_per_epoch = len(loader)
    horizon = steps_per_epoch * t["epochs"]
    optimizer = make_optimizer(model.parameters(), t)
    schedule = t["schedule"]

    os.makedirs(args.out, exist_ok=True)
    start_epoch, step, best = 1, 0, None
    checkpoint_file = os.path.join(args.out, "checkpoint.pt")
    if args.resume and os.path.exists(checkpoint_file):
        ck = torch.load(checkpoint_file, map_location="cpu")
        model.load_state_dict(ck["model"])
        optimizer.load_state_dict(ck["optimizer"])
        start_epoch, step, best = ck["epoch"] + 1, ck["step"], ck["best"]
        log("resuming from %s after epoch %d (step %d)" % (checkpoint_file, ck["epoch"], step))
    metrics = None
    if main_rank:
        fresh = start_epoch == 1 or not os.path.exists(os.path.join(args.out, "metrics.csv"))
        metrics = open(os.path.join(args.out, "metrics.csv"), "w" if fresh else "a", encoding="utf-8")
        if fresh:
            metrics.write(METRICS_HEADER + "\n")
        if skipped:
            with open(os.path.join(args.out, "skipped.csv"), "w", encoding="utf-8") as f:
                f.write("path,reason\n" + "".join('"%s","%s"\n' % (p.replace('"', '""'), r) for p, r in skipped))
    log("training on %s%s: %d images (%d for validation), %d classes, %d steps per epoch, batch %d (%d per process)"
        % (device, " x %d processes" % world if distributed else "", len(train_samples), len(val_samples), len(names), steps_per_epoch, t["batchSize"], per_rank))

    fmt = lambda v, digits=6: "" if v is None else "%.*f" % (digits, v)  # noqa: E731
    stop = False
    for epoch in range(start_epoch, t["epochs"] + 1):
        if sampler is not None:
            sampler.set_epoch(epoch)
        net.train()
        sums = [0.0, 0.0, 0.0]
        t0 = time.perf_counter()
        for x, y in loader:
            ts = time.perf_counter()
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            lr = lr_at(t["lr"], schedule, step + 1, steps_per_epoch, horizon)
            for group in optimizer.param_groups:
                group["lr"] = lr
            out = net(x)
            loss = loss_sum(out, y) / len(y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            s = all_sum([loss.item() * len(y), (out.argmax(1) == y).sum().item(), len(y)], device, distributed)
            sums = [a + b for a, b in zip(sums, s)]
            if metrics:
                metrics.write(",".join([str(step), str(epoch), fmt(s[0] / s[2]), fmt(s[1] / s[2]), "", "", fmt(s[2] / (time.perf_counter() - ts), 1)]) + "\n")
            if args.max_steps and step >= args.max_steps:
                stop = True
                break
        seconds = time.perf_counter() - t0
        val = evaluate(model, val_samples[rank::world], mean, std, device, distributed, args.workers) if val_samples else None
        val_loss = val[0] / val[2] if val else None
        val_acc = val[1] / val[2] if val else None
        loss_e, acc_e = sums[0] / max(sums[2], 1), sums[1] / max(sums[2], 1)
        if main_rank:
            metrics.write(",".join([str(step), str(epoch), fmt(loss_e), fmt(acc_e), fmt(val_loss), fmt(val_acc), fmt(sums[2] / seconds, 1)]) + "\n")
            metrics.flush()
            score = (val_acc if val else acc_e, -(val_loss if val else loss_e))
            state = model.state_dict()
            save_atomic(state, os.path.join(args.out, "model.pt"))
            if best is None or score > tuple(best["score"]):
                best = {"epoch": epoch, "score": list(score)}
                save_atomic(state, os.path.join(args.out, "best.pt"))
            save_atomic({"model": state, "optimizer": optimizer.state_dict(), "epoch": epoch, "step": step, "best": best, "classNames": names, "mean": mean, "std": std}, checkpoint_file)
            print("epoch %d: loss %.4f  acc %.2f%%%s  (%.1f s, %d samples/s)" % (epoch, loss_e, 100 * acc_e,
                  "  val loss %.4f  val acc %.2f%%" % (val_loss, 100 * val_acc) if val else "", seconds, sums[2] / seconds), flush=True)
        if stop:
            break
    if main_rank:
        metrics.close()
        if args.onnx:
            export_onnx(model, args.onnx, names, mean, std)
            print("wrote %s (netwright eval %s --data DIR)" % (args.onnx, args.onnx))
        print("done after %d steps; wrote %s" % (step, args.out))
    if distributed:
        dist.barrier()
        dist.destroy_process_group()
        # Every file is written and closed. Freeing DDP and gloo's process group after the other
        # ranks have left can wait forever (seen with PyTorch 1.13 on CPU), so leave without it.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


if __name__ == "__main__":
    main()
`;
