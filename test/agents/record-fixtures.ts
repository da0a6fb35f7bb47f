// Records the real CLIs' output for the parser unit tests (test/unit/harness-*.test.ts):
//   npx tsx test/agents/record-fixtures.ts [claude|codex|opencode|gemini ...]
//   RECORD_CASES=usage npx tsx test/agents/record-fixtures.ts   (only the named cases)
// Each case runs the installed CLI with exactly the argv the adapter builds, against the fake
// model server, and writes test/agents/fixtures/<cli>-<case>.json {argv, exitCode, stdout, stderr}
// (temp paths replaced by /tmp/REC) and `served`: the tokens the server's answered calls of that
// case reported, summed (fake-model-server.ts usageFor). Re-run after bumping a CLI version in package.json.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { runAgentProcess } from '../../src/swarm/proc';
import { agentEnv as baseAgentEnv } from '../../src/swarm/harness/command';
import { CliHarness, CLI_SPECS, type CliName } from '../../src/swarm/harness/adapters';
import type { AgentTurnRequest, AgentRole } from '../../src/swarm/harness/types';
import { startFakeModelServer } from './fake-model-server';
import { cliSetup, cliInstalled, CLI_NAMES } from './cli-env';

const FIXTURES = join(__dirname, 'fixtures');

/** The adapter's environment, minus variables a case removes (e.g. the API key: "not logged in"). */
function agentEnv(...a: [...Parameters<typeof baseAgentEnv>, string[] | undefined]): NodeJS.ProcessEnv {
  const [ctx, req, extra, drop] = a;
  const env = baseAgentEnv(ctx, req, extra);
  for (const k of drop ?? []) delete env[k];
  return env;
}

async function main(): Promise<void> {
  const only = process.argv.slice(2) as CliName[];
  const names = (only.length ? only : [...CLI_NAMES]).filter((n) => cliInstalled(n));
  mkdirSync(FIXTURES, { recursive: true });
  const server = await startFakeModelServer();
  const root = mkdtempSync(join(tmpdir(), 'swarm-rec-'));
  try {
    const repo = join(root, 'repo');
    const git = (...a: string[]) =>
      execFileSync('git', a, {
        cwd: repo,
        env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
      });
    mkdirSync(repo);
    git('init', '-q', '-b', 'main');
    git('commit', '-q', '--allow-empty', '-m', 'init');
    for (const name of names) {
      const wt = join(root, `wt-${name}`);
      git('worktree', 'add', '-q', '-b', `task-${name}`, wt);
      const record = async (
        kase: string,
        prompt: string,
        opts: { prefix?: string; resume?: string; role?: AgentRole; retries?: number; dropEnv?: string[] } = {},
      ) => {
        if (process.env.RECORD_CASES && !process.env.RECORD_CASES.split(',').includes(kase)) return undefined;
        const tag = `${name}-${kase}`;
        const setup = cliSetup(name, { baseUrl: `${server.url}/t-${tag}${opts.prefix ?? ''}`, home: join(root, 'home', kase), retries: opts.retries ?? 0 });
        for (const k of opts.dropEnv ?? []) delete setup.env[k];
        const ctx = { cliPaths: {}, nodePath: process.execPath, demoAgentPath: '', baseEnv: {} };
        const h = new CliHarness(CLI_SPECS[name], ctx, { command: setup.command, args: setup.args, env: setup.env });
        const req: AgentTurnRequest = {
          role: opts.role ?? 'worker',
          prompt,
          promptFile: join(root, 'prompt.md'),
          cwd: opts.role === 'reviewer' ? repo : wt,
          env: { SWARM_ROLE: opts.role ?? 'worker', SWARM_TASK_ID: 'rec' },
          model: setup.model,
          resumeSessionId: opts.resume,
          timeoutMs: 120_000,
          logFile: join(root, 'log.txt'),
          signal: new AbortController().signal,
        };
        const { argv, plan } = h.planTurn(req);
        const r = await runAgentProcess({
          argv,
          cwd: req.cwd,
          env: agentEnv(ctx, req, { ...plan.env, ...setup.env, PWD: req.cwd }, opts.dropEnv),
          stdin: plan.stdin,
          timeoutMs: req.timeoutMs,
        });
        const scrub = (s: string) =>
          s.split(root).join('/tmp/REC').split(`${server.url}/t-${tag}`).join('http://127.0.0.1:PORT').split(server.url).join('http://127.0.0.1:PORT');
        const fx = {
          cli: name,
          case: kase,
          argv: argv.slice(1).map(scrub),
          exitCode: r.exitCode,
          stdout: scrub(r.stdoutTail),
          stderr: scrub(r.stderrTail),
          served: server.servedUsage(tag),
        };
        writeFileSync(join(FIXTURES, `${name}-${kase}.json`), JSON.stringify(fx, null, 1) + '\n');
        console.log(`${name}-${kase}: exit ${r.exitCode} in ${r.durationMs} ms`);
        return fx;
      };
      const ok = await record('ok', 'Create hello.txt\nFAKE_WRITE hello.txt "hi\\n"\n');
      const sid = CLI_SPECS[name].parser();
      for (const l of ok?.stdout.split('\n') ?? []) sid.push(l);
      const session = sid.result().sessionId;
      // The resume case needs the first turn's state, so it shares the "ok" home.
      const setupOk = join(root, 'home', 'ok');
      rmSync(join(root, 'home', 'resume'), { recursive: true, force: true });
      if (ok) execFileSync('cp', ['-a', setupOk, join(root, 'home', 'resume')]);
      if (session) await record('resume', 'Now add a second file\nFAKE_WRITE second.txt "two\\n"\n', { resume: session });
      await record('r429', 'Create hello.txt\nFAKE_WRITE hello.txt "hi\\n"\n', { prefix: '/r429' });
      await record('r401', 'Create hello.txt\nFAKE_WRITE hello.txt "hi\\n"\n', { prefix: '/r401' });
      await record('badsession', 'Continue\n', { resume: name === 'opencode' ? 'ses_0000000000000000000000000' : '00000000-0000-4000-8000-000000000000' });
      await record('reviewer', 'Review this change.\nFAKE_VERDICT APPROVED\n', { role: 'reviewer' });
      const keyVar = { claude: 'ANTHROPIC_API_KEY', codex: 'FAKE_OPENAI_API_KEY', gemini: 'GEMINI_API_KEY', opencode: '' }[name];
      // Usage as served (distinct per field and call) against usage as parsed: test/unit/harness-parse.test.ts.
      await record('usage', 'Create hello.txt\nFAKE_WRITE hello.txt "hi\\n"\n');
      if (keyVar) await record('nokey', 'Create hello.txt\nFAKE_WRITE hello.txt "hi\\n"\n', { dropEnv: [keyVar] });
    }
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
