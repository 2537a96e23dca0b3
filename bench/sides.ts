// The two sides of the speed benchmark, as npm run bench (bench/run.ts) and bench/paired.ts start
// them: the command lines of bench/engine-bench.ts and bench/torch/torch_bench.py, PyTorch's
// environment, the check that PyTorch is there and on OpenBLAS, and the median both report.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PY = '/usr/bin/python3';
export const TORCH_BENCH = path.join(root, 'bench', 'torch', 'torch_bench.py');
export const TORCH_LENET = path.join(root, 'bench', 'torch', 'torch_lenet.py');

// OpenBLAS 0.3.21 mis-detects newer AVX-512 CPUs; the reference README asks for SkylakeX there (PyTorch process only).
const avx512 = fs.existsSync('/proc/cpuinfo') && /avx512f/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
export const torchEnv: NodeJS.ProcessEnv = { ...process.env, ...(avx512 ? { OPENBLAS_CORETYPE: 'SkylakeX' } : {}) };
delete torchEnv.OPENBLAS_L2_SIZE;

/** Why the PyTorch side cannot be measured, or null. */
export function torchMissing(allowReferenceBlas = false): string | null {
  if (!fs.existsSync(PY) || spawnSync(PY, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) return 'python3-torch is not installed (apt-get install python3-torch python3-numpy libopenblas0-openmp)';
  for (const f of [TORCH_BENCH, TORCH_LENET]) if (!fs.existsSync(f)) return `the PyTorch reference script is missing (${f})`;
  // Without OpenBLAS, Debian's torch resolves libblas.so.3 to the reference BLAS and runs its
  // matrix products 10-40x slower: every ratio would measure that, not the engines.
  const blas = spawnSync(PY, ['-c', "import torch; torch.ones(8, 8) @ torch.ones(8, 8); print('/blas/libblas.so' in open('/proc/self/maps').read())"], { encoding: 'utf8', env: torchEnv });
  if (blas.stdout.trim() === 'True' && !allowReferenceBlas) return 'PyTorch is using the reference BLAS (libblas3), 10-40x slower than OpenBLAS: apt-get install libopenblas0-openmp (or pass --allow-reference-blas to measure anyway)';
  return null;
}

/** Netwright's side for one net: command and arguments (run from `root`). */
export const netwrightSide = (net: string, windows: string): [string, string[]] => [process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'engine-bench.ts'), net, windows]];

/** PyTorch's side for one net, its results written to `json` (run with torchEnv). */
export const pytorchSide = (net: string, windows: string, json: string): [string, string[]] => [PY, [TORCH_BENCH, '--nets', net, '--no-train2', '--windows', windows, '--json', json]];

export const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
