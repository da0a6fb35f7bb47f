// Real CLIs side by side: several workers of the same CLI starting at once on a fresh data folder
// (OpenCode created its database from every process at once and crashed: "Failed query: CREATE
// TABLE `workspace`"), and a worker session resumed round after round across minute boundaries
// (Gemini's start-up session cleanup deleted the session a fix round resumed). Against the fake
// model server, with the real CLIs from test/agents/install.sh. On this machine neither failure
// showed with the real CLIs (the OpenCode race is made certain with a stand-in in
// test/integration/harness-first-start.test.ts; adapters.ts firstStart fixes it). What does show:
// Gemini's start-up cleanup runs on every start of a swarm turn (the last test, a todo: not fixed
// yet, see docs/harnesses.md "Gemini CLI").
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliHarness, CLI_SPECS } from '../../src/swarm/harness/adapters';
import type { HarnessContext } from '../../src/swarm/harness/context';
import type { AgentTurnRequest, AgentTurnResult } from '../../src/swarm/harness/types';
import { startFakeModelServer, type FakeModelServer } from './fake-model-server';
import { cliInstalled, cliSetup, type CliName } from './cli-env';

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
const DONE = 'COMPLETE_AND_READY_FOR_MERGE';
/** libfaketime (Debian package faketime): each round runs with the clock moved on by minutes. */
const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

let server: FakeModelServer;
let root = '';
const ctx: HarnessContext = { cliPaths: {}, nodePath: process.execPath, demoAgentPath: '', baseEnv: {} };

function repoWithWorktrees(name: string, count: number): string[] {
  const repo = join(root, name, 'repo');
  mkdirSync(repo, { recursive: true });
  const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, env: GIT_ENV, stdio: 'pipe' }).toString();
  git('init', '-q', '-b', 'main');
  git('commit', '-q', '--allow-empty', '-m', 'init');
  return Array.from({ length: count }, (_, i) => {
    const wt = join(root, name, 'wt', `w${i}`);
    git('worktree', 'add', '-q', '-b', `task-${name}-${i}`, wt);
    return wt;
  });
}

function turn(name: CliName, o: { tag: string; home: string; cwd: string; prompt: string; resume?: string; env?: Record<string, string> }): Promise<AgentTurnResult> {
  const setup = cliSetup(name, { baseUrl: `${server.url}/t-${o.tag}`, home: o.home });
  const h = new CliHarness(CLI_SPECS[name], ctx, { command: setup.command, args: setup.args, env: { ...setup.env, ...o.env } });
  const req: AgentTurnRequest = {
    role: 'worker',
    prompt: o.prompt,
    promptFile: join(root, `${o.tag}.prompt.md`),
    cwd: o.cwd,
    env: { SWARM_ROLE: 'worker', SWARM_TASK_ID: o.tag, SWARM_WORKTREE: o.cwd },
    model: setup.model,
    resumeSessionId: o.resume,
    timeoutMs: 240_000,
    logFile: join(root, 'logs', `${o.tag}.log`),
    signal: new AbortController().signal,
  };
  return h.runTurn(req);
}

