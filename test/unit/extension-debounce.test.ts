// The refresh debouncer: a burst of file events becomes a few refreshes, a steady stream still
// refreshes every maxWait, and a refresh never runs twice at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Debouncer, Throttle, type Clock } from '../../src/extension/debounce';
import { OperationRunner } from '../../src/extension/operationRunner';

/** A clock the test advances by hand. */
class ManualClock implements Clock {
  time = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  now(): number {
    return this.time;
  }
  /** Move time forward, running due timers in order. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
      await new Promise((r) => setImmediate(r));
    }
    this.time = end;
  }
}

test('a burst of 500 triggers within 100 ms runs the action once, after the quiet period', async () => {
  const clock = new ManualClock();
  let runs = 0;
  const d = new Debouncer(() => void runs++, { delayMs: 150, maxWaitMs: 1000, clock });
  for (let i = 0; i < 500; i++) {
    d.trigger();
    if (i % 5 === 0) await clock.advance(1);
  }
  assert.equal(runs, 0, 'nothing runs while the burst goes on');
  await clock.advance(149);
  assert.equal(runs, 0);
  await clock.advance(1);
  assert.equal(runs, 1);
  await clock.advance(5000);
  assert.equal(runs, 1, 'no trailing extra run');
});

test('a steady stream (hundreds of events a second for 3 s) refreshes every maxWait, not never and not hundreds of times', async () => {
  const clock = new ManualClock();
  let runs = 0;
  const d = new Debouncer(() => void runs++, { delayMs: 150, maxWaitMs: 1000, clock });
  for (let ms = 0; ms < 3000; ms += 2) {
    d.trigger();
    await clock.advance(2);
  }
  await clock.advance(1000);
  assert.ok(runs >= 3 && runs <= 4, `expected 3-4 refreshes for a 3 s stream, got ${runs}`);
});

test('a trigger while the action runs schedules exactly one more run, never a concurrent one', async () => {
  const clock = new ManualClock();
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  let release!: () => void;
  const d = new Debouncer(
    async () => {
      runs++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((r) => (release = r));
      running--;
    },
    { delayMs: 10, clock },
  );
  d.trigger();
  await clock.advance(10);
  assert.equal(runs, 1);
  for (let i = 0; i < 50; i++) {
    d.trigger();
    await clock.advance(10);
  }
  assert.equal(runs, 1, 'the first run is still going');
  release();
  await new Promise((r) => setImmediate(r));
  assert.equal(runs, 2, 'one rerun for all the triggers that came in meanwhile');
  release();
  await d.idle();
  assert.equal(maxRunning, 1);
});

test('flush runs a waiting trigger at once; dispose cancels it; errors go to onError', async () => {
  const clock = new ManualClock();
  const errors: unknown[] = [];
  let runs = 0;
  const d = new Debouncer(
    () => {
      runs++;
      throw new Error('boom');
    },
    { delayMs: 1000, clock, onError: (e) => errors.push(e) },
  );
  d.trigger();
  await d.flush();
  assert.equal(runs, 1);
  assert.equal(errors.length, 1);
  d.trigger();
  d.dispose();
  await clock.advance(5000);
  assert.equal(runs, 1);
  assert.equal(d.pending, false);
});

test('Throttle: the first trigger runs at once; a burst within the frame runs once more, at its end; a quiet frame runs at once again', async () => {
  const clock = new ManualClock();
  clock.time = 1000;
  const at: number[] = [];
  const t = new Throttle(() => at.push(clock.now()), { frameMs: 100, clock });
  t.trigger();
  assert.deepEqual(at, [1000], 'at once: a click shows at once');
  for (let i = 0; i < 500; i++) {
    t.trigger();
    await clock.advance(0.1);
  }
  // 500 triggers over 50 ms: one more run, at the end of the first frame.
  await clock.advance(100);
  assert.deepEqual(at, [1000, 1100]);
  assert.equal(t.pending, false);
  // A steady stream (a trigger every 10 ms for 1 s): one run per frame, not one per trigger.
  for (let i = 0; i < 100; i++) {
    t.trigger();
    await clock.advance(10);
  }
  await clock.advance(200);
  assert.ok(at.length >= 10 && at.length <= 13, `about one run per 100 ms frame (${at.length})`);
  for (let i = 1; i < at.length; i++) assert.ok(at[i] - at[i - 1] >= 100, `runs at least a frame apart (${at.join(', ')})`);
  // After a quiet frame: at once again.
  await clock.advance(500);
  const n = at.length;
  t.trigger();
  assert.equal(at.length, n + 1);
  assert.equal(at.at(-1), clock.now());
});

test('Throttle: flush runs a waiting trigger now (and only one); dispose drops it', async () => {
  const clock = new ManualClock();
  let runs = 0;
  const t = new Throttle(() => runs++, { frameMs: 100, clock });
  t.trigger();
  t.trigger();
  t.trigger();
  assert.equal(runs, 1);
  assert.equal(t.pending, true);
  t.flush();
  assert.equal(runs, 2);
  t.flush();
  await clock.advance(1000);
  assert.equal(runs, 2, 'the flushed frame does not run again at its end');
  t.trigger(); // a frame after the flush: at once
  assert.equal(runs, 3);
  t.trigger();
  t.dispose();
  await clock.advance(1000);
  assert.equal(runs, 3);
  t.trigger();
  assert.equal(runs, 3, 'nothing after dispose');
});

test('OperationRunner serializes operations, joins duplicates, lets parallel ones through', async () => {
  const runner = new OperationRunner();
  const order: string[] = [];
  let releaseA!: () => void;
  const a = runner.run(
    { kind: 'cleanup' },
    () =>
      new Promise<string>(
        (r) =>
          (releaseA = () => {
            order.push('a');
            r('a');
          }),
      ),
  );
  const b = runner.run({ kind: 'decide', target: 't1' }, async () => {
    order.push('b');
    return 'b';
  });
  const b2 = runner.run({ kind: 'decide', target: 't1' }, async () => {
    order.push('b2');
    return 'b2';
  });
  const stop = runner.run(
    { kind: 'stop' },
    async () => {
      order.push('stop');
      return 'stop';
    },
    { parallel: true },
  );
  assert.equal(b, b2, 'a second click on the same action joins the first');
  assert.equal(await stop, 'stop');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['stop'], 'decide waits for the clean-up; stop does not');
  assert.ok(runner.isRunning('cleanup'));
  releaseA();
  assert.equal(await a, 'a');
  assert.equal(await b, 'b');
  assert.deepEqual(order, ['stop', 'a', 'b']);
  assert.equal(runner.operations.length, 0);
  // A failing operation does not block the queue.
  await assert.rejects(
    runner.run({ kind: 'retry', target: 'x' }, async () => {
      throw new Error('no');
    }),
  );
  assert.equal(await runner.run({ kind: 'retry', target: 'y' }, async () => 'ok'), 'ok');
});
