// Learning rate per optimizer step: constant, step decay or cosine, each with an optional linear
// warm-up. Pure, so the editor draws the same curve the run will use.
import { scheduleSchema, type ScheduleSettings, type TrainingSettings } from '../graph/document.ts';

/** The schedule with every default filled in. */
export const scheduleSettings = (t: Pick<TrainingSettings, 'schedule'>): ScheduleSettings => t.schedule ?? scheduleSchema.parse({});

/**
 * Learning rate for optimizer step `step` (1-based) of a run of `totalSteps` steps with
 * `stepsPerEpoch` steps per epoch.
 */
export function lrAt(base: number, s: ScheduleSettings, step: number, stepsPerEpoch: number, totalSteps: number): number {
  const warm = s.warmupSteps;
  if (warm > 0 && step <= warm) return (base * step) / warm;
  if (s.kind === 'step') {
    const epoch = Math.floor((step - 1) / Math.max(1, stepsPerEpoch));
    return base * s.gamma ** Math.floor(epoch / s.stepEpochs);
  }
  if (s.kind === 'cosine') {
    const span = Math.max(1, totalSteps - warm - 1);
    const t = Math.min(1, Math.max(0, (step - warm - 1) / span));
    const min = base * s.minFactor;
    return min + ((base - min) * (1 + Math.cos(Math.PI * t))) / 2;
  }
  return base;
}
