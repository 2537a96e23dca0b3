// The engine emits an event per optimizer step; a screen needs about 30 updates a second. The
// coalescer batches step events into one 'steps' event per interval, keeping every point (the
// plot downsamples for drawing only). Any other event first flushes the steps before it, so
// order is kept.
import type { SessionEvent, StepPoint } from '../protocol.ts';
import type { TrainEvent } from '../train/messages.ts';

export const DEFAULT_INTERVAL_MS = 33;

export class StepCoalescer {
  private pending: StepPoint[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly send: (e: SessionEvent) => void, private readonly intervalMs = DEFAULT_INTERVAL_MS) {}

  push(e: TrainEvent): void {
    if (e.type === 'step') {
      const { type: _, ...point } = e;
      this.pending.push(point);
      this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
      return;
    }
    this.flush();
    this.send(e);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.pending.length) return;
    const points = this.pending;
    this.pending = [];
    this.send({ type: 'steps', points });
  }
}
