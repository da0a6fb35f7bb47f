// A forked child for test/unit/engine-child-channel.test.ts: src/engineChild/processChannel.ts over
// the real `process`. Says { t: 'ready' } once listening; on { go: n, big, marker }: sends n
// events of `big` characters and a 'done', closes the channel as serve.ts does at the end of a run,
// sends once more (a late answer), then creates `marker` (the host waits for it without reading
// its channel, as a busy extension host does).
import { writeFileSync } from 'node:fs';
import { processChannel } from '../../src/engineChild/processChannel';

const channel = processChannel(process);
channel.onMessage((raw) => {
  const m = raw as { go?: number; big?: number; marker?: string };
  if (typeof m.go !== 'number' || !m.marker) return;
  const text = 'x'.repeat(m.big ?? 0);
  for (let i = 0; i < m.go; i++) channel.send({ t: 'event', event: { type: 'log', level: 'info', message: `${i} ${text}` } });
  channel.send({ t: 'done', summary: { runId: 'r', startedAt: 'x', workers: [], merged: [], waitingForHuman: [], blocked: [], failed: [] } });
  channel.close();
  channel.send({ t: 'event', event: { type: 'log', level: 'info', message: 'late' } });
  writeFileSync(m.marker, '');
});
process.send!({ t: 'ready' });
