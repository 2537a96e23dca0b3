# PyTorch's gradients for the per-op gradient test (test/autodiff/per-op.test.ts): reads every
# case at once (inputs, upstream gradient dy, the op as a torch expression), computes
# y = expr(inputs) and the gradients of sum(y * dy) in float64, and writes them as JSON.
#   /usr/bin/python3 per_op_torch.py cases.json results.json
import json
import math
import sys

import torch
import torch.nn.functional as F

torch.set_grad_enabled(True)


def tensor(spec):
    dtype = torch.int64 if spec.get('int64') else torch.float64
    t = torch.tensor(spec['data'], dtype=dtype).reshape(spec['shape'])
    if spec.get('grad'):
        t.requires_grad_(True)
    return t


def plain(values):
    # JSON has no inf or nan: send them as strings.
    return [v if math.isfinite(v) else str(v) for v in values]


cases = json.load(open(sys.argv[1]))
out = {}
for c in cases:
    env = {'torch': torch, 'F': F, 'inf': math.inf}
    for spec in c['inputs']:
        env[spec['name']] = tensor(spec)
    try:
        y = eval(c['torch'], env)
        dy = torch.tensor(c['dy'], dtype=torch.float64).reshape(y.shape)
        (y * dy).sum().backward()
        grads = {}
        for spec in c['inputs']:
            if spec.get('grad'):
                g = env[spec['name']].grad
                grads[spec['name']] = plain((g if g is not None else torch.zeros(spec['shape'], dtype=torch.float64)).flatten().tolist())
        out[c['id']] = {'shape': list(y.shape), 'y': plain(y.detach().flatten().tolist()), 'grads': grads}
    except Exception as e:  # reported by the case's test, by name
        out[c['id']] = {'error': f'{type(e).__name__}: {e}'}
json.dump(out, open(sys.argv[2], 'w'))
