#!/bin/bash
# Two builds of Netwright (two checkouts) and PyTorch, launch after launch, on one net:
#   bench/ab-builds.sh NET ROUNDS WINDOWS DIR_A DIR_B [torch]
# (a checkout of an older commit: git archive <commit> | tar -x -C DIR, node_modules linked in).
here=$(cd "$(dirname "$0")" && pwd)
net=$1; rounds=$2; win=$3; A=$4; B=$5; T=$6
for r in $(seq $rounds); do
  for d in $A $B; do
    (cd $d && node --import tsx bench/engine-bench.ts $net $win 2>/dev/null | python3 -c "import json,sys; j=json.loads(sys.stdin.read().strip().split('\n')[-1]); print('$r', '$(basename $d)', ' '.join(f'{k} {j[k][\"median\"]:.1f}' for k in ('train','head','infer') if k in j))")
  done
  if [ -n "$T" ]; then
    /usr/bin/python3 $here/torch/torch_bench.py --nets $net --no-train2 --windows $win --json ${TMPDIR:-/tmp}/nw-ab-torch.json >/dev/null 2>&1
    python3 -c "import json; j=json.load(open('${TMPDIR:-/tmp}/nw-ab-torch.json')); print('$r', 'torch', ' '.join(f'{k} {j[k][\"$net\"][\"median\"]:.1f}' for k in ('train','head','infer') if j.get(k) and '$net' in j[k]))"
  fi
done