describe('real CLIs side by side', { timeout: 900_000 }, () => {
  before(async () => {
    server = await startFakeModelServer();
    root = mkdtempSync(join(tmpdir(), 'swarm-agents-sessions-'));
  });
  after(async () => {
    await server?.stop();
    if (root && !process.env.SWARM_AGENTS_KEEP) rmSync(root, { recursive: true, force: true });
  });

  test('3 OpenCode workers start at once on a fresh data folder: no failed turn', { skip: cliInstalled('opencode') ? false : 'opencode not installed (run test/agents/install.sh)' }, async () => {
    const wts = repoWithWorktrees('oc', 3);
    const home = join(root, 'oc-home'); // one data folder for all three, never used before
    assert.ok(!existsSync(join(home, 'opencode', '.local', 'share', 'opencode')));
    const results = await Promise.all(wts.map((wt, i) => turn('opencode', { tag: `oc${i}`, home, cwd: wt, prompt: `Create f${i}.txt.\nFAKE_WRITE f${i}.txt "${i}\\n"\n` })));
    results.forEach((r, i) => {
      assert.equal(r.failure, undefined, `worker ${i}: ${r.failure?.kind}: ${r.failure?.message}`);
      assert.equal(readFileSync(join(wts[i], `f${i}.txt`), 'utf8'), `${i}\n`);
      assert.equal(r.reply.trim().split('\n').pop(), DONE);
    });
  });

  test('Gemini: 5 fix rounds in a row, each in a later minute, all resume the same session', {
    skip: !cliInstalled('gemini') ? 'gemini not installed (run test/agents/install.sh)' : !existsSync(FAKETIME_LIB) ? `${FAKETIME_LIB} missing (apt-get install faketime)` : false,
  }, async () => {
    const [wt] = repoWithWorktrees('gm', 1);
    const home = join(root, 'gm-home');
    const first = await turn('gemini', { tag: 'gm0', home, cwd: wt, prompt: 'Create r0.txt.\nFAKE_WRITE r0.txt "0\\n"\n' });
    assert.equal(first.failure, undefined, first.failure?.message);
    const session = first.sessionId;
    assert.ok(session, 'session id captured');
    for (let round = 1; round <= 5; round++) {
      const env = { LD_PRELOAD: FAKETIME_LIB, FAKETIME: `+${round * 2}m`, FAKETIME_DONT_FAKE_MONOTONIC: '1', FAKETIME_NO_CACHE: '1' };
      const res = await turn('gemini', { tag: `gm${round}`, home, cwd: wt, resume: session, env, prompt: `Fix round ${round}: add r${round}.txt.\nFAKE_WRITE r${round}.txt "${round}\\n"\n` });
      assert.equal(res.failure, undefined, `round ${round}: ${res.failure?.message}`);
      assert.equal(res.sessionId, session, `round ${round} resumed the same session (a new id means the session file was gone)`);
      const req = server.modelRequests(`gm${round}`).find((r) => r.view?.tools.length);
      assert.ok(req?.view?.prompts.some((p) => p.includes('FAKE_WRITE r0.txt')), `round ${round}: the first round is in the resumed history`);
      assert.equal(readFileSync(join(wt, `r${round}.txt`), 'utf8'), `${round}\n`);
    }
    const chats = readdirSync(join(home, 'gemini', '.gemini', 'tmp'), { recursive: true }).map(String).filter((f) => f.includes(session!.slice(0, 8)));
    assert.ok(chats.length >= 1, 'the session file is still there');
  });

  test('Gemini: the start-up session cleanup does not run for the swarm\'s turns (an unreadable session file survives a resume)', {
    skip: cliInstalled('gemini') ? false : 'gemini not installed (run test/agents/install.sh)',
    // Fails today: the cleanup deletes the file. GEMINI_CLI_SYSTEM_SETTINGS_PATH (the one layer above
    // the user's settings) is ignored unless the file and every folder above it belong to root and
    // are not group/world-writable (Gemini 0.61), so the swarm cannot switch it off for its turns alone.
    todo: 'issue 19 part 2: Gemini session cleanup not switched off yet',
  }, async () => {
    const [wt] = repoWithWorktrees('gc', 1);
    const home = join(root, 'gc-home');
    const first = await turn('gemini', { tag: 'gc0', home, cwd: wt, prompt: 'Create c0.txt.\nFAKE_WRITE c0.txt "0\\n"\n' });
    assert.equal(first.failure, undefined, first.failure?.message);
    const session = first.sessionId!;
    const tmp = join(home, 'gemini', '.gemini', 'tmp');
    const own = readdirSync(tmp, { recursive: true }).map(String).find((f) => /(^|\/)chats\/session-.*\.jsonl?$/.test(f) && f.includes(session.slice(0, 8)));
    assert.ok(own, `the session file of ${session} under ${tmp}`);
    // What the cleanup deletes first: a session file it cannot read (as a second, empty file of a
    // resumed session is); with the cleanup on, the next start removes it.
    const bogus = join(tmp, own.replace(/session-[^/]*$/, 'session-2000-01-01T00-00-zzzzzzzz.json'));
    writeFileSync(bogus, '');
    const res = await turn('gemini', { tag: 'gc1', home, cwd: wt, resume: session, prompt: 'Fix round 1: add c1.txt.\nFAKE_WRITE c1.txt "1\\n"\n' });
    assert.equal(res.failure, undefined, res.failure?.message);
    assert.equal(res.sessionId, session);
    assert.ok(existsSync(bogus), 'the cleanup did not run: the unreadable session file is still there');
    assert.ok(existsSync(join(tmp, own)), 'the session file is still there');
  });
});
