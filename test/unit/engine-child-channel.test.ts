// The engine process's channel over node's IPC (src/engineChild/processChannel.ts), with a real
// fork: the end of a run must reach a host that is busy when the child closes the channel, and a
// message sent after the close must not kill the child.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'swarm-channel-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('processChannel: every message sent before close() reaches a host that was busy meanwhile; a send after it is dropped, the child exits 0', async () => {
  const marker = join(dir, 'closed');
  const child = fork(join(__dirname, '..', 'helpers', 'engine-channel-child.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'json',
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const got: { t: string; event?: { message?: string } }[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const n = 60;
  child.on('message', (m: { t: string }) => {
    if (m.t === 'ready') {
      // 6 MB: far more than the socket holds, so most of it is still queued in the child when it closes.
      child.send({ go: n, big: 100_000, marker });
      // A busy extension host: it reads nothing until the child has closed its end.
      const until = Date.now() + 120_000;
      while (!existsSync(marker) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      return;
    }
    got.push(m);
  });
  const code = await exited;
  assert.equal(code, 0, `the child ended cleanly (stderr: ${stderr.slice(0, 400)})`);
  assert.equal(got.filter((m) => m.t === 'event').length, n, 'every event arrived');
  assert.equal(got.at(-1)?.t, 'done', 'and the summary last');
  assert.ok(!got.some((m) => m.event?.message === 'late'), 'the message sent after close() was dropped');
});
