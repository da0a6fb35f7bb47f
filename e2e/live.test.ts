// Watching the swarm work (issue 16), in the packaged extension in code-server: a line the agent
// prints shows in the live output terminal while the agent is still running (it blocks on a file
// the test creates only afterwards); a run budget stops new turns and the status bar and the
// Workers view say so; a worker whose pool is rate limited shows "rate limited until HH:MM".
// Scripted `command` agents report their cost with SWARM_USAGE lines.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './launcher';
import { freshSample, removeSamples, skipReason, until } from './helpers';

const skip = skipReason();
after(removeSamples);

const LIVE_AGENT = String.raw`
const fs = require('fs'); const path = require('path');
try { fs.readFileSync(0); } catch {}
const dir = process.env.E2E_DIR, id = process.env.SWARM_TASK_ID;
console.log('LIVE-LINE-' + id + ' the agent is thinking about ' + id);
console.log('SWARM_USAGE: cost_usd=0.3 input_tokens=1000 output_tokens=100');
fs.writeFileSync(path.join(dir, 'started-' + id), String(process.pid));
const until = Date.now() + 240000;
while (!fs.existsSync(path.join(dir, 'release')) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
fs.writeFileSync(id + '.txt', id + '\n');
fs.writeFileSync(path.join(dir, 'done-' + id), 'done');
console.log('COMPLETE_AND_READY_FOR_MERGE');
`;
const REVIEWER = String.raw`
try { require('fs').readFileSync(0); } catch {}
console.log('SWARM_USAGE: cost_usd=0.1 input_tokens=500');
console.log('Looks right.');
console.log('VERDICT: APPROVED');
`;
const LIMITED = String.raw`
try { require('fs').readFileSync(0); } catch {}
console.error('SWARM_RETRY_AFTER: 900');
process.exit(75);
`;

test('live output, run budget and rate-limit pause in the workbench', { skip, timeout: 420_000 }, async () => {
  const { dir } = freshSample('live', { tasks: 0 });
  const ctl = join(dir, '..', 'ctl');
  mkdirSync(ctl, { recursive: true });
  mkdirSync(join(dir, 'tasks', 'pending'), { recursive: true });
  writeFileSync(join(ctl, 'live-agent.cjs'), LIVE_AGENT);
  writeFileSync(join(ctl, 'reviewer.cjs'), REVIEWER);
  writeFileSync(join(ctl, 'limited.cjs'), LIMITED);
  const node = process.execPath;
  writeFileSync(
    join(dir, 'swarm.json'),
    JSON.stringify(
      {
        base: 'main',
        workers: [{ role: 'worker', harness: 'live', count: 2, iterations: 10 }],
        review: { mode: 'agent', harness: 'reviewer', max_rounds: 2 },
        harnesses: {
          live: { command: [node, join(ctl, 'live-agent.cjs')], env: { E2E_DIR: ctl }, timeout_s: 300 },
          reviewer: { command: [node, join(ctl, 'reviewer.cjs')], timeout_s: 60 },
          limited: { command: [node, join(ctl, 'limited.cjs')], timeout_s: 60 },
        },
        limits: { max_cost_usd: 0.5, poll_ms: 200 },
        sandbox: { mode: 'off' }, // the agent waits on a file outside its worktree
      },
      null,
      2,
    ),
  );
  const task = (id: string, agent: string, priority: number) => `---\ntitle: Task ${id}\nagent: ${agent}\npriority: ${priority}\n---\nDo ${id}.\n`;
  writeFileSync(join(dir, 'tasks', 'pending', 'alpha.md'), task('alpha', 'live', 1));
  writeFileSync(join(dir, 'tasks', 'pending', 'bravo.md'), task('bravo', 'limited', 2));
  writeFileSync(join(dir, 'tasks', 'pending', 'charlie.md'), task('charlie', 'live', 3));

  const wb = await launch({
    scenario: 'live',
    folder: dir,
    settings: { 'terminal.integrated.gpuAcceleration': 'off' },
    viewport: { width: 1400, height: 900 },
  });
  try {
    await wb.openSwarmView();
    await wb.viewPane('Tasks').waitFor({ state: 'visible' });
    await wb.runCommand('Swarm: Start swarm');
    await until('the alpha agent printed its line and blocks', () => existsSync(join(ctl, 'started-alpha')), 120_000);

    // The live terminal shows the agent's line while the agent is still running.
    await wb.runCommand('Swarm: Show live agent output');
    const picker = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'alpha' }).first();
    if (
      await picker.waitFor({ state: 'visible', timeout: 3000 }).then(
        () => true,
        () => false,
      )
    )
      await picker.click();
    const rows = wb.page.locator('.terminal-wrapper.active .xterm-rows, .xterm .xterm-rows');
    await rows.filter({ hasText: 'LIVE-LINE-alpha' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(existsSync(join(ctl, 'done-alpha')), false, 'the agent is still running: it waits for the release file');
    const shown = (await rows.allTextContents()).join('\n');
    assert.doesNotMatch(shown, /"type":/, 'rendered, not raw events');
    await wb.screenshot('terminal');

    // The rate-limited pool: its worker says until when in the Workers view.
    const workers = wb.viewPane('Workers');
    await workers.waitFor({ state: 'visible' });
    await workers
      .locator('.monaco-list-row', { hasText: /rate limited until \d{1,2}:\d{2}/ })
      .first()
      .waitFor({ state: 'visible', timeout: 60_000 });

    // Let the agent finish: alpha (0.3 + review 0.1), then charlie (0.3): 0.7 ≥ 0.5, no review of charlie starts.
    writeFileSync(join(ctl, 'release'), '');
    await until('charlie worked', () => existsSync(join(ctl, 'done-charlie')), 120_000);
    await workers
      .locator('.monaco-list-row', { hasText: /budget reached/ })
      .first()
      .waitFor({ state: 'visible', timeout: 60_000 });
    await wb
      .statusBarItem(/budget reached/)
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    await wb.screenshot('budget');
    assert.ok(existsSync(join(dir, 'tasks', 'current', 'charlie.md')), 'charlie waits in current: its review did not start');
  } catch (e) {
    await wb.screenshot('failed').catch(() => {});
    throw e;
  } finally {
    writeFileSync(join(ctl, 'release'), '');
    await wb.stop();
  }
});
