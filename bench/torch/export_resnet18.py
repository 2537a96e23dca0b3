"""Exports torchvision's resnet18 (10 classes, random weights) to ONNX for the bench's resnet18-224.
  /usr/bin/python3 bench/torch/export_resnet18.py OUT.onnx"""
import sys

import torch
import torchvision

torch.manual_seed(0)
model = torchvision.models.resnet18(num_classes=10).eval()
torch.onnx.export(model, torch.randn(1, 3, 224, 224), sys.argv[1], opset_version=17,
                  training=torch.onnx.TrainingMode.PRESERVE, input_names=["input"], output_names=["logits"])
