# Loads exported PyTorch packages (model.py + weights.pt) and writes their logits for a batch.
# stdin: JSON [{"dir", "className", "input" (raw float32 file), "shape", "output"}].
import importlib.util
import json
import sys

import numpy as np
import torch

torch.set_num_threads(1)
for i, job in enumerate(json.load(sys.stdin)):
    spec = importlib.util.spec_from_file_location("exported_model_%d" % i, job["dir"] + "/model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = getattr(module, job["className"])()
    net.load_state_dict(torch.load(job["dir"] + "/weights.pt"))
    net.eval()
    x = torch.from_numpy(np.fromfile(job["input"], dtype=np.float32).reshape(job["shape"]))
    with torch.no_grad():
        net(x).numpy().astype(np.float32).tofile(job["output"])
