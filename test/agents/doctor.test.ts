// `swarm doctor --json` with the REAL agent CLIs installed (test/agents/install.sh), on a throwaway
// HOME with no sign-in (issue 18): each CLI is found (path, version), its own local login check
// answers "not logged in" (nothing billed, no network), an API key in the environment counts as
// logged in (for Claude Code and OpenCode); and a config that uses a CLI passes the preflight of `swarm run` only with it on PATH.
// The machine without the CLIs: test/integration/cli-setup.test.ts.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, CLI_NAMES, cliInstalled } from './cli-env';
import type { DoctorReport } from '../../src/swarm/doctor';
import { ensureCli } from '../helpers/repo';

const root = mkdtempSync(join(tmpdir(), 'swarm-agents-doctor-'));
after(() => rmSync(root, { recursive: true, force: true }));
const missing = CLI_NAMES.filter((n) => !cliInstalled(n));

const REAL_GIT = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
const gitOnly = join(root, 'git-bin');
mkdirSync(gitOnly);
symlinkSync(REAL_GIT, join(gitOnly, 'git'));
symlinkSync(process.execPath, join(gitOnly, 'node')); // codex and gemini are node scripts (#!/usr/bin/env node)

function repo(config: Record<string, unknown>): string {
  const dir = mkdtempSync(join(root, 'repo-'));
  const g = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'pipe' });
  g('init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'swarm.json'), JSON.stringify(config));
  g('add', '-A');
  g('-c', 'user.name=u', '-c', 'user.email=u@u', 'commit', '-q', '-m', 'init');
  return dir;
}

function doctor(dir: string, env: NodeJS.ProcessEnv): { status: number | null; report: DoctorReport; stderr: string } {
  const home = mkdtempSync(join(root, 'home-'));
  const base: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local/share') };
  for (const k of ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'CODEX_HOME', 'CLAUDE_CONFIG_DIR', 'GEMINI_CLI_HOME'])
    delete base[k];
  const r = spawnSync(process.execPath, [ensureCli(), 'doctor', '--json', '--repo', dir], { encoding: 'utf8', timeout: 600_000, env: { ...base, ...env } });
  return { status: r.status, report: JSON.parse(r.stdout) as DoctorReport, stderr: r.stderr };
}

describe(
  'swarm doctor with the real agent CLIs',
  { skip: missing.length ? `not installed: ${missing.join(', ')} (run test/agents/install.sh)` : false, timeout: 900_000 },
  () => {
    test('each CLI found with its path and version; not logged in on a fresh HOME; an API key counts', () => {
      const dir = repo({ workers: [{ harness: 'claude' }], review: { harness: 'demo' } });
      const { status, report } = doctor(dir, { PATH: `${BIN}:${gitOnly}`, ANTHROPIC_API_KEY: 'sk-test-not-a-key' });
      const byId = new Map(report.checks.map((c) => [c.id, c]));
      for (const n of CLI_NAMES) {
        const c = byId.get(`cli:${n}`)!;
        assert.ok(c.detail.startsWith(`${join(BIN, n)}, `), `${n}: ${c.detail}`);
        assert.match(c.detail, /\d+\.\d+\.\d+/, `${n} version: ${c.detail}`);
      }
      // Claude Code: `claude auth status` sees the key (used by the config: ok).
      assert.equal(byId.get('cli:claude')!.status, 'ok', byId.get('cli:claude')!.detail);
      assert.match(byId.get('cli:claude')!.detail, /logged in/);
      // The others are not used and not signed in on this HOME: a warning each, with the login command.
      assert.match(byId.get('cli:codex')!.detail, /not logged in.*codex login status/i);
      assert.match(byId.get('cli:codex')!.fix!, /codex login/);
      // OpenCode counts the Anthropic key in the environment as a provider it can use.
      assert.match(byId.get('cli:opencode')!.detail, /0 stored credential\(s\), 1 key\(s\) in the environment/);
      assert.equal(byId.get('cli:opencode')!.status, 'ok');
      assert.match(byId.get('cli:gemini')!.detail, /no GEMINI_API_KEY and no sign-in/);
      for (const n of ['codex', 'gemini']) assert.equal(byId.get(`cli:${n}`)!.status, 'warn', n);
      assert.equal(status, 0, JSON.stringify(report.checks.filter((c) => c.status === 'fail')));
      assert.equal(report.ok, true);
    });

    test('a config using codex: doctor fails on the missing sign-in; without the CLIs on PATH it is not found, and swarm run refuses (exit 2)', () => {
      const dir = repo({ workers: [{ harness: 'codex' }], review: { harness: 'codex' } });
      const signedOut = doctor(dir, { PATH: `${BIN}:${gitOnly}` });
      assert.equal(signedOut.status, 1);
      assert.equal(signedOut.report.checks.find((c) => c.id === 'cli:codex')!.status, 'fail');
      const without = doctor(dir, { PATH: gitOnly });
      assert.match(without.report.checks.find((c) => c.id === 'cli:codex')!.detail, /^not found/);
      const run = spawnSync(process.execPath, [ensureCli(), 'run', '--no-wait', '--repo', dir], {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, PATH: gitOnly },
      });
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, /Codex CLI \("codex", used by worker w1, the reviewer\) is not installed/);
    });
  },
);
