// Real CLIs side by side: several workers of the same CLI starting at once on a fresh data folder
// (OpenCode created its database from every process at once and crashed: "Failed query: CREATE
// TABLE `workspace`"), and a worker session resumed round after round across minute boundaries
// while Gemini's start-up session cleanup deletes it (issue 19). Against the fake model server,
// with the real CLIs from test/agents/install.sh. The OpenCode race did not show with the real CLI
// here (it is made certain with a stand-in in test/integration/harness-first-start.test.ts;
// adapters.ts firstStart fixes it). The Gemini one does: without the swarm's copy of the session
// (src/swarm/harness/gemini-session.ts) the first fix round starts a new session.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliHarness, CLI_SPECS } from '../../src/swarm/harness/adapters';
import { sessionIdOf } from '../../src/swarm/harness/gemini-session';
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

function turn(
  name: CliName,
  o: { tag: string; home: string; cwd: string; prompt: string; resume?: string; env?: Record<string, string> },
): Promise<AgentTurnResult> {
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

  test(
    '3 OpenCode workers start at once on a fresh data folder: no failed turn',
    { skip: cliInstalled('opencode') ? false : 'opencode not installed (run test/agents/install.sh)' },
    async () => {
      const wts = repoWithWorktrees('oc', 3);
      const home = join(root, 'oc-home'); // one data folder for all three, never used before
      assert.ok(!existsSync(join(home, 'opencode', '.local', 'share', 'opencode')));
      const results = await Promise.all(
        wts.map((wt, i) => turn('opencode', { tag: `oc${i}`, home, cwd: wt, prompt: `Create f${i}.txt.\nFAKE_WRITE f${i}.txt "${i}\\n"\n` })),
      );
      results.forEach((r, i) => {
        assert.equal(r.failure, undefined, `worker ${i}: ${r.failure?.kind}: ${r.failure?.message}`);
        assert.equal(readFileSync(join(wts[i], `f${i}.txt`), 'utf8'), `${i}\n`);
        assert.equal(r.reply.trim().split('\n').pop(), DONE);
      });
    },
  );

  test(
    "Gemini: 5 fix rounds in a row, each in a later minute, all resume the same session although Gemini's start-up cleanup deletes it before each",
    {
      skip: !cliInstalled('gemini')
        ? 'gemini not installed (run test/agents/install.sh)'
        : !existsSync(FAKETIME_LIB)
          ? `${FAKETIME_LIB} missing (apt-get install faketime)`
          : false,
    },
    async () => {
      const [wt] = repoWithWorktrees('gm', 1);
      const home = join(root, 'gm-home');
      const first = await turn('gemini', { tag: 'gm0', home, cwd: wt, prompt: 'Create r0.txt.\nFAKE_WRITE r0.txt "0\\n"\n' });
      assert.equal(first.failure, undefined, first.failure?.message);
      const session = first.sessionId!;
      assert.ok(session, 'session id captured');
      const tmp = join(home, 'gemini', '.gemini', 'tmp');
      const sessionFiles = () =>
        readdirSync(tmp, { recursive: true })
          .map(String)
          .filter((f) => /(^|\/)chats\/session-[^/]*\.jsonl?$/.test(f) && sessionIdOf(join(tmp, f)) === session);
      const own = sessionFiles()[0];
      assert.ok(own, `the session file of ${session} under ${tmp}`);
      const chats = join(tmp, dirname(own));
      for (let round = 1; round <= 5; round++) {
        const clock = new Date(Date.now() + round * 2 * 60_000);
        // What a resume in a later minute (or a crash mid-write) leaves: a second, unreadable file of
        // the session's short id. Then another Gemini start in the same folder (a fresh turn): its
        // start-up cleanup deletes the unreadable file and every file of the same short id with it.
        writeFileSync(join(chats, `session-${clock.toISOString().slice(0, 16).replace(/:/g, '-')}-${session.slice(0, 8)}.jsonl`), '');
        const other = await turn('gemini', { tag: `gx${round}`, home, cwd: wt, prompt: `Say hello.\nFAKE_REPLY "hello ${round}\\n${DONE}"\n` });
        assert.equal(other.failure, undefined, other.failure?.message);
        assert.notEqual(other.sessionId, session);
        assert.deepEqual(sessionFiles(), [], `round ${round}: Gemini's cleanup deleted the session's files (the hazard happened)`);
        // The fix round, in a later minute, resumes the session.
        const env = { LD_PRELOAD: FAKETIME_LIB, FAKETIME: `+${round * 2}m`, FAKETIME_DONT_FAKE_MONOTONIC: '1', FAKETIME_NO_CACHE: '1' };
        const res = await turn('gemini', {
          tag: `gm${round}`,
          home,
          cwd: wt,
          resume: session,
          env,
          prompt: `Fix round ${round}: add r${round}.txt.\nFAKE_WRITE r${round}.txt "${round}\\n"\n`,
        });
        assert.equal(res.failure, undefined, `round ${round}: ${res.failure?.message}`);
        assert.equal(res.sessionId, session, `round ${round} resumed the same session (a new id means the session was gone)`);
        const req = server.modelRequests(`gm${round}`).find((r) => r.view?.tools.length);
        assert.ok(
          req?.view?.prompts.some((p) => p.includes('FAKE_WRITE r0.txt')),
          `round ${round}: the first round is in the resumed history`,
        );
        for (let k = 1; k < round; k++)
          assert.ok(
            req?.view?.prompts.some((p) => p.includes(`Fix round ${k}:`)),
            `round ${round}: fix round ${k} is in the resumed history`,
          );
        assert.equal(readFileSync(join(wt, `r${round}.txt`), 'utf8'), `${round}\n`);
      }
      assert.ok(sessionFiles().length >= 1, 'the session file is there after the last round');
    },
  );
});
