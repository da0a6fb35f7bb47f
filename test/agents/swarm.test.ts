// End to end through the engine (openWorkspace / startRun) with the REAL agent CLIs pointed at
// the fake model server. For each of claude, codex, opencode and gemini: the worker writes a file
// in its worktree, the reviewer asks for changes, the fix round resumes the worker's session (the
// model sees the first round's history), the reviewer approves, the merge queue merges. And a 429
// storm from the provider pauses the pool, which resumes and completes the task without failing it.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { newRepo, TestRepo, runSwarm } from '../helpers/repo';
import { startFakeModelServer, type ConversationView, type FakeAction, type FakeModelServer } from './fake-model-server';
import { cliInstalled, cliSetup, type CliName } from './cli-env';
import { detectSandbox } from '../../src/swarm/sandbox';

const DONE = 'COMPLETE_AND_READY_FOR_MERGE';
const servers: FakeModelServer[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

/** The model's side of a swarm task: reviewer asks for NOTES.md in round 1, approves in round 2. */
function swarmScript(view: ConversationView): FakeAction {
  const p = view.prompt;
  if (/You are the reviewer of a swarm/.test(p)) {
    const round = Number(/# Review round (\d+)/.exec(p)?.[1] ?? '1');
    if (round === 1 && !/NOTES\.md/.test(/```diff([\s\S]*)```/.exec(p)?.[1] ?? ''))
      return { kind: 'text', text: 'The feature file is fine, but the task also asks for NOTES.md describing it.\nVERDICT: NEEDS_CHANGES' };
    return { kind: 'text', text: 'Feature and notes are there.\nVERDICT: APPROVED' };
  }
  const task = /# Task ([a-z0-9._-]+):/.exec(p)?.[1] ?? /change for task ([a-z0-9._-]+)/.exec(p)?.[1] ?? 'unknown';
  const fix = /was not merged yet\. Round \d+/.test(p);
  const file = fix ? { path: 'NOTES.md', content: `Notes for ${task}: written in the fix round.\n` } : { path: `${task}.txt`, content: `feature of ${task}\n` };
  if (view.toolResultsSincePrompt === 0) return { kind: 'write', ...file };
  return { kind: 'text', text: `${fix ? 'Added NOTES.md.' : `Wrote ${file.path}.`}\n${DONE}` };
}

async function swarmFor(
  name: CliName,
  o: { tag: string; failFirst?: number; retryAfterS?: number; script?: (view: ConversationView) => FakeAction; sandbox?: 'auto' | 'off' },
): Promise<{ repo: TestRepo; server: FakeModelServer }> {
  const server = await startFakeModelServer({ script: o.script ?? swarmScript });
  servers.push(server);
  if (o.failFirst) server.failNext(429, o.failFirst, o.retryAfterS);
  const repo = newRepo(`swarm-agents-${name}-`);
  const home = join(repo.home, 'cli-home');
  mkdirSync(home, { recursive: true });
  const setup = cliSetup(name, { baseUrl: `${server.url}/t-${o.tag}`, home });
  repo.writeConfig({
    workers: [{ role: 'worker', harness: name, model: setup.model, count: 1, iterations: 5 }],
    review: { mode: 'agent', harness: name, model: setup.model, max_rounds: 3 },
    harnesses: { [name]: { command: setup.command, args: setup.args, env: setup.env, timeout_s: 120 } },
    ...(o.sandbox ? { sandbox: { mode: o.sandbox } } : {}),
    limits: { poll_ms: 100, rate_limit_pause_s: 1, backoff_pause_s: 2, backoff_failures: 3, backoff_window_s: 60, max_consecutive_errors: 10, max_attempts: 3 },
  });
  repo.writeTask(`feat-${name}`, {
    title: `Add the ${name} feature`,
    body: `Create feat-${name}.txt with a one-line description, and NOTES.md describing it.`,
  });
  return { repo, server };
}

const CLIS = (['claude', 'codex', 'opencode', 'gemini'] as const).filter((n) => cliInstalled(n));
const SANDBOX = detectSandbox().available;

describe('the swarm with real agent CLIs', { skip: CLIS.length ? false : 'no CLI installed (test/agents/install.sh)', concurrency: 2 }, () => {
  for (const name of CLIS) {
    test(`${name}: worker turn, reviewer NEEDS_CHANGES, fix round in the same session, APPROVED, merged`, { timeout: 180_000 }, async () => {
      const { repo, server } = await swarmFor(name, { tag: name });
      const id = `feat-${name}`;
      const { summary, events } = await runSwarm(repo.root, { timeoutMs: 170_000 });
      const failed = events.filter((e) => e.type === 'agent_finished' && e.failure);
      assert.deepEqual(summary.merged, [id], `summary ${JSON.stringify(summary)}; agent failures: ${JSON.stringify(failed)}`);
      // merged into main: the first round's file and the fix round's file
      assert.equal(repo.show('main', `${id}.txt`), `feature of ${id}\n`);
      assert.equal(repo.show('main', 'NOTES.md'), `Notes for ${id}: written in the fix round.\n`);
      assert.equal(repo.task('complete', id)?.data.review_rounds, 2);
      // two reviews: NEEDS_CHANGES then APPROVED, by the real CLI
      const verdicts = events.flatMap((e) => (e.type === 'review_finished' && e.taskId === id ? [e.round.verdict] : []));
      assert.deepEqual(verdicts, ['NEEDS_CHANGES', 'APPROVED']);
      // the fix round resumed the worker's session: the model got round 1's prompt and tool call as history
      const workerReqs = server.modelRequests(name).filter((r) => r.view && /worker in a swarm|was not merged yet/.test(r.view.prompt));
      const fixReq = workerReqs.find((r) => /was not merged yet/.test(r.view!.prompt));
      assert.ok(fixReq, 'a fix-round request reached the model');
      assert.ok(
        fixReq.view!.prompts.some((p) => /You are a worker in a swarm/.test(p)),
        "the first round's prompt is in the fix round's history",
      );
      const firstReq = workerReqs[0];
      assert.ok(fixReq.view!.messageCount > firstReq.view!.messageCount + 2, `history carried: ${firstReq.view!.messageCount} → ${fixReq.view!.messageCount}`);
      if (firstReq.sessionHeader) assert.equal(fixReq.sessionHeader, firstReq.sessionHeader, 'same session id on the wire');
      // the worker wrote only in its worktree; the user's checkout is clean
      assert.equal(repo.git('status', '--porcelain', '--untracked-files=no'), '');
      assert.ok(!events.some((e) => e.type === 'security_violation'));
      const started = events.find((e) => e.type === 'run_started');
      if (SANDBOX)
        assert.equal(started?.type === 'run_started' && started.sandbox?.sandboxed, true, 'the agents ran sandboxed (the default where bubblewrap works)');
    });
  }

  for (const name of CLIS) {
    test(`${name}: a 429 storm pauses the pool, which resumes and completes the task without failing it`, { timeout: 180_000 }, async () => {
      // 4 rate-limited turns (the CLIs' own retries are capped at 0), more than backoff_failures.
      // OpenCode retries a 429 itself 5 times per turn (honouring retry-after, here 0 s): 6 requests a turn.
      const perTurn = name === 'opencode' ? 6 : 1;
      const { repo, server } = await swarmFor(name, { tag: `${name}-429`, failFirst: 4 * perTurn, retryAfterS: name === 'opencode' ? 0 : undefined });
      const id = `feat-${name}`;
      const { summary, events } = await runSwarm(repo.root, { timeoutMs: 170_000 });
      assert.deepEqual(summary.merged, [id], JSON.stringify(summary));
      const paused = events.filter((e) => e.type === 'pool_paused');
      assert.ok(paused.length >= 1, 'pool_paused');
      assert.ok(
        paused.every((e) => e.type === 'pool_paused' && /rate limit|failures/.test(e.reason)),
        JSON.stringify(paused),
      );
      assert.ok(
        events.some((e) => e.type === 'pool_resumed'),
        'pool_resumed',
      );
      assert.equal(events.filter((e) => e.type === 'task_failed').length, 0, 'the task never failed');
      const limited = events.filter((e) => e.type === 'agent_finished' && e.failureKind === 'rate_limit');
      assert.ok(limited.length >= 1 && limited.length <= 4, `rate-limited turns: ${limited.length}`);
      assert.equal(server.modelRequests(`${name}-429`).filter((r) => r.status === 429).length, 4 * perTurn);
      assert.deepEqual(summary.failed, []);
    });
  }

  // Hazard 11 with a real agent: the model makes the CLI run `git config core.hooksPath ...` in its
  // worktree (which writes the shared .git/config). The guard sees it after the turn, the worker
  // stops, the task is blocked for the user and nothing is reviewed or merged.
  for (const name of CLIS.filter((n) => n === 'claude' || n === 'codex')) {
    test(
      `${name}, sandbox off: an agent that sets core.hooksPath through its shell tool is stopped (security_violation), nothing merges`,
      { timeout: 120_000 },
      async () => {
        let evil = '';
        const script = (view: ConversationView): FakeAction => {
          if (/You are the reviewer of a swarm/.test(view.prompt)) return { kind: 'text', text: 'ok\nVERDICT: APPROVED' };
          if (view.toolResultsSincePrompt === 0) return { kind: 'shell', command: `git config core.hooksPath ${evil}` };
          if (view.toolResultsSincePrompt === 1) return { kind: 'write', path: 'escape.txt', content: 'x\n' };
          return { kind: 'text', text: `Done.\n${DONE}` };
        };
        const { repo } = await swarmFor(name, { tag: `${name}-escape`, script, sandbox: 'off' });
        evil = join(repo.home, 'evil-hooks');
        const before = repo.rev('main');
        const { summary, events } = await runSwarm(repo.root, { timeoutMs: 110_000 });
        const v = events.find((e) => e.type === 'security_violation');
        assert.ok(v && v.type === 'security_violation', `no security_violation; events: ${events.map((e) => e.type).join(', ')}`);
        assert.ok(
          v.changes.some((c) => /core\.hookspath/i.test(c) && c.includes(evil)),
          v.changes.join('; '),
        );
        assert.equal(repo.git('config', '--get', 'core.hooksPath').trim(), evil, 'nothing was undone silently');
        assert.deepEqual(summary.merged, []);
        assert.equal(repo.rev('main'), before);
        assert.ok(!events.some((e) => e.type === 'review_started'), 'no reviewer saw it');
        assert.equal(repo.task('current', `feat-${name}`)?.data.status, 'blocked');
      },
    );
  }

  for (const name of CLIS.filter((n) => n === 'claude' || n === 'codex')) {
    test(
      `${name}, sandboxed: the same agent cannot write the repository's git config; its own change is still reviewed and merged`,
      { timeout: 120_000, skip: SANDBOX ? false : 'bubblewrap is not usable here' },
      async () => {
        let evil = '';
        const script = (view: ConversationView): FakeAction => {
          if (/You are the reviewer of a swarm/.test(view.prompt)) return { kind: 'text', text: 'ok\nVERDICT: APPROVED' };
          if (view.toolResultsSincePrompt === 0) return { kind: 'shell', command: `git config core.hooksPath ${evil}; echo "config exit $?" > tried.txt` };
          if (view.toolResultsSincePrompt === 1) return { kind: 'write', path: `feat-${name}.txt`, content: 'x\n' };
          return { kind: 'text', text: `Done.\n${DONE}` };
        };
        const { repo } = await swarmFor(name, { tag: `${name}-escape-sb`, script, sandbox: 'auto' });
        evil = join(repo.home, 'evil-hooks');
        const { summary, events } = await runSwarm(repo.root, { timeoutMs: 110_000 });
        const hooksPath = (() => {
          try {
            return repo.git('config', '--get', 'core.hooksPath').trim();
          } catch {
            return '';
          }
        })();
        assert.equal(hooksPath, '', 'the write to .git/config was refused by the sandbox');
        assert.match(repo.show('main', 'tried.txt') ?? '', /config exit [1-9]/, 'the agent tried, and git failed inside the sandbox');
        assert.ok(!events.some((e) => e.type === 'security_violation'), 'nothing to stop: nothing changed');
        assert.deepEqual(summary.merged, [`feat-${name}`], JSON.stringify(summary));
      },
    );
  }
});
