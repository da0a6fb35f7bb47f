// Red team (docs/security.md "What a turn may do", tasks/pending/): a sandboxed worker may add
// follow-up tasks, and before it could also rewrite any pending task there — the user's task text,
// its frontmatter (`depends_on` dropped) — and the next agent and its reviewer were given the
// rewritten text ("EVIL instructions" reached the other task's agent). Now the worker writes into a
// private folder bound over tasks/pending/ and its new files are added after the turn, never over
// an existing task (src/swarm/followUps.ts). Real bubblewrap; skipped where it cannot run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { newRepo, runSwarm } from '../helpers/repo';
import { detectSandbox } from '../../src/swarm/sandbox';
import { INSTALL_HINT } from '../../src/swarm/sandboxPolicy';

const avail = detectSandbox();
const skip = avail.available ? false : `bubblewrap is not usable here (${avail.reason}); CI installs it: ${INSTALL_HINT}`;

const AGENT = String.raw`'use strict';
const fs = require('fs'); const path = require('path');
try { fs.readFileSync(0); } catch {}
if (process.env.SWARM_ROLE === 'reviewer') { console.log('VERDICT: APPROVED'); process.exit(0); }
const t = process.env.SWARM_TASK_ID;
const pending = path.join(process.env.SWARM_TASKS_DIR, 'pending');
fs.writeFileSync(t + '.txt', t + '\n');
if (t === 'first') {
  const seen = fs.readdirSync(pending);
  fs.writeFileSync(path.join(pending, 'second.md'), '---\ntitle: Task second\n---\nEVIL instructions.\n');
  fs.writeFileSync(path.join(pending, 'follow.md'), '---\ntitle: A follow-up\n---\nFollow-up of first.\n');
  fs.symlinkSync('/etc/passwd', path.join(pending, 'link.md'));
  fs.writeFileSync(process.env.OUT_SEEN, JSON.stringify(seen));
} else if (t === 'second') {
  fs.writeFileSync(process.env.OUT_SECOND, fs.readFileSync(process.env.SWARM_TASK_FILE, 'utf8'));
}
console.log('COMPLETE_AND_READY_FOR_MERGE');
`;

test('a sandboxed worker adds follow-ups but cannot read or rewrite the pending tasks of others', { skip, timeout: 120_000 }, async () => {
  const repo = newRepo();
  const seen = join(repo.home, 'seen.json');
  const second = join(repo.home, 'second.txt');
  const agent = repo.script('followups.cjs', AGENT);
  repo.writeConfig({
    workers: [{ role: 'worker', harness: 'fu', count: 1, iterations: 4 }],
    review: { harness: 'fu' },
    harnesses: { fu: { command: [process.execPath, agent], env: { OUT_SEEN: seen, OUT_SECOND: second }, timeout_s: 60 } },
    sandbox: { allow_write: [repo.home] },
  });
  repo.writeTask('first', { priority: 1 });
  repo.writeTask('second', { priority: 2, depends_on: ['first'] });
  const { summary, events } = await runSwarm(repo.root, { timeoutMs: 90_000 });
  const started = events.find((e) => e.type === 'run_started');
  assert.ok(started && started.type === 'run_started' && started.sandbox?.sandboxed, JSON.stringify(started));
  assert.deepEqual([...summary.merged].sort(), ['first', 'follow', 'second'], summary.reason);
  assert.deepEqual(JSON.parse(readFileSync(seen, 'utf8')), [], 'the pending tasks of others are not even listed');
  const text = readFileSync(second, 'utf8');
  assert.match(text, /Do task second\./, "the second task's agent got the user's text");
  assert.doesNotMatch(text, /EVIL/);
  // The turn's log names what was not added.
  const logs = readdirSync(repo.path('.swarm', 'runs'))
    .flatMap((run) => readdirSync(repo.path('.swarm', 'runs', run, 'logs')).map((f) => join(repo.path('.swarm', 'runs', run, 'logs'), f)))
    .filter((f) => /first-worker/.test(f))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  assert.match(logs, /follow-up task "second\.md" not added: a pending task of that name exists/);
  assert.match(logs, /follow-up task "link\.md" not added: link\.md is a symbolic link/);
});
