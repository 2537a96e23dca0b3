"""PyTorch reference for Netwright's gradient and optimizer tests.

Reads a JSON job on stdin (a network as an ordered node list, its weights, a batch, dropout
masks, optimizer settings), runs the same network in PyTorch, and prints loss, gradients,
BatchNorm running statistics and the parameters after `steps` optimizer steps as JSON.
Run with Debian's /usr/bin/python3 (python3-torch).
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float32)
job = json.load(sys.stdin)
shapes = job["shapes"]


def leaf(name):
    return torch.tensor(job["values"][name], dtype=torch.float32).reshape(shapes[name]).requires_grad_(True)


params = {name: leaf(name) for name in job["params"]}
states = {name: torch.tensor(job["values"][name], dtype=torch.float32).reshape(shapes[name]) for name in job["states"]}
x_in = torch.tensor(job["x"], dtype=torch.float32).reshape(job["xshape"])
labels = torch.tensor(job["labels"], dtype=torch.int64)
masks = {k: torch.tensor(v, dtype=torch.float32).reshape(job["maskshapes"][k]) for k, v in job["masks"].items()}


def forward(x0):
    out = {}
    for n in job["nodes"]:
        t, p, nid = n["type"], n["params"], n["id"]
        xs = [out[i] for i in n["inputs"]]
        x = xs[0] if xs else None
        w = lambda k: params[f"{nid}.{k}"]
        if t == "Input":
            y = x0
        elif t == "Conv2D":
            top, left, bottom, right = n["pads"]
            b = w("B") if p["bias"] else None
            y = F.conv2d(F.pad(x, (left, right, top, bottom)), w("W"), b, stride=p["stride"], dilation=p["dilation"], groups=p["groups"])
        elif t == "MaxPool2D":
            top, left, bottom, right = n["pads"]
            y = F.max_pool2d(F.pad(x, (left, right, top, bottom), value=float("-inf")), p["size"], p["stride"])
        elif t == "AvgPool2D":
            top, left, bottom, right = n["pads"]
            y = F.avg_pool2d(F.pad(x, (left, right, top, bottom)), p["size"], p["stride"])
        elif t == "GlobalAvgPool":
            y = x.mean(dim=(2, 3))
        elif t == "Flatten":
            y = x.flatten(1)
        elif t == "Dense":
            y = F.linear(x, w("W"), w("B") if p["bias"] else None)
        elif t == "Dropout":
            y = x * masks[nid] if nid in masks else x
        elif t == "BatchNorm":
            y = F.batch_norm(x, states[f"{nid}.running_mean"], states[f"{nid}.running_var"], w("gamma"), w("beta"),
                             training=True, momentum=p["momentum"], eps=p["epsilon"])
        elif t == "Add":
            y = xs[0]
            for other in xs[1:]:
                y = y + other
        elif t == "Concat":
            y = torch.cat(xs, dim=1)
        elif t == "ReLU":
            y = F.relu(x)
        elif t == "LeakyReLU":
            y = F.leaky_relu(x, p["alpha"])
        elif t == "ELU":
            y = F.elu(x, p["alpha"])
        elif t == "Sigmoid":
            y = torch.sigmoid(x)
        elif t == "Tanh":
            y = torch.tanh(x)
        elif t == "GELU":
            y = F.gelu(x)
        elif t == "Softmax":
            y = F.softmax(x, dim=1)
        elif t == "Clip":
            y = F.hardtanh(x, p["min"], p["max"])
        elif t == "Output":
            y = x
        else:
            raise SystemExit(f"reference.py: no PyTorch equivalent for {t}")
        out[nid] = y
    return out[job["output"]]


def loss_of(scores):
    if job["loss"] == "mse":
        return F.mse_loss(scores, F.one_hot(labels, scores.shape[1]).float())
    return F.cross_entropy(scores, labels)


result = {}
loss = loss_of(forward(x_in))
loss.backward()
result["loss"] = loss.item()
result["grads"] = {k: v.grad.flatten().tolist() for k, v in params.items()}
result["states"] = {k: v.flatten().tolist() for k, v in states.items()}

opt = job.get("optimizer")
if opt:
    plist = list(params.values())
    for v in plist:
        v.grad = None
    if opt["optimizer"] == "sgd":
        o = torch.optim.SGD(plist, lr=opt["lr"], momentum=opt["momentum"], nesterov=opt["nesterov"], weight_decay=opt["weightDecay"])
    elif opt["optimizer"] == "adam":
        o = torch.optim.Adam(plist, lr=opt["lr"], betas=(opt["beta1"], opt["beta2"]), eps=opt["eps"], weight_decay=opt["weightDecay"])
    else:
        o = torch.optim.AdamW(plist, lr=opt["lr"], betas=(opt["beta1"], opt["beta2"]), eps=opt["eps"], weight_decay=opt["weightDecay"])
    for _ in range(opt["steps"]):
        o.zero_grad()
        loss_of(forward(x_in)).backward()
        o.step()
    result["after"] = {k: v.detach().flatten().tolist() for k, v in params.items()}

json.dump(result, sys.stdout)
