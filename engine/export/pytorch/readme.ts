// README.md of an exported PyTorch package: what is in it and the exact commands.
import type { NetworkDocument } from '../../graph/document.ts';
import { LOSSES } from '../../graph/losses.ts';
import type { ModelSource } from './model-py.ts';

export function readmeSource(o: { doc: NetworkDocument; model: ModelSource; weightsFrom: string | null }): string {
  const t = o.doc.training;
  const { model } = o;
  const opt = t.optimizer === 'sgd' ? `SGD lr ${t.lr}, momentum ${t.momentum}${t.nesterov ? ' (Nesterov)' : ''}, weight decay ${t.weightDecay}` : `${t.optimizer === 'adam' ? 'Adam' : 'AdamW'} lr ${t.lr}, betas (${t.beta1}, ${t.beta2}), eps ${t.eps}, weight decay ${t.weightDecay}`;
  return `# ${o.doc.name}: PyTorch

Exported by \`netwright export-pytorch\`. Needs Python 3 with PyTorch and Pillow (nothing else).

| file | what |
|---|---|
| \`model.py\` | \`${model.className}\`, an \`nn.Module\`: input \`[N, ${model.inputShape.join(', ')}]\` (pixels x/255, then the normalization), output logits \`[N, ${model.classes}]\`; its attributes are the document's node ids |
| \`train.py\` | the document's data pipeline and settings: ${opt}; batch ${t.batchSize}, ${t.epochs} epochs, seed ${t.seed}, validation split ${t.valSplit}; ${LOSSES[model.loss].label} loss |
| \`network.json\` | the Netwright document (for \`netwright.document\` in the exported ONNX) |
${o.weightsFrom ? `| \`weights.pt\` | the weights of ${o.weightsFrom} (\`model.load_state_dict(torch.load("weights.pt"))\`); train.py starts from them |\n` : ''}
## Train

\`\`\`sh
python train.py --data DIR                      # one process: CPU, or the GPU when there is one
python train.py --data DIR --epochs 5 --batch 128 --lr 0.05 --out runs/a --onnx runs/a/model.onnx

# DistributedDataParallel: one process per GPU (nccl), or per CPU share (gloo)
torchrun --nnodes 1 --nproc_per_node 4 train.py --data DIR --out runs/ddp
# several machines: run this on each, with its own --node_rank
torchrun --nnodes 2 --nproc_per_node 8 --node_rank 0 --master_addr HOST --master_port 29500 train.py --data DIR
\`\`\`

\`DIR\` holds one subfolder per class (class index = sorted folder name), or \`train/\` beside
\`val/\`, as in Netwright; a class-folder dataset is split into training and validation exactly as
Netwright splits it (same seed, same files). train.py reads only the variables torchrun sets
(\`RANK\`, \`LOCAL_RANK\`, \`WORLD_SIZE\`, \`MASTER_ADDR\`, \`MASTER_PORT\`), so SLURM's srun
wrappers and Kubernetes' PyTorchJob start it unchanged. \`--batch\` is the global batch: each of
W processes takes ceil(batch / W) images a step, so a step means the same as in Netwright.
On CPU (gloo), a process group that waits at start-up on one machine usually means the host
name resolves to an address that is not this machine's: set \`GLOO_SOCKET_IFNAME=lo\` (the
loopback interface; on several machines, the interface that connects them, e.g. \`eth0\`).
Only rank 0 writes: \`metrics.csv\` (Netwright's columns: \`step,epoch,loss,accuracy,val_loss,val_accuracy,samples_per_s\`),
\`model.pt\` (the last epoch), \`best.pt\` (best validation accuracy), \`checkpoint.pt\` after every
epoch (\`--resume\` goes on from it) and, with \`--onnx FILE\`, a model Netwright reads:

\`\`\`sh
netwright eval FILE --data TEST_DIR
netwright predict FILE TEST_DIR --csv predictions.csv
\`\`\`

Other options: \`--max-steps\`, \`--weights FILE|none\`, \`--workers\` (data loader processes,
default 2), \`--threads\`, \`--device auto|cpu|cuda\`, \`--seed\`, \`--val-split\`.
`;
}
