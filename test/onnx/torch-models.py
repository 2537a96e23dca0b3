# Exports the models of the ONNX import tests with Debian's torch/torchvision: random weights
# (seeded), BatchNorm statistics randomized so they matter, model.eval(), BatchNorm kept as its
# own node (TrainingMode.PRESERVE, no fusing into the conv). Usage: torch-models.py OUT_DIR NAME:OPSET...
import sys, os
import torch, torchvision

class LeNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = torch.nn.Conv2d(6, 16, 5)
        self.fc1 = torch.nn.Linear(400, 120)
        self.fc2 = torch.nn.Linear(120, 84)
        self.fc3 = torch.nn.Linear(84, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))

def make(name):
    if name == 'lenet':
        return LeNet(), (1, 1, 28, 28)
    if name == 'resnet18_backbone':
        # A feature extractor: resnet18 cut before its head (features [N, 512]).
        m = torchvision.models.resnet18(num_classes=10)
        m.fc = torch.nn.Identity()
        return m, (1, 3, 64, 64)
    fn = getattr(torchvision.models, name)
    return fn(num_classes=10), (1, 3, 224, 224)

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for spec in sys.argv[2:]:
    name, opset = spec.split(':')
    torch.manual_seed(0)
    m, shape = make(name)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 1.5)
    m.eval()
    path = os.path.join(out, f'{name}-op{opset}.onnx')
    torch.onnx.export(m, torch.randn(*shape), path + '.tmp', opset_version=int(opset), training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False, input_names=['image'], output_names=['scores'])
    os.replace(path + '.tmp', path)
    print(path, sum(p.numel() for p in m.parameters() if p.requires_grad))
