// FolderWatch (src/swarm/watch.ts): the run's idle workers are woken by file-system events on the
// task folders and the decision inbox. Hostile cases: a rename storm is coalesced, an editor's
// atomic write (temp file + rename) is seen, a folder deleted and made again (or missing at start)
// is watched again, and a watcher that died makes the run fall back to polling (healthy = false).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { FolderWatch } from '../../src/swarm/watch';
import { Signal } from '../../src/swarm/util';

const roots: string[] = [];
// The watchers do not keep a process alive (persistent: false, as in a run); this test's awaits need it.
const keepAlive = setInterval(() => undefined, 1000);
after(() => {
  clearInterval(keepAlive);
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});
function scratch(): { root: string; pending: string; inbox: string } {
  const root = mkdtempSync(join(tmpdir(), 'swarm-watch-'));
  roots.push(root);
  const pending = join(root, 'tasks', 'pending');
  const inbox = join(root, '.swarm', 'decisions');
  mkdirSync(pending, { recursive: true });
  mkdirSync(inbox, { recursive: true });
  return { root, pending, inbox };
}

/** Collects onChange calls; next(dir) resolves at the next call that names dir. */
function recorder() {
  const calls: string[][] = [];
  const waiters: { dir: string; resolve: () => void }[] = [];
  const onChange = (dirs: ReadonlySet<string>) => {
    calls.push([...dirs]);
    for (const w of waiters.splice(0))
      if (dirs.has(w.dir)) w.resolve();
      else waiters.push(w);
  };
  const next = (dir: string) => new Promise<void>((resolve) => waiters.push({ dir, resolve }));
  return { calls, onChange, next };
}

test('a file dropped, an atomic write and a rename storm: seen, and the storm is coalesced', async () => {
  const { pending, inbox } = scratch();
  const r = recorder();
  const w = new FolderWatch([pending, inbox], r.onChange);
  try {
    assert.equal(w.refresh(), true);
    assert.equal(w.healthy, true);
    await new Promise((res) => setImmediate(res)); // the "what is there now" call of the first refresh
    let seen = r.next(pending);
    writeFileSync(join(pending, 'a.md'), '---\nid: a\n---\n');
    await seen;
    seen = r.next(inbox);
    writeFileSync(join(inbox, '.tmp-b'), '{}');
    renameSync(join(inbox, '.tmp-b'), join(inbox, 'b.json'));
    await seen;
    const before = r.calls.length;
    seen = r.next(pending);
    for (let i = 0; i < 500; i++) renameSync(join(pending, i % 2 ? 'x.md' : 'a.md'), join(pending, i % 2 ? 'a.md' : 'x.md'));
    await seen;
    await new Promise((res) => setTimeout(res, 50));
    assert.ok(r.calls.length - before < 50, `500 renames → ${r.calls.length - before} wake-ups (coalesced per turn of the event loop)`);
  } finally {
    w.close();
  }
});

test('a folder deleted and made again, or missing at the start, is watched again', async () => {
  const { root, pending, inbox } = scratch();
  const current = join(root, 'tasks', 'current'); // not there yet
  const r = recorder();
  const w = new FolderWatch([pending, current, inbox], r.onChange);
  try {
    assert.equal(w.refresh(), false, 'a missing folder cannot be watched: the run polls');
    assert.equal(w.healthy, false);
    let seen = r.next(current);
    mkdirSync(current); // the parent's watcher sees it and opens one on the new folder
    await seen;
    assert.equal(w.healthy, true);
    seen = r.next(current);
    writeFileSync(join(current, 'c.md'), 'x');
    await seen;

    // Replaced under the watcher (rm -rf + mkdir, or a checkout that swaps the folder).
    renameSync(pending, join(root, 'tasks', 'pending.old'));
    mkdirSync(pending);
    await new Promise((res) => setTimeout(res, 50));
    seen = r.next(pending);
    writeFileSync(join(pending, 'late.md'), 'x');
    await seen; // seen in the NEW folder, without a safety poll
    assert.equal(w.healthy, true);
  } finally {
    w.close();
  }
});

test('a folder removed for good: not healthy (the run falls back to polling), and back when it returns', async () => {
  const { pending, inbox } = scratch();
  const r = recorder();
  const w = new FolderWatch([pending, inbox], r.onChange);
  try {
    // The first refresh's own news ("what is in it now") first: on a loaded machine its settle
    // timer could otherwise fire after the removal, before the removal's events are read.
    const first = r.next(inbox);
    assert.equal(w.refresh(), true);
    await first;
    const seen = r.next(inbox);
    rmSync(inbox, { recursive: true });
    await seen;
    assert.equal(w.healthy, false);
    mkdirSync(inbox);
    assert.equal(w.refresh(), true);
  } finally {
    w.close();
  }
});

test('Signal.wait(…, since): a notify() that came while the worker was looking is not lost', async () => {
  const s = new Signal();
  const seen = s.seq;
  s.notify(); // e.g. a file event during nextItem(), before wait() is called
  const t0 = Date.now();
  await s.wait(60_000, undefined, seen);
  assert.ok(Date.now() - t0 < 30_000, 'returned at once, not after the timeout');
});
