"""The bench's reference nets (PyTorch definitions; their Netwright twins are bench/nets.ts) + MAC counts."""
import torch
import torch.nn as nn


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def small_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(3136, 128), nn.ReLU(),
        nn.Linear(128, 10))


def conv_bn(cin, cout, k, stride, act=None, groups=1):
    layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, *([act()] if act else []))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.branch = nn.Sequential(conv_bn(cin, cout, 3, stride, nn.ReLU), conv_bn(cout, cout, 3, 1))
        self.down = conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout else None
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.branch(x) + (self.down(x) if self.down is not None else x))


def resnet_64():
    """ResNet-style at 64x64 RGB: stem, two stages of two basic blocks (32, then 64 channels at stride 2)."""
    return nn.Sequential(
        conv_bn(3, 32, 3, 1, nn.ReLU),
        BasicBlock(32, 32, 1), BasicBlock(32, 32, 1),
        BasicBlock(32, 64, 2), BasicBlock(64, 64, 1),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, t):
        super().__init__()
        hidden = cin * t
        layers = [conv_bn(cin, hidden, 1, 1, nn.ReLU6)] if t != 1 else []
        layers += [conv_bn(hidden, hidden, 3, stride, nn.ReLU6, groups=hidden), conv_bn(hidden, cout, 1, 1)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


def mobilenetv2_96():
    """MobileNetV2-style at 96x96 RGB: stem at stride 2, (t, c, n, s) = (1,16,1,1), (6,24,2,2), (6,32,2,2), 1x1 to 128."""
    layers, cin = [conv_bn(3, 32, 3, 2, nn.ReLU6)], 32
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 2, 2)]:
        for r in range(n):
            layers.append(InvertedResidual(cin, c, s if r == 0 else 1, t))
            cin = c
    layers += [conv_bn(cin, 128, 1, 1, nn.ReLU6), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10)]
    return nn.Sequential(*layers)


def resnet18_224():
    """torchvision's resnet18 with 10 classes (Netwright's side imports its ONNX export)."""
    import torchvision
    return torchvision.models.resnet18(num_classes=10)


NETS = {"mlp": mlp, "lenet5": lenet5, "small_cnn": small_cnn, "resnet-64": resnet_64, "mobilenetv2-96": mobilenetv2_96,
        "resnet18-224": resnet18_224}
INPUT = {"resnet-64": (3, 64, 64), "mobilenetv2-96": (3, 96, 96), "resnet18-224": (3, 224, 224)}
# What the bench times per net and at which batch (bench/nets.ts benchPlan and inferBatch: the same).
PLAN = {"resnet18-224": {"batch": 32, "phases": ["head", "infer"], "infer_batch": 32}}


def plan(name):
    per = 1
    for d in input_shape(name):
        per *= d
    return PLAN.get(name, {"batch": 64, "phases": ["train", "infer"], "infer_batch": 256 if per <= 4096 else 64})


def input_shape(name):
    """One sample's [C, H, W]: Fashion-MNIST's 1x28x28 unless the net says otherwise."""
    return INPUT.get(name, (1, 28, 28))


def macs_per_sample(model, shape=(1, 28, 28)):
    """Multiply-accumulates of Conv2d/Linear layers for one sample."""
    total = 0

    def hook(mod, inp, out):
        nonlocal total
        if isinstance(mod, nn.Conv2d):
            k = mod.in_channels // mod.groups * mod.kernel_size[0] * mod.kernel_size[1]
            total += out[0].numel() * k
        elif isinstance(mod, nn.Linear):
            total += mod.in_features * mod.out_features

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model(torch.zeros(1, *shape))
    for h in hs:
        h.remove()
    return total
