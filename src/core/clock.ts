/**
 * Time seam. Everything that reads "now" or waits goes through a Clock, so tests and scenarios can
 * run on virtual time. The system clock lives in runtime/; the manual clock here is pure.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch, as the exchange sees it. */
  now(): number;
  /** Runs `fn` once when the clock reaches now() + delayMs. */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
}

interface PendingTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to. Timers fire in time order (ties in scheduling order)
 * during advance(), and a timer scheduled by a firing timer fires in the same advance if due.
 */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: PendingTimer[] = [];

  constructor(startMs: number) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const timer: PendingTimer = {
      at: this.current + Math.max(0, delayMs),
      seq: this.seq++,
      fn,
      cancelled: false,
    };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    this.advanceTo(this.current + Math.max(0, ms));
  }

  advanceTo(target: number): void {
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.current = Math.max(this.current, next.at);
      next.cancelled = true;
      next.fn();
    }
    this.current = Math.max(this.current, target);
    this.timers = this.timers.filter((t) => !t.cancelled);
  }

  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  private nextDue(target: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.timers) {
      if (t.cancelled || t.at > target) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

/** Most missed periods one firing catches up before it yields (see every()). */
export const MAX_CATCH_UP = 100;

/**
 * Calls `fn(k)` at start + k * period for k = 1, 2, ... Late firings catch up one call per
 * missed period, so the k-th call always means the same instant whatever the timer jitter. A
 * firing catches up at most MAX_CATCH_UP periods and then re-arms at once, so a clock running
 * faster than the ticks can be computed still lets the rest of the program (sockets, requests,
 * the admin API) take turns.
 */
export function every(
  clock: Clock,
  periodMs: number,
  fn: (tickIndex: number, tickTime: number) => void,
): TimerHandle {
  const start = clock.now();
  let k = 0;
  let handle: TimerHandle | undefined;
  let stopped = false;
  const arm = () => {
    const due = start + (k + 1) * periodMs;
    handle = clock.setTimer(due - clock.now(), () => {
      for (let n = 0; n < MAX_CATCH_UP && !stopped && start + (k + 1) * periodMs <= clock.now(); n++) {
        k += 1;
        fn(k, start + k * periodMs);
      }
      if (!stopped) arm();
    });
  };
  arm();
  return {
    cancel: () => {
      stopped = true;
      handle?.cancel();
    },
  };
}
