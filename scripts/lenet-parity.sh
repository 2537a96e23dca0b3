#!/usr/bin/env bash
# LeNet-5 on Fashion-MNIST, 2 epochs, SGD lr 0.01 momentum 0.9, batch 64: Netwright vs PyTorch.
# Needs Debian's dataset-fashion-mnist and python3-torch (+ python3-onnx for the shared init).
# Usage: scripts/lenet-parity.sh [seeds...]   (default: 1 2 3)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=("${@:-1 2 3}")
[ $# -eq 0 ] && seeds=(1 2 3)
F=/usr/share/datasets/fashion-mnist
data=.cache/fashion-mnist
nw() { node bin/netwright.js "$@"; }
[ -d "$data/train" ] || nw import-idx $F/train-images-idx3-ubyte.gz $F/train-labels-idx1-ubyte.gz --out "$data/train" --classes fashion-mnist
[ -d "$data/test" ] || nw import-idx $F/t10k-images-idx3-ubyte.gz $F/t10k-labels-idx1-ubyte.gz --out "$data/test" --classes fashion-mnist
for s in "${seeds[@]}"; do
  out=runs/lenet-parity-$s
  nw train examples/lenet5.json --data "$data/train" --epochs 2 --batch 64 --lr 0.01 --momentum 0.9 --val-split 0 --seed "$s" --out "$out" > "$out.log" 2>&1 || { cat "$out.log"; exit 1; }
  acc=$(nw eval "$out/model.onnx" --data "$data/test" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).accuracy))')
  echo "{\"seed\": $s, \"engine\": \"netwright\", \"test_acc\": $acc}"
  /usr/bin/python3 bench/torch/torch_lenet.py --seed "$s" --init "$out/init.onnx" | sed 's/^{/{"engine": "pytorch", /'
  /usr/bin/python3 bench/torch/torch_lenet.py --seed "$s" | sed 's/^{/{"engine": "pytorch", /'
done
