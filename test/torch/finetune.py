# The PyTorch side of the fine-tune test (finetune.test.ts), with Debian's python3-torch:
#   finetune.py pretrain OUT_DIR FASHION_DIR  -> OUT_DIR/lenet5-pretrained.onnx and the fine-tune
#       IDX files (ft-train-*: 20 images per class of classes 5-9, ft-test-*: 200 per class from t10k,
#       labels 0-4 for classes 5-9)
#   finetune.py tune OUT_DIR LR MOMENTUM BATCH EPOCHS SEED... -> JSON test accuracies of the
#       pretrained backbone frozen with a fresh 5-class head, and of the same net from scratch
import gzip, json, os, struct, sys
import numpy as np
import torch

torch.set_num_threads(1)


class LeNet5(torch.nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = torch.nn.Conv2d(6, 16, 5)
        self.fc1 = torch.nn.Linear(400, 120)
        self.fc2 = torch.nn.Linear(120, 84)
        self.fc3 = torch.nn.Linear(84, classes)

    def features(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return torch.relu(self.fc2(torch.relu(self.fc1(x))))

    def forward(self, x):
        return self.fc3(self.features(x))


def read_idx(path):
    with (gzip.open if path.endswith('.gz') else open)(path, 'rb') as f:
        b = f.read()
    nd = b[3]
    dims = struct.unpack('>' + 'I' * nd, b[4:4 + 4 * nd])
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def write_idx(path, a):
    a = np.ascontiguousarray(a, dtype=np.uint8)
    with open(path, 'wb') as f:
        f.write(bytes([0, 0, 8, a.ndim]) + struct.pack('>' + 'I' * a.ndim, *a.shape) + a.tobytes())


def tensor(x):
    return torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def train(model, params, x, y, lr, momentum, batch, epochs, seed):
    opt = torch.optim.SGD(params, lr=lr, momentum=momentum)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=g)
        for s in range(0, len(y), batch):
            i = order[s:s + batch]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x[i]), y[i]).backward()
            opt.step()


def pretrain(out, fashion):
    os.makedirs(out, exist_ok=True)
    xi = read_idx(os.path.join(fashion, 'train-images-idx3-ubyte.gz'))
    yi = read_idx(os.path.join(fashion, 'train-labels-idx1-ubyte.gz'))
    xt = read_idx(os.path.join(fashion, 't10k-images-idx3-ubyte.gz'))
    yt = read_idx(os.path.join(fashion, 't10k-labels-idx1-ubyte.gz'))
    # Pretraining: the first 4,000 training images of classes 0-4, two epochs.
    low = np.nonzero(yi < 5)[0][:4000]
    torch.manual_seed(0)
    m = LeNet5(5)
    x, y = tensor(xi[low]), torch.from_numpy(yi[low].astype(np.int64))
    m.train()
    train(m, m.parameters(), x, y, 0.05, 0.9, 32, 2, 0)
    low_t = np.nonzero(yt < 5)[0][:1000]
    pre_acc = accuracy(m, tensor(xt[low_t]), torch.from_numpy(yt[low_t].astype(np.int64)))
    torch.onnx.export(m, torch.zeros(1, 1, 28, 28), os.path.join(out, 'lenet5-pretrained.onnx'), opset_version=13, input_names=['image'], output_names=['scores'])
    torch.save(m.state_dict(), os.path.join(out, 'lenet5-pretrained.pt'))
    # Fine-tuning data: classes 5-9 as labels 0-4; 20 training images per class, 200 test images per class.
    ft = np.concatenate([np.nonzero(yi == c)[0][:20] for c in range(5, 10)])
    te = np.concatenate([np.nonzero(yt == c)[0][:200] for c in range(5, 10)])
    write_idx(os.path.join(out, 'ft-train-images-idx3-ubyte'), xi[ft])
    write_idx(os.path.join(out, 'ft-train-labels-idx1-ubyte'), yi[ft] - 5)
    write_idx(os.path.join(out, 'ft-test-images-idx3-ubyte'), xt[te])
    write_idx(os.path.join(out, 'ft-test-labels-idx1-ubyte'), yt[te] - 5)
    print(json.dumps({'pretrain_images': int(len(low)), 'pretrain_test_accuracy': pre_acc}))


def tune(out, lr, momentum, batch, epochs, seeds):
    x = tensor(read_idx(os.path.join(out, 'ft-train-images-idx3-ubyte')))
    y = torch.from_numpy(read_idx(os.path.join(out, 'ft-train-labels-idx1-ubyte')).astype(np.int64))
    xt = tensor(read_idx(os.path.join(out, 'ft-test-images-idx3-ubyte')))
    yt = torch.from_numpy(read_idx(os.path.join(out, 'ft-test-labels-idx1-ubyte')).astype(np.int64))
    state = torch.load(os.path.join(out, 'lenet5-pretrained.pt'))
    res = {'finetune': [], 'scratch': []}
    for seed in seeds:
        torch.manual_seed(seed)
        m = LeNet5(5)
        m.load_state_dict({k: v for k, v in state.items() if not k.startswith('fc3.')}, strict=False)
        m.fc3 = torch.nn.Linear(84, 5)  # the fresh head
        # The convolutions frozen (Netwright: --freeze on the Flatten); the dense layers train.
        for name, p in m.named_parameters():
            p.requires_grad = name.startswith('fc')
        train(m, [p for p in m.parameters() if p.requires_grad], x, y, lr, momentum, batch, epochs, seed)
        res['finetune'].append(accuracy(m, xt, yt))
        torch.manual_seed(seed)
        s = LeNet5(5)
        s.train()
        train(s, s.parameters(), x, y, lr, momentum, batch, epochs, seed)
        res['scratch'].append(accuracy(s, xt, yt))
    print(json.dumps(res))


if sys.argv[1] == 'pretrain':
    pretrain(sys.argv[2], sys.argv[3])
else:
    out, lr, momentum, batch, epochs = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    tune(out, lr, momentum, batch, epochs, [int(s) for s in sys.argv[7:]])
