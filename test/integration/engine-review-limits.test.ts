// A reviewer that is rate limited on every turn (its CLI over quota for days) must not keep a task
// waiting forever with unbounded retries: after `limits.max_attempts` rate-limited reviewer turns
// in a row for one review — each after the pool's back-off — the task waits for you, saying why.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestRepo, runSwarm } from '../helpers/repo';

const repos: TestRepo[] = [];
after(() => {
  for (const r of repos) r.cleanup();
});

describe('reviewer rate limits', { timeout: 300_000 }, () => {
  test('a reviewer that always reports a rate limit: limits.max_attempts tries, then the task waits for you with the reason', async () => {
    const repo = new TestRepo();
    repos.push(repo);
    // Rate limited (exit 75) for its first 12 calls, then REJECTED: without a bound the review
    // would go on until the 13th call; the bound is 2.
    const reviewer = repo.script(
      'limited-reviewer.cjs',
      `
const fs = require('fs'); const path = require('path');
const f = path.join(process.env.TEST_AGENT_LOG, 'reviewer-calls');
const n = (fs.existsSync(f) ? Number(fs.readFileSync(f, 'utf8')) : 0) + 1;
fs.writeFileSync(f, String(n));
if (n <= 12) { console.error('429 Too Many Requests\\nSWARM_RETRY_AFTER: 1'); process.exit(75); }
console.log('VERDICT: REJECTED');
`,
    );
    const cfg = repo.config();
    const h = (cfg.harnesses as Record<string, Record<string, unknown>>).scripted;
    repo.writeConfig({
      harnesses: { scripted: h, limited: { ...h, command: [process.execPath, reviewer] } },
      review: { mode: 'agent', harness: 'limited', max_rounds: 3 },
      limits: { poll_ms: 50, rate_limit_pause_s: 1, backoff_pause_s: 1, max_attempts: 2 },
    });
    repo.writeTask('t1');
    const before = repo.rev('main');
    const { summary, events } = await runSwarm(repo.root, { timeoutMs: 100_000 });
    const calls = Number(readFileSync(join(repo.logDir, 'reviewer-calls'), 'utf8'));
    assert.equal(calls, 2, `the reviewer was asked ${calls} times (limits.max_attempts is 2)`);
    assert.deepEqual(summary.waitingForHuman, ['t1']);
    assert.equal(repo.rev('main'), before, 'nothing merged');
    assert.equal(repo.task('current', 't1')!.data.status, 'awaiting_human');
    const rounds = repo.state('t1')!.rounds as { by: string; verdict: string | null; feedback: string }[];
    assert.match(rounds[rounds.length - 1].feedback, /rate limited 2 times in a row \(limits\.max_attempts\)/);
    assert.ok(
      events.some((e) => e.type === 'pool_paused' && /rate limited/.test(e.reason)),
      'the pool backed off between tries',
    );
  });
});
