import { expect, test } from 'vitest';
import { MAX_CATCH_UP, ManualClock, every, type Clock, type TimerHandle } from '../../src/core/clock.js';

const T0 = 1_700_000_000_000;

test('a manual clock starts at the given time and moves only when advanced', () => {
  const clock = new ManualClock(T0);
  expect(clock.now()).toBe(T0);
  expect(clock.now()).toBe(T0);
  clock.advance(1_500);
  expect(clock.now()).toBe(T0 + 1_500);
  clock.advanceTo(T0 + 10_000);
  expect(clock.now()).toBe(T0 + 10_000);
});

test('a manual clock never moves backwards on a negative advance or an earlier target', () => {
  const clock = new ManualClock(T0);
  clock.advance(-500);
  expect(clock.now()).toBe(T0);
  clock.advanceTo(T0 - 1_000);
  expect(clock.now()).toBe(T0);
});

test('timers fire in time order during advance, whatever order they were scheduled in', () => {
  const clock = new ManualClock(T0);
  const fired: string[] = [];
  clock.setTimer(300, () => fired.push('c'));
  clock.setTimer(100, () => fired.push('a'));
  clock.setTimer(200, () => fired.push('b'));
  clock.advance(1_000);
  expect(fired).toEqual(['a', 'b', 'c']);
});

test('timers due at the same instant fire in scheduling order', () => {
  const clock = new ManualClock(T0);
  const fired: number[] = [];
  for (let i = 0; i < 5; i++) clock.setTimer(100, () => fired.push(i));
  clock.setTimer(50, () => fired.push(-1));
  clock.advance(100);
  expect(fired).toEqual([-1, 0, 1, 2, 3, 4]);
});

test('a timer sees the clock at its own due time when it fires', () => {
  const clock = new ManualClock(T0);
  const seen: number[] = [];
  clock.setTimer(100, () => seen.push(clock.now()));
  clock.setTimer(250, () => seen.push(clock.now()));
  clock.advance(1_000);
  expect(seen).toEqual([T0 + 100, T0 + 250]);
  expect(clock.now()).toBe(T0 + 1_000);
});

test('no timer fires before it is due', () => {
  const clock = new ManualClock(T0);
  let fired = 0;
  clock.setTimer(1_000, () => (fired += 1));
  clock.advance(999);
  expect(fired).toBe(0);
  expect(clock.pendingTimers()).toBe(1);
  clock.advance(1);
  expect(fired).toBe(1);
  expect(clock.pendingTimers()).toBe(0);
});

test('a timer fires exactly once even across several advances', () => {
  const clock = new ManualClock(T0);
  let fired = 0;
  clock.setTimer(10, () => (fired += 1));
  clock.advance(10);
  clock.advance(10);
  clock.advance(1_000);
  expect(fired).toBe(1);
});

test('a zero or negative delay fires on the next advance, even advance(0)', () => {
  const clock = new ManualClock(T0);
  const fired: string[] = [];
  clock.setTimer(0, () => fired.push('zero'));
  clock.setTimer(-50, () => fired.push('negative'));
  expect(fired).toEqual([]);
  clock.advance(0);
  expect(fired).toEqual(['zero', 'negative']);
  expect(clock.now()).toBe(T0);
});

test('a cancelled timer never fires', () => {
  const clock = new ManualClock(T0);
  const fired: string[] = [];
  const a = clock.setTimer(100, () => fired.push('a'));
  clock.setTimer(200, () => fired.push('b'));
  a.cancel();
  clock.advance(1_000);
  expect(fired).toEqual(['b']);
  expect(clock.pendingTimers()).toBe(0);
});

test('a timer cancelled by an earlier timer in the same advance never fires', () => {
  const clock = new ManualClock(T0);
  const fired: string[] = [];
  clock.setTimer(100, () => {
    fired.push('first');
    later.cancel();
  });
  const later = clock.setTimer(200, () => fired.push('later'));
  clock.advance(1_000);
  expect(fired).toEqual(['first']);
});

test('a timer scheduled by a firing timer fires in the same advance when due', () => {
  const clock = new ManualClock(T0);
  const fired: Array<[string, number]> = [];
  clock.setTimer(100, () => {
    fired.push(['outer', clock.now()]);
    clock.setTimer(50, () => fired.push(['inner', clock.now()]));
    clock.setTimer(5_000, () => fired.push(['too-late', clock.now()]));
  });
  clock.setTimer(200, () => fired.push(['other', clock.now()]));
  clock.advance(1_000);
  expect(fired).toEqual([
    ['outer', T0 + 100],
    ['inner', T0 + 150],
    ['other', T0 + 200],
  ]);
  expect(clock.pendingTimers()).toBe(1);
  clock.advance(5_000);
  expect(fired.at(-1)).toEqual(['too-late', T0 + 5_100]);
});

