// Shared body of test/agents/<cli>.test.ts: the REAL CLI (installed by test/agents/install.sh)
// driven through its adapter (src/swarm/harness/<cli>.ts) against the fake model server, in a
// real git worktree, with a throwaway HOME / config dir per test.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliHarness, CLI_SPECS } from '../../src/swarm/harness/adapters';
import { createSandbox, detectSandbox } from '../../src/swarm/sandbox';
import type { HarnessContext } from '../../src/swarm/harness/context';
import type { AgentRole, AgentTurnRequest, AgentTurnResult } from '../../src/swarm/harness/types';
import { startFakeModelServer, type FakeModelServer } from './fake-model-server';
import { cliInstalled, cliSetup, type CliName, type CliSetupOptions } from './cli-env';

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
const DONE = 'COMPLETE_AND_READY_FOR_MERGE';

export interface TurnEnv {
  server: FakeModelServer;
  root: string;
  repo: string;
  newWorktree(name: string): string;
  /** The turns run inside the swarm's sandbox. */
  sandboxed: boolean;
  turn(o: {
    tag: string;
    prompt: string;
    cwd: string;
    role?: AgentRole;
    resume?: string;
    home?: string;
    prefix?: string;
    setup?: Partial<CliSetupOptions>;
    timeoutMs?: number;
  }): Promise<AgentTurnResult>;
}

