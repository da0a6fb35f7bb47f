// The four CLI adapters without the real CLIs: the argv/env they build per role (permission
// bypass only in a linked worktree), model mapping, executable resolution, and whole turns
// against stand-in executables that replay output recorded from the real CLIs
// (test/agents/fixtures): reply / session / usage / failure classes, prompt on stdin, resume
// fallback, missing CLI, timeout with process-group kill.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  CliHarness,
  CLI_SPECS,
  builtinCliAdapters,
  isLinkedWorktree,
  registerCliAdapters,
  resolveCliCommand,
  type CliName,
} from '../../src/swarm/harness/adapters';
import { claudeModel } from '../../src/swarm/harness/claude';
import { geminiModel } from '../../src/swarm/harness/gemini';
import type { HarnessContext } from '../../src/swarm/harness/context';
import type { AgentRole, AgentTurnRequest } from '../../src/swarm/harness/types';
import { isProcessAlive } from '../../src/swarm/procKill';

const ctx: HarnessContext = { cliPaths: {}, nodePath: process.execPath, demoAgentPath: '', baseEnv: {} };
const FIX = join(__dirname, '..', 'agents', 'fixtures');

function tmp(): { dir: string; repo: string; wt: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-adapters-'));
  const repo = join(dir, 'repo');
  const wt = join(dir, 'wt');
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
  mkdirSync(repo);
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo, env });
  execFileSync('git', ['commit', '-q', '--allow-empty', '-m', 'init'], { cwd: repo, env });
  execFileSync('git', ['worktree', 'add', '-q', '-b', 'task', wt], { cwd: repo, env });
  return { dir, repo, wt, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function req(over: Partial<AgentTurnRequest> & { cwd: string }): AgentTurnRequest {
  return {
    role: 'worker',
    prompt: 'Do the task.\n',
    promptFile: join(over.cwd, '..', 'prompt.md'),
    env: { SWARM_ROLE: over.role ?? 'worker', SWARM_TASK_ID: 't1', SWARM_TASKS_DIR: '/hub/tasks' },
    timeoutMs: 20_000,
    logFile: join(over.cwd, '..', 'turn.log'),
    signal: new AbortController().signal,
    ...over,
  };
}

/** A stand-in CLI: records argv / stdin / env, then replays a recorded fixture (chosen by argv). */
function replayer(dir: string, pick: (argv: string) => string): string {
  const script = join(dir, 'fake-cli.js');
  const table = JSON.stringify({ resume: pick('--resume x resume x -s x'), fresh: pick('') });
  writeFileSync(
    script,
    `#!${process.execPath}
const fs = require('fs');
const args = process.argv.slice(2);
const stdin = fs.readFileSync(0, 'utf8');
fs.appendFileSync(${JSON.stringify(join(dir, 'calls.jsonl'))}, JSON.stringify({ args, stdin, pwd: process.env.PWD, cwd: process.cwd(), isSandbox: process.env.IS_SANDBOX, perm: process.env.OPENCODE_PERMISSION, extra: process.env.EXTRA }) + '\\n');
const t = ${table};
const resuming = args.some((a) => a === '--resume' || a === 'resume' || a === '-s');
const f = JSON.parse(fs.readFileSync(${JSON.stringify(FIX)} + '/' + (resuming ? t.resume : t.fresh) + '.json', 'utf8'));
process.stdout.write(f.stdout);
process.stderr.write(f.stderr);
process.exitCode = f.exitCode;
`,
  );
  chmodSync(script, 0o755);
  return script;
}

const calls = (dir: string) =>
  readFileSync(join(dir, 'calls.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { args: string[]; stdin: string; pwd: string; cwd: string; isSandbox?: string; perm?: string; extra?: string });

test('adapters: all four register into a registry without replacing existing entries', () => {
  const reg: Record<string, never> = {} as Record<string, never>;
  registerCliAdapters(reg);
  assert.deepEqual(Object.keys(reg).sort(), ['claude', 'codex', 'gemini', 'opencode']);
  const mine = { claude: (() => ({})) as never };
  registerCliAdapters(mine);
  assert.notEqual(mine.claude, builtinCliAdapters.claude);
  const h = builtinCliAdapters.codex(ctx, { timeoutS: 10, args: ['--x'] });
  assert.equal(h.name, 'codex');
  assert.ok(h.supportsResume);
});

test('adapters: executable = setting swarm.cli.<name>, else harnesses.<name>.command, else the name on PATH', () => {
  assert.deepEqual(resolveCliCommand('claude', { ...ctx, cliPaths: { claude: '/opt/claude' } }, { command: ['/x/claude'] }), ['/opt/claude']);
  assert.deepEqual(resolveCliCommand('claude', ctx, { command: ['node', '/x/cli.js'] }), ['node', '/x/cli.js']);
  assert.deepEqual(resolveCliCommand('gemini', ctx, undefined), ['gemini']);
  // the workspace copies command[0] into cliPaths: the whole command is still used
  assert.deepEqual(resolveCliCommand('claude', { ...ctx, cliPaths: { claude: 'npx' } }, { command: ['npx', '--no-install', 'claude'] }), [
    'npx',
    '--no-install',
    'claude',
  ]);
});

test('adapters: only a linked worktree counts as one (not the main checkout, not a submodule)', () => {
  const t = tmp();
  try {
    assert.equal(isLinkedWorktree(t.wt), true);
    assert.equal(isLinkedWorktree(t.repo), false);
    const sub = join(t.dir, 'sub');
    mkdirSync(sub);
    writeFileSync(join(sub, '.git'), 'gitdir: ../repo/.git/modules/sub\n');
    assert.equal(isLinkedWorktree(sub), false);
    assert.equal(isLinkedWorktree(join(t.dir, 'nowhere')), false);
  } finally {
    t.cleanup();
  }
});

test('adapters: model names', () => {
  assert.equal(claudeModel('opus-4.5'), 'claude-opus-4-5');
  assert.equal(claudeModel('sonnet-4'), 'claude-sonnet-4');
  assert.equal(claudeModel('opus'), 'opus');
  assert.equal(claudeModel('claude-opus-4-5-20251101'), 'claude-opus-4-5-20251101');
  assert.equal(geminiModel('2.5-pro'), 'gemini-2.5-pro');
  assert.equal(geminiModel('gemini-2.5-flash'), 'gemini-2.5-flash');
});

test('adapters: permission bypass only for workers in a linked worktree; reviewers and planners get the restricted modes', () => {
  const t = tmp();
  try {
    const plan = (name: CliName, role: AgentRole, cwd: string) =>
      new CliHarness(CLI_SPECS[name], ctx, { args: ['--extra'] }).planTurn(req({ role, cwd, model: 'm-1' }));
    const a = (name: CliName, role: AgentRole, cwd: string) => plan(name, role, cwd).argv.join(' ');
    // workers in a worktree
    assert.match(
      a('claude', 'worker', t.wt),
      /^claude -p --output-format stream-json --verbose --model m-1 --dangerously-skip-permissions --add-dir \/hub\/tasks --extra$/,
    );
    assert.match(
      a('codex', 'executor', t.wt),
      new RegExp(`^codex exec --json --skip-git-repo-check -C ${t.wt} --dangerously-bypass-approvals-and-sandbox -m m-1 --extra -$`),
    );
    assert.match(a('opencode', 'worker', t.wt), new RegExp(`^opencode run --format json --dir ${t.wt} --title swarm worker t1 -m m-1 --auto --extra$`));
    assert.match(a('gemini', 'worker', t.wt), /^gemini -o stream-json --skip-trust --approval-mode yolo -m m-1 --include-directories \/hub\/tasks --extra$/);
    // IS_SANDBOX only for claude's bypass, only as root
    assert.equal(plan('claude', 'worker', t.wt).plan.env.IS_SANDBOX, process.getuid?.() === 0 ? '1' : undefined);
    // the same role in the user's checkout (not a linked worktree): no bypass
    for (const name of ['claude', 'codex', 'opencode', 'gemini'] as const) {
      for (const role of ['worker', 'reviewer', 'planner'] as const) {
        const argv = a(name, role, t.repo);
        assert.doesNotMatch(argv, /dangerously|--yolo|approval-mode yolo| --auto\b/, `${name} ${role}: ${argv}`);
      }
    }
    assert.match(a('claude', 'reviewer', t.repo), /--permission-mode dontAsk/);
    assert.doesNotMatch(a('claude', 'reviewer', t.repo), /--add-dir/);
    assert.match(a('claude', 'planner', t.repo), /--permission-mode acceptEdits --add-dir \/hub\/tasks/);
    assert.match(a('codex', 'reviewer', t.repo), /-s read-only/);
    assert.match(a('codex', 'planner', t.repo), /-s workspace-write --add-dir \/hub\/tasks/);
    assert.match(a('gemini', 'reviewer', t.repo), /--approval-mode plan/);
    assert.match(a('gemini', 'planner', t.repo), /--approval-mode auto_edit/);
    assert.deepEqual(JSON.parse(plan('opencode', 'reviewer', t.repo).plan.env.OPENCODE_PERMISSION), {
      edit: 'deny',
      bash: 'deny',
      webfetch: 'deny',
      external_directory: 'deny',
      task: 'deny',
    });
    // resume flags
    const r = (name: CliName) => new CliHarness(CLI_SPECS[name], ctx).planTurn(req({ cwd: t.wt, resumeSessionId: 'S-1' })).argv.join(' ');
    assert.match(r('claude'), /--resume S-1/);
    assert.match(r('codex'), / resume S-1 -$/);
    assert.match(r('opencode'), / -s S-1/);
    assert.match(r('gemini'), /--resume S-1/);
    // the prompt is never in argv
    for (const name of ['claude', 'codex', 'opencode', 'gemini'] as const) {
      const p = new CliHarness(CLI_SPECS[name], ctx).planTurn(req({ cwd: t.wt, prompt: 'UNIQUE-PROMPT-TEXT' }));
      assert.ok(!p.argv.some((x) => x.includes('UNIQUE-PROMPT-TEXT')));
      assert.equal(p.plan.stdin, 'UNIQUE-PROMPT-TEXT');
    }
  } finally {
    t.cleanup();
  }
});

for (const name of ['claude', 'codex', 'opencode', 'gemini'] as const) {
  test(`${name}: a whole turn on replayed real output: prompt on stdin, PWD = worktree, reply / session / usage`, async () => {
    const t = tmp();
    try {
      const exe = replayer(t.dir, () => `${name}-ok`);
      const h = new CliHarness(CLI_SPECS[name], ctx, { command: [exe], env: { EXTRA: 'from-config' } });
      const res = await h.runTurn(req({ cwd: t.wt, prompt: 'Line one\nLine two\n' }));
      assert.equal(res.failure, undefined, res.failure?.message);
      assert.match(res.reply, /COMPLETE_AND_READY_FOR_MERGE$/);
      assert.ok(res.sessionId);
      assert.equal(res.usage?.outputTokens, 40);
      const c = calls(t.dir)[0];
      assert.equal(c.stdin, 'Line one\nLine two\n');
      assert.equal(c.pwd, t.wt);
      assert.equal(c.cwd, t.wt);
      assert.equal(c.extra, 'from-config');
      assert.ok(existsSync(join(t.dir, 'turn.log')), 'output is streamed to the log file');
    } finally {
      t.cleanup();
    }
  });

  test(`${name}: rate limit and auth failures from replayed real output`, async () => {
    const t = tmp();
    try {
      for (const [kase, kind] of [
        ['r429', 'rate_limit'],
        ['r401', 'auth'],
      ] as const) {
        const exe = replayer(t.dir, () => `${name}-${kase}`);
        const res = await new CliHarness(CLI_SPECS[name], ctx, { command: [exe] }).runTurn(req({ cwd: t.wt }));
        assert.equal(res.failure?.kind, kind, `${kase}: ${res.failure?.message}`);
      }
    } finally {
      t.cleanup();
    }
  });

  test(`${name}: resuming a session the CLI no longer has starts a fresh session once`, async () => {
    const t = tmp();
    try {
      const exe = replayer(t.dir, (a) => (a ? `${name}-badsession` : `${name}-ok`));
      const res = await new CliHarness(CLI_SPECS[name], ctx, { command: [exe] }).runTurn(
        req({ cwd: t.wt, resumeSessionId: '00000000-0000-4000-8000-000000000000' }),
      );
      assert.equal(res.failure, undefined, `${res.failure?.message} ${JSON.stringify(calls(t.dir).map((c) => c.args))}`);
      assert.match(res.reply, /COMPLETE_AND_READY_FOR_MERGE/);
      const cs = calls(t.dir);
      assert.equal(cs.length, 2);
      assert.notEqual(res.sessionId, '00000000-0000-4000-8000-000000000000');
    } finally {
      t.cleanup();
    }
  });
}

test('adapters: a missing CLI is missing_cli and names both settings', async () => {
  const t = tmp();
  try {
    for (const name of ['claude', 'codex', 'opencode', 'gemini'] as const) {
      const h = new CliHarness(CLI_SPECS[name], { ...ctx, agentPath: '/nonexistent-bin' }, {});
      const res = await h.runTurn(req({ cwd: t.wt }));
      assert.equal(res.failure?.kind, 'missing_cli');
      assert.match(res.failure!.message, new RegExp(`swarm\\.cli\\.${name}`));
      assert.match(res.failure!.message, new RegExp(`harnesses\\.${name}\\.command`));
    }
  } finally {
    t.cleanup();
  }
});

test('adapters (issue 12 rule 4): a fake claude a worker put in node_modules/.bin is never run through a relative PATH entry', async () => {
  const t = tmp();
  try {
    const bin = join(t.wt, 'node_modules', '.bin');
    mkdirSync(bin, { recursive: true });
    const marker = join(t.dir, 'fake-ran');
    writeFileSync(join(bin, 'claude'), `#!/bin/sh\n: > ${marker}\n`); // a shell builtin: this PATH has no touch
    chmodSync(join(bin, 'claude'), 0o755);
    for (const role of ['reviewer', 'worker'] as const) {
      const h = new CliHarness(CLI_SPECS.claude, { ...ctx, agentPath: 'node_modules/.bin:.:/nonexistent-bin' }, {});
      const res = await h.runTurn(req({ cwd: t.wt, role }));
      assert.equal(res.failure?.kind, 'missing_cli', role);
      assert.ok(!existsSync(marker), `the fake never ran (${role})`);
    }
  } finally {
    t.cleanup();
  }
});

test('adapters: a crash with no structured output is a crash with the stderr gist; exit 0 without a reply is a crash', async () => {
  const t = tmp();
  try {
    const crash = join(t.dir, 'crash.sh');
    writeFileSync(crash, '#!/bin/sh\necho "Error: something broke badly" >&2\nexit 3\n');
    chmodSync(crash, 0o755);
    const res = await new CliHarness(CLI_SPECS.codex, ctx, { command: [crash] }).runTurn(req({ cwd: t.wt }));
    assert.equal(res.failure?.kind, 'crash');
    assert.match(res.failure!.message, /exited with 3: Error: something broke badly/);
    const silent = join(t.dir, 'silent.sh');
    writeFileSync(silent, '#!/bin/sh\ncat >/dev/null\necho \'{"type":"thread.started","thread_id":"x"}\'\n');
    chmodSync(silent, 0o755);
    const r2 = await new CliHarness(CLI_SPECS.codex, ctx, { command: [silent] }).runTurn(req({ cwd: t.wt }));
    assert.equal(r2.failure?.kind, 'crash');
    assert.match(r2.failure!.message, /without a reply/);
  } finally {
    t.cleanup();
  }
});

test('adapters: the per-turn timeout kills the whole process group (children included)', async () => {
  const t = tmp();
  try {
    const slow = join(t.dir, 'slow.sh');
    writeFileSync(slow, `#!/bin/sh\nsleep 60 &\necho $! > ${t.dir}/child.pid\nwait\n`);
    chmodSync(slow, 0o755);
    const res = await new CliHarness(CLI_SPECS.claude, ctx, { command: [slow] }).runTurn(req({ cwd: t.wt, timeoutMs: 700 }));
    assert.equal(res.failure?.kind, 'timeout');
    const child = Number(readFileSync(join(t.dir, 'child.pid'), 'utf8'));
    for (let i = 0; i < 50 && isProcessAlive(child); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!isProcessAlive(child), "the agent's child process was killed");
  } finally {
    t.cleanup();
  }
});