test('a timer scheduled by a firing timer at zero delay fires at the same instant', () => {
  const clock = new ManualClock(T0);
  const fired: Array<[string, number]> = [];
  clock.setTimer(100, () => {
    fired.push(['outer', clock.now()]);
    clock.setTimer(0, () => fired.push(['inner', clock.now()]));
  });
  clock.advance(100);
  expect(fired).toEqual([
    ['outer', T0 + 100],
    ['inner', T0 + 100],
  ]);
});

test('every calls back the k-th time at start plus k periods', () => {
  const clock = new ManualClock(T0);
  const calls: Array<[number, number, number]> = [];
  every(clock, 250, (k, t) => calls.push([k, t, clock.now()]));
  clock.advance(1_000);
  expect(calls).toEqual([
    [1, T0 + 250, T0 + 250],
    [2, T0 + 500, T0 + 500],
    [3, T0 + 750, T0 + 750],
    [4, T0 + 1_000, T0 + 1_000],
  ]);
  clock.advance(249);
  expect(calls).toHaveLength(4);
  clock.advance(1);
  expect(calls.at(-1)).toEqual([5, T0 + 1_250, T0 + 1_250]);
});

/** A clock whose timers fire only when the test says so, possibly late. */
class LateClock implements Clock {
  t: number;
  timers: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];
  constructor(t: number) {
    this.t = t;
  }
  now(): number {
    return this.t;
  }
  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const timer = { at: this.t + delayMs, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }
  /** Jumps to `t` and fires the pending timers once (late, as a busy event loop would). */
  fireLateAt(t: number): void {
    this.t = t;
    const due = this.timers.filter((x) => !x.cancelled && x.at <= t);
    this.timers = this.timers.filter((x) => !due.includes(x));
    for (const x of due) x.fn();
  }
  pending(): number {
    return this.timers.filter((x) => !x.cancelled).length;
  }
}

test('every catches up missed periods with one call each, keeping the k-th instant', () => {
  const clock = new LateClock(T0);
  const calls: Array<[number, number]> = [];
  every(clock, 100, (k, t) => calls.push([k, t]));
  expect(clock.timers[0]?.at).toBe(T0 + 100);
  clock.fireLateAt(T0 + 370);
  expect(calls).toEqual([
    [1, T0 + 100],
    [2, T0 + 200],
    [3, T0 + 300],
  ]);
  // Re-armed for the 4th instant, not for 370 + 100.
  expect(clock.pending()).toBe(1);
  expect(clock.timers.find((x) => !x.cancelled)?.at).toBe(T0 + 400);
  clock.fireLateAt(T0 + 400);
  expect(calls.at(-1)).toEqual([4, T0 + 400]);
});

test('every catches up at most MAX_CATCH_UP periods per firing, then re-arms at once for the rest', () => {
  const clock = new LateClock(T0);
  const calls: number[] = [];
  every(clock, 10, (k) => calls.push(k));
  // 250 periods late: the first firing runs 100 of them and leaves a timer already due.
  clock.fireLateAt(T0 + 2500);
  expect(calls).toHaveLength(MAX_CATCH_UP);
  expect(clock.timers.find((x) => !x.cancelled)!.at).toBeLessThanOrEqual(T0 + 2500);
  clock.fireLateAt(T0 + 2500);
  clock.fireLateAt(T0 + 2500);
  // Every period once, in order, whatever the number of firings it took.
  expect(calls).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
  expect(clock.timers.find((x) => !x.cancelled)?.at).toBe(T0 + 2510);
});

test('every on a manual clock gives the same calls for one big advance as for many small ones', () => {
  const run = (steps: number[]) => {
    const clock = new ManualClock(T0);
    const calls: Array<[number, number]> = [];
    every(clock, 70, (k, t) => calls.push([k, t]));
    for (const s of steps) clock.advance(s);
    return calls;
  };
  const big = run([10_000]);
  const small = run(Array.from({ length: 1_000 }, () => 10));
  const ragged = run([1, 333, 69, 1, 7_000, 2_596]);
  expect(big).toHaveLength(Math.floor(10_000 / 70));
  expect(small).toEqual(big);
  expect(ragged).toEqual(big);
});

test('cancelling every stops further calls', () => {
  const clock = new ManualClock(T0);
  let calls = 0;
  const handle = every(clock, 100, () => (calls += 1));
  clock.advance(350);
  expect(calls).toBe(3);
  handle.cancel();
  clock.advance(10_000);
  expect(calls).toBe(3);
  expect(clock.pendingTimers()).toBe(0);
});

test('every cancelled from inside its own callback makes no further call, even while catching up', () => {
  const clock = new LateClock(T0);
  const calls: number[] = [];
  const handle = every(clock, 100, (k) => {
    calls.push(k);
    if (k === 2) handle.cancel();
  });
  clock.fireLateAt(T0 + 1_000);
  expect(calls).toEqual([1, 2]);
  expect(clock.pending()).toBe(0);
});
