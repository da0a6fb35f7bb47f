// Contract 3 with a chatty agent: the ready signal counts even when more output than the bounded
// in-memory tail follows it (the whole output is still in the log file).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newRepo, runSwarm } from '../helpers/repo';

test('COMPLETE_AND_READY_FOR_MERGE followed by 1 MiB of output still submits the change', async () => {
  const repo = newRepo();
  const script = repo.script(
    'chatty.cjs',
    `
    const fs = require('fs');
    try { fs.readFileSync(0); } catch {}
    fs.writeFileSync('chatty.txt', 'chatty\\n');
    process.stdout.write('COMPLETE_AND_READY_FOR_MERGE\\n');
    const line = 'x'.repeat(1023) + '\\n';
    let n = 0;
    const more = () => { while (n < 1024) { n++; if (!process.stdout.write(line)) return process.stdout.once('drain', more); } };
    more();
  `,
  );
  repo.writeConfig({
    workers: [{ role: 'worker', harness: 'chatty', count: 1, iterations: 1 }],
    harnesses: { ...(repo.config().harnesses as object), chatty: { command: [process.execPath, script] } },
  });
  repo.writeTask('chatty');
  const { summary } = await runSwarm(repo.root);
  assert.deepEqual(summary.merged, ['chatty']);
  assert.equal(repo.show('main', 'chatty.txt'), 'chatty\n');
});
