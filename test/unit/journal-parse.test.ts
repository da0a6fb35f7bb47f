// A run's journal read back (src/swarm/state.ts parseJournal, used by the Timeline view and the
// tests' repo.journal()): one entry a line, blank lines and a torn last line (a crash mid-write)
// skipped, never an exception.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJournal } from '../../src/swarm/state';

const line = (runId: string, n: number) => JSON.stringify({ type: 'log', level: 'info', message: `m${n}`, ts: '2026-11-30T09:00:00.000Z', runId });

test('parseJournal: the entries in order; a blank line and a torn last line are skipped', () => {
  const text = `${line('r1', 1)}\n\n${line('r1', 2)}\n${line('r1', 3).slice(0, 20)}`;
  const entries = parseJournal(text);
  assert.deepEqual(
    entries.map((e) => (e as { message: string }).message),
    ['m1', 'm2'],
  );
});

test('parseJournal: empty text (a missing or unreadable file) is no entries', () => {
  assert.deepEqual(parseJournal(''), []);
});
