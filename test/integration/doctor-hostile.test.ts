// `swarm doctor` (src/swarm/doctor.ts) in a cloned hostile repository: it checks a setup, so it must
// run nothing the repository brings. A swarm.json that names a program inside the repository (a
// relative path, or an absolute one under the checkout) for a CLI's `--version` is reported "not run:
// inside the repository"; a `.worktreeinclude` that is a symbolic link (to ~/.ssh/id_rsa) or a FIFO
// is not opened (its "patterns" would otherwise be printed: a key in the doctor's output).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestRepo } from '../helpers/repo';
import { runDoctor } from '../../src/swarm/doctor';
import { prepareWorktreeEnv } from '../../src/swarm/worktreeEnv';

const repos: TestRepo[] = [];
const dirs: string[] = [];
after(() => {
  for (const r of repos) r.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A PATH folder with only git: no agent CLI, so nothing is found on PATH. */
function gitOnly(): string {
  const d = mkdtempSync(join(tmpdir(), 'swarm-doc-bin-'));
  dirs.push(d);
  symlinkSync(execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim(), join(d, 'git'));
  return d;
}

test(
  "doctor never runs a program from the repository that swarm.json names (relative or absolute path): 'not run: inside the repository'",
  { timeout: 120_000 },
  async () => {
    const r = new TestRepo();
    repos.push(r);
    const marker = join(r.home, 'evil-ran');
    const evil = `#!/bin/sh\necho ran "$@" >> ${marker}\necho "1.0.0"\n`;
    r.write('evil.sh', evil);
    r.write('tools/codex', evil);
    chmodSync(r.path('evil.sh'), 0o755);
    chmodSync(r.path('tools/codex'), 0o755);
    r.write(
      'swarm.json',
      JSON.stringify({
        workers: [
          { role: 'worker', harness: 'claude' },
          { role: 'worker', harness: 'codex' },
        ],
        harnesses: { claude: { command: ['./evil.sh'] }, codex: { command: [r.path('tools', 'codex')] } },
      }),
    );
    // A `git` in the repository, reached through a relative entry of the user's PATH ("." first).
    r.write('git', evil);
    chmodSync(r.path('git'), 0o755);
    const bin = gitOnly();
    const savedPath = process.env.PATH;
    process.env.PATH = `.:${bin}`;
    let report;
    try {
      report = await runDoctor({ repo: r.root, agentPath: bin });
    } finally {
      process.env.PATH = savedPath;
    }
    assert.ok(!existsSync(marker), `doctor ran the repository's program: ${existsSync(marker) ? execFileSync('cat', [marker], { encoding: 'utf8' }) : ''}`);
    for (const name of ['claude', 'codex']) {
      const c = report.checks.find((x) => x.id === `cli:${name}`)!;
      assert.match(c.detail, /not run: inside the repository/, `${name}: ${c.detail}`);
      assert.notEqual(c.status, 'ok');
    }
  },
);

test('doctor does not follow a .worktreeinclude that is a symbolic link (to a key) nor open one that is a FIFO', { timeout: 60_000 }, async () => {
  const r = new TestRepo();
  repos.push(r);
  const secretDir = join(r.home, 'dot-ssh');
  mkdirSync(secretDir);
  writeFileSync(join(secretDir, 'id_rsa'), '-----BEGIN KEY-----\nSECRETKEYMATERIAL\n-----END KEY-----\n');
  symlinkSync(join(secretDir, 'id_rsa'), r.path('.worktreeinclude'));
  const report = await runDoctor({ repo: r.root, agentPath: gitOnly() });
  const text = JSON.stringify(report);
  assert.ok(
    !text.includes('SECRETKEYMATERIAL'),
    `the linked file's content is in the doctor's output: ${report.checks.find((c) => c.id === 'worktreeinclude')?.detail}`,
  );
  const wi = report.checks.find((c) => c.id === 'worktreeinclude')!;
  assert.equal(wi.status, 'warn');
  assert.match(wi.detail, /symbolic link/);
  // The worktree copy reads it the same way: no pattern from the linked file.
  const wt = join(r.home, 'wt');
  r.git('worktree', 'add', '-q', '-b', 'swarm/w1/t', wt);
  const env = await prepareWorktreeEnv(r.root, wt, { include: [] });
  assert.deepEqual(env.copied, []);
  assert.match(env.skipped.map((s) => s.why).join('\n'), /symbolic link/);

  rmSync(r.path('.worktreeinclude'));
  execFileSync('mkfifo', [r.path('.worktreeinclude')]);
  const fifo = await runDoctor({ repo: r.root, agentPath: gitOnly() });
  assert.match(fifo.checks.find((c) => c.id === 'worktreeinclude')!.detail, /FIFO|not a regular file/);
});
