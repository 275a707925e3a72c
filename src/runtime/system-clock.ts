/**
 * The production clock: wall time, optionally starting at a fixed instant and running faster
 * (speed). Timers are real timers scaled by speed.
 */
import type { Clock, TimerHandle } from '../core/clock.js';

export class SystemClock implements Clock {
  private readonly realStart = Date.now();
  private readonly virtualStart: number;

  constructor(
    startTime: number | undefined,
    private readonly speed = 1,
  ) {
    this.virtualStart = startTime ?? this.realStart;
  }

  now(): number {
    return this.virtualStart + Math.floor((Date.now() - this.realStart) * this.speed);
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const t = setTimeout(fn, Math.max(0, delayMs / this.speed));
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  }
}
