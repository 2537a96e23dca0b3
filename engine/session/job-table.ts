// The functions a job worker can run, by name: each takes the Project first, then plain
// (structured-cloneable) arguments, and returns a plain result.
import { augmentPreview, reportFor } from './dataset.ts';
import { evaluateRun } from './evaluate.ts';
import { exportRun } from './export.ts';
import { checkGradients } from './gradcheck.ts';
import { importIdxFolder } from './import.ts';
import { importOnnxJob } from './onnx-import.ts';
import { learnBatches, learnLayer, learnNudge } from './learn.ts';
import { predictImage } from './predict.ts';
import { exportRunPyTorch, predictFolder } from './pytorch.ts';

export const JOBS = {
  datasetReport: reportFor,
  augmentPreview,
  evaluate: evaluateRun,
  predict: predictImage,
  exportModel: exportRun,
  exportPyTorch: exportRunPyTorch,
  predictFolder,
  gradientCheck: checkGradients,
  importIdx: importIdxFolder,
  importOnnx: importOnnxJob,
  // learn panel
  learnLayer,
  learnNudge,
  learnBatches,
  // end learn panel
};
