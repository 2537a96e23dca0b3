"""PyTorch's training step on a fixed number of threads, in CPU ms per step (median), for
comparing kernels with Netwright's bench/profile-step.ts. Run with Debian's interpreter:
  OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/torch/torch_step_cpu.py [--threads 1] [--batch 64] mlp lenet5 small_cnn
"""
import argparse
import os
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nets  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument('--threads', type=int, default=1)
ap.add_argument('--batch', type=int, default=64)
ap.add_argument('--runs', type=int, default=60)
ap.add_argument('nets', nargs='*', default=['mlp', 'lenet5', 'small_cnn'])
a = ap.parse_args()
torch.set_num_threads(a.threads)
for name in a.nets:
    torch.manual_seed(0)
    m = nets.NETS[name]()
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    lossf = nn.CrossEntropyLoss()
    x = torch.rand(a.batch, *nets.input_shape(name))
    y = torch.randint(0, 10, (a.batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        lossf(m(x), y).backward()
        opt.step()

    for _ in range(10):
        step()
    s = []
    for _ in range(a.runs):
        t = time.process_time()
        step()
        s.append((time.process_time() - t) * 1000)
    s.sort()
    print(f'torch {name}: {a.threads} thread(s), batch {a.batch}: {s[len(s) // 2]:.2f} CPU ms per step (median of {a.runs})')
