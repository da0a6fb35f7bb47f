// The per-worktree setup command (swarm.json "setup", e.g. npm ci) runs outside the lock that
// serializes `git worktree add`: two workers set up their worktrees at the same time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newRepo, runSwarm } from '../helpers/repo';

test('setup commands of two new worktrees overlap in time', async () => {
  const repo = newRepo();
  const log = join(repo.logDir, 'setup.log'); // the sandboxed setup may write the log dir only
  const setup = repo.script(
    'setup.cjs',
    `const fs = require('fs');
fs.appendFileSync(${JSON.stringify(log)}, 'start ' + process.cwd() + '\\n');
setTimeout(() => fs.appendFileSync(${JSON.stringify(log)}, 'end ' + process.cwd() + '\\n'), 1500);
`,
  );
  repo.writeConfig({ workers: [{ role: 'worker', harness: 'scripted', count: 2, iterations: 1 }], setup: [process.execPath, setup] });
  repo.writeTask('s-one', { agent: { files: { 'one.txt': '1\n' } } });
  repo.writeTask('s-two', { agent: { files: { 'two.txt': '2\n' } } });
  const { summary } = await runSwarm(repo.root);
  assert.deepEqual([...summary.merged].sort(), ['s-one', 's-two']);
  const lines = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' ')[0]);
  // Serialized setups would read start, end, start, end.
  assert.deepEqual(lines, ['start', 'start', 'end', 'end'], readFileSync(log, 'utf8'));
});