export function makeTurnEnv(name: CliName): { env: () => TurnEnv; setUp: () => Promise<void>; tearDown: () => Promise<void> } {
  let e: TurnEnv | undefined;
  let root = '';
  return {
    env: () => e!,
    async setUp() {
      // Not under /tmp: Codex's own sandbox (used when the swarm's is off) refuses to set up its
      // helper under a temp-dir CODEX_HOME and then fails every write where bubblewrap is
      // installed (docs/harnesses.md, Codex). A user's ~/.codex is not under /tmp.
      const base = join(homedir(), '.cache', 'worktree-swarm-agent-tests');
      mkdirSync(base, { recursive: true });
      root = mkdtempSync(join(base, `${name}-`));
      const server = await startFakeModelServer({ writeRoots: [root] });
      const repo = join(root, 'repo');
      mkdirSync(repo);
      const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, env: GIT_ENV, stdio: 'pipe' }).toString();
      git('init', '-q', '-b', 'main');
      git('commit', '-q', '--allow-empty', '-m', 'init');
      // Each CLI runs inside the swarm's sandbox wherever bubblewrap works (CI installs it), as a
      // swarm runs it by default: its writes are confined to its role's paths, its network to the
      // fake server's loopback port. SWARM_AGENTS_SANDBOX=off runs them unconfined.
      const sandbox =
        process.env.SWARM_AGENTS_SANDBOX === 'off'
          ? undefined
          : createSandbox(
              { mode: 'auto', allowWrite: [], denyRead: [], allowDomains: [] },
              { root: repo, commonDir: join(repo, '.git'), tasksDir: join(repo, 'tasks') },
            );
      const ctx: HarnessContext = { cliPaths: {}, nodePath: process.execPath, demoAgentPath: '', baseEnv: {}, sandbox };
      e = {
        server,
        root,
        repo,
        sandboxed: !!sandbox?.status.sandboxed,
        newWorktree(wtName: string) {
          const wt = join(root, 'wt', wtName);
          git('worktree', 'add', '-q', '-b', `task-${wtName}`, wt);
          return wt;
        },
        async turn(o) {
          const setup = cliSetup(name, { baseUrl: `${server.url}/t-${o.tag}${o.prefix ?? ''}`, home: join(root, 'home', o.home ?? o.tag), ...o.setup });
          const h = new CliHarness(CLI_SPECS[name], ctx, { command: setup.command, args: setup.args, env: setup.env });
          const role = o.role ?? 'worker';
          const req: AgentTurnRequest = {
            role,
            prompt: o.prompt,
            promptFile: join(root, `${o.tag}.prompt.md`),
            cwd: o.cwd,
            env: { SWARM_ROLE: role, SWARM_TASK_ID: o.tag, SWARM_WORKTREE: o.cwd },
            model: setup.model,
            resumeSessionId: o.resume,
            timeoutMs: o.timeoutMs ?? 150_000,
            logFile: join(root, 'logs', `${o.tag}.log`),
            signal: new AbortController().signal,
          };
          return h.runTurn(req);
        },
      };
    },
    async tearDown() {
      await e?.server.stop();
      if (root) rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The standard suite for one CLI. */
export function cliSuite(name: CliName): void {
  const installed = cliInstalled(name);
  describe(
    `real ${name} CLI against the fake model server`,
    { timeout: 600_000, skip: installed ? false : `test/agents/node_modules/.bin/${name} is not installed (run test/agents/install.sh)` },
    () => {
      const t = makeTurnEnv(name);
      before(() => t.setUp());
      after(() => t.tearDown());
      let wt = '';
      let session: string | undefined;

      test("a worker turn writes a file in a real git worktree with the CLI's own write tool and ends ready for merge", async () => {
        const e = t.env();
        if (process.env.SWARM_AGENTS_SANDBOX !== 'off' && detectSandbox().available) assert.equal(e.sandboxed, true, 'the CLI runs inside the swarm sandbox');
        wt = e.newWorktree('w1');
        const res = await e.turn({ tag: 'w1', cwd: wt, home: 'w', prompt: 'Create hello.txt containing hi.\nFAKE_WRITE hello.txt "hi\\n"\n' });
        assert.equal(res.failure, undefined, res.failure?.message);
        assert.equal(readFileSync(join(wt, 'hello.txt'), 'utf8'), 'hi\n');
        assert.equal(res.reply.trim().split('\n').pop(), DONE);
        assert.ok(res.sessionId, 'session id captured');
        assert.ok((res.usage?.inputTokens ?? 0) > 0 && (res.usage?.outputTokens ?? 0) > 0, `usage: ${JSON.stringify(res.usage)}`);
        session = res.sessionId;
        const reqs = e.server.modelRequests('w1').filter((r) => r.view?.tools.length);
        assert.ok(reqs.length >= 2, 'tool call + final answer');
        assert.equal(reqs[0].view?.cwd, wt, 'the CLI told the model the worktree as its working directory');
        // the user's checkout is untouched
        assert.equal(execFileSync('git', ['status', '--porcelain'], { cwd: e.repo }).toString(), '');
        assert.ok(!existsSync(join(e.repo, 'hello.txt')));
      });

      test("a second turn resumes the same session, and the model sees the first turn's history", async () => {
        const e = t.env();
        assert.ok(session, 'needs the first turn');
        const res = await e.turn({
          tag: 'w1r',
          cwd: wt,
          home: 'w',
          resume: session,
          prompt: 'Fix round: also add second.txt.\nFAKE_WRITE second.txt "two\\n"\n',
        });
        assert.equal(res.failure, undefined, res.failure?.message);
        assert.equal(res.sessionId, session);
        assert.equal(readFileSync(join(wt, 'second.txt'), 'utf8'), 'two\n');
        assert.equal(res.reply.trim().split('\n').pop(), DONE);
        const first = e.server.modelRequests('w1').filter((r) => r.view?.tools.length)[0];
        const resumed = e.server.modelRequests('w1r').filter((r) => r.view?.tools.length)[0];
        assert.ok(
          resumed.view!.prompts.some((p) => p.includes('FAKE_WRITE hello.txt')),
          'the first prompt is in the resumed history',
        );
        assert.ok(resumed.view!.prompts[resumed.view!.prompts.length - 1].includes('Fix round'), 'the new prompt is last');
        assert.ok(resumed.view!.messageCount > first.view!.messageCount, `history grew: ${first.view!.messageCount} → ${resumed.view!.messageCount}`);
        if (first.sessionHeader) assert.equal(resumed.sessionHeader, first.sessionHeader, 'same session header');
      });

      test("a reviewer turn in the user's checkout (no permission bypass): a write attempt is refused, the verdict is on the last line", async () => {
        const e = t.env();
        // The scripted model tries to write into the checkout first: the CLI's restricted mode must refuse.
        const res = await e.turn({
          tag: 'rev',
          cwd: e.repo,
          role: 'reviewer',
          prompt: 'Review the diff below.\nFAKE_WRITE evil.txt "reviewer was here\\n"\nFAKE_VERDICT APPROVED\n',
        });
        assert.equal(res.failure, undefined, res.failure?.message);
        assert.equal(res.reply.trim().split('\n').pop(), 'VERDICT: APPROVED');
        assert.ok(!existsSync(join(e.repo, 'evil.txt')), "the reviewer could not write into the user's checkout");
        assert.equal(execFileSync('git', ['status', '--porcelain'], { cwd: e.repo }).toString(), '');
      });

      test("a planner turn in the user's checkout (restricted mode, no bypass) can write a task file into tasks/pending", async () => {
        const e = t.env();
        const res = await e.turn({
          tag: 'plan',
          cwd: e.repo,
          role: 'planner',
          prompt: 'Plan one task.\nFAKE_WRITE tasks/pending/new-task.md "---\\ntitle: New task\\n---\\nDo it.\\n"\nFAKE_REPLY "Added one task.\\n__DONE__"\n',
        });
        assert.equal(res.failure, undefined, res.failure?.message);
        assert.equal(readFileSync(join(e.repo, 'tasks', 'pending', 'new-task.md'), 'utf8'), '---\ntitle: New task\n---\nDo it.\n');
        assert.equal(res.reply.trim().split('\n').pop(), '__DONE__');
        rmSync(join(e.repo, 'tasks'), { recursive: true, force: true });
      });

      test('HTTP 429 from the provider is a rate_limit failure after a bounded number of requests (CLI retries capped)', async () => {
        const e = t.env();
        const w = e.newWorktree('rl');
        const res = await e.turn({ tag: 'rl', cwd: w, prefix: '/r429', prompt: 'Create hello.txt\nFAKE_WRITE hello.txt "hi\\n"\n' });
        assert.equal(res.failure?.kind, 'rate_limit', `${res.failure?.kind}: ${res.failure?.message}`);
        const reqs = e.server.modelRequests('rl');
        // Claude, Codex and Gemini: retries set to 0 in their settings; OpenCode retries 5 times itself (retry-after: 1 s).
        assert.ok(reqs.length >= 1 && reqs.length <= (name === 'opencode' ? 6 : 1), `${reqs.length} requests`);
        assert.ok(reqs.every((r) => r.status === 429));
        assert.ok(!existsSync(join(w, 'hello.txt')));
      });

      test('HTTP 401 (bad key) is an auth failure', async () => {
        const e = t.env();
        const w = e.newWorktree('au');
        const res = await e.turn({ tag: 'au', cwd: w, prefix: '/r401', prompt: 'Create hello.txt\nFAKE_WRITE hello.txt "hi\\n"\n' });
        assert.equal(res.failure?.kind, 'auth', `${res.failure?.kind}: ${res.failure?.message}`);
      });
    },
  );
}
