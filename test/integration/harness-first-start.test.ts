// Issue 19: agent CLIs side by side on a fresh state folder. OpenCode creates its database on its
// first start and two processes doing it at once crash ("Failed query: CREATE TABLE `workspace`");
// the race did not show on this machine with the real CLI (test/agents/sessions.test.ts), so here
// a stand-in `opencode` makes it certain: while the database is missing, a second process that
// starts during the first one's migration crashes with OpenCode's message. Three turns at once
// through the real adapter: none may fail, and only the first may have started on a fresh folder.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliHarness, CLI_SPECS } from '../../src/swarm/harness/adapters';
import { opencodeFreshState } from '../../src/swarm/harness/opencode';
import type { HarnessContext } from '../../src/swarm/harness/context';
import type { AgentTurnRequest } from '../../src/swarm/harness/types';
import { PROJECT_ROOT } from '../helpers/repo';

const root = mkdtempSync(join(tmpdir(), 'swarm-first-start-'));
after(() => rmSync(root, { recursive: true, force: true }));

const fixture = JSON.parse(readFileSync(join(PROJECT_ROOT, 'test/agents/fixtures/opencode-ok.json'), 'utf8')) as { stdout: string };

/** Migrates a missing database for 500 ms; a process starting meanwhile crashes like OpenCode. */
const FAKE_OPENCODE = `#!${process.execPath}
const fs = require('fs'), path = require('path');
const data = path.join(process.env.XDG_DATA_HOME, 'opencode');
fs.mkdirSync(data, { recursive: true });
fs.appendFileSync(path.join(data, 'starts.log'), (fs.existsSync(path.join(data, 'opencode.db')) ? 'existing' : 'fresh') + '\\n');
if (!fs.existsSync(path.join(data, 'opencode.db'))) {
  let fd;
  try { fd = fs.openSync(path.join(data, 'migrating'), 'wx'); } catch { process.stderr.write('Error: Failed query: CREATE TABLE \`workspace\`\\n'); process.exit(1); }
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  fs.writeFileSync(path.join(data, 'opencode.db'), '');
  fs.closeSync(fd);
  fs.rmSync(path.join(data, 'migrating'));
}
try { fs.readFileSync(0); } catch {}
process.stdout.write(${JSON.stringify(fixture.stdout)});
`;

describe("a CLI's first start on a fresh state folder", { timeout: 300_000 }, () => {
  test('three OpenCode turns at once on a data folder without a database: no failed turn, one fresh start', async () => {
    const bin = join(root, 'opencode');
    writeFileSync(bin, FAKE_OPENCODE, { mode: 0o755 });
    const home = join(root, 'home');
    const env = { HOME: home, XDG_DATA_HOME: join(home, 'data') };
    assert.equal(opencodeFreshState(env), join(home, 'data', 'opencode'), 'fresh before');
    const ctx: HarnessContext = { cliPaths: {}, nodePath: process.execPath, demoAgentPath: '', baseEnv: {} };
    const h = new CliHarness(CLI_SPECS.opencode, ctx, { command: [bin], env });
    const turn = (i: number) => {
      const cwd = join(root, `wt${i}`);
      mkdirSync(cwd, { recursive: true });
      const req: AgentTurnRequest = {
        role: 'worker',
        prompt: `task ${i}`,
        promptFile: join(root, `p${i}.md`),
        cwd,
        env: { SWARM_ROLE: 'worker', SWARM_TASK_ID: `t${i}` },
        timeoutMs: 30_000,
        logFile: join(root, 'logs', `t${i}.log`),
        signal: new AbortController().signal,
      };
      return h.runTurn(req);
    };
    const results = await Promise.all([0, 1, 2].map(turn));
    results.forEach((r, i) => assert.equal(r.failure, undefined, `turn ${i}: ${r.failure?.kind}: ${r.failure?.message}`));
    const starts = readFileSync(join(home, 'data', 'opencode', 'starts.log'), 'utf8')
      .trim()
      .split('\n');
    assert.deepEqual(starts.sort(), ['existing', 'existing', 'fresh']);
    assert.equal(opencodeFreshState(env), undefined, 'the database exists after');
    // With a database, turns start at once (nothing is ordered any more).
    const again = await Promise.all([3, 4].map(turn));
    again.forEach((r) => assert.equal(r.failure, undefined));
  });
});
