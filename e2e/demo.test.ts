// The README's quick start, run the way a new user runs it: `npm run demo` in a fresh copy of the
// repository with no packages installed (no node_modules, no e2e/node_modules), through npm, until
// the printed URL answers HTTP 200; then stopped by its process group (Ctrl-C), which must take
// code-server down with it. Then `npm run demo` a second time in the same folder, which must skip
// the install and come up again. The first run exercises the whole install path (npm ci, then
// e2e/install.sh under `npm run`, which once failed: issue "npm run demo fails on a fresh clone");
// it reuses only npm's download cache, warm from the install CI does anyway.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { skipReason, until } from './helpers';

const ROOT = resolve(__dirname, '..');
const skip = skipReason();
const made: string[] = [];
after(() => {
  if (!process.env.SWARM_E2E_KEEP) for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh copy of the repository: every tracked file as it is in the work tree, nothing installed. */
function freshCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-demo-clone-'));
  made.push(dir);
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(ROOT, f))) continue; // deleted in the work tree
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(dir, f));
  }
  execFileSync('chmod', ['+x', join(dir, 'e2e', 'install.sh')]);
  return dir;
}

interface DemoRun {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | string>;
}

/** `npm run demo` as its own process group (as a terminal runs it), output collected. */
function startDemo(dir: string, port: number): DemoRun {
  // A user's shell: no npm_* variables from the npm that runs this test suite.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  const child = spawn('npm', ['run', 'demo', '--', '--port', String(port)], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | string>((res) => child.on('exit', (c, s) => res(c ?? s ?? 'unknown')));
  return { child, output: () => out, exited };
}

/** Ctrl-C to the whole process group, then wait until npm has exited and the URL no longer answers. */
async function stopDemo(run: DemoRun, url: string): Promise<void> {
  try {
    process.kill(-run.child.pid!, 'SIGINT');
  } catch {
    /* already gone */
  }
  await run.exited;
  await until(
    'code-server to stop after Ctrl-C',
    async () => {
      try {
        await fetch(url);
        return false;
      } catch {
        return true;
      }
    },
    60_000,
  );
  const sample = /Sample repo: (\S+)/.exec(run.output())?.[1];
  if (sample && !process.env.SWARM_E2E_KEEP) rmSync(dirname(sample), { recursive: true, force: true });
}

async function demoComesUp(run: DemoRun, timeoutMs: number): Promise<string> {
  const end = Date.now() + timeoutMs;
  let url: string | undefined;
  while (!url) {
    url = /Open:\s+(http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(run.output())?.[1];
    if (url) break;
    if (run.child.exitCode !== null || run.child.signalCode !== null)
      assert.fail(`npm run demo exited (${run.child.exitCode ?? run.child.signalCode}) before printing its URL:\n${run.output().slice(-3000)}`);
    if (Date.now() > end) assert.fail(`npm run demo printed no URL within ${timeoutMs} ms:\n${run.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}`);
  assert.match(await res.text(), /<html|<!DOCTYPE/i);
  return url;
}

test(
  'npm run demo on a fresh copy installs, serves VS Code (HTTP 200), stops on Ctrl-C; a second run starts without installing',
  { skip, timeout: 30 * 60_000 },
  async () => {
    const dir = freshCopy();
    assert.ok(!existsSync(join(dir, 'node_modules')) && !existsSync(join(dir, 'e2e', 'node_modules')));
    const port = 18000 + (process.pid % 1000);

    const first = startDemo(dir, port);
    try {
      // The first run installs everything: minutes, bounded by the test's own timeout.
      const url = await demoComesUp(first, 25 * 60_000);
      assert.match(first.output(), /Installing code-server and Node 24/);
      assert.ok(existsSync(join(dir, 'e2e', 'node_modules', '.e2e-installed')), 'e2e/install.sh finished and wrote its stamp');
      await stopDemo(first, url);
    } finally {
      try {
        process.kill(-first.child.pid!, 'SIGKILL');
      } catch {
        /* stopped */
      }
    }

    const second = startDemo(dir, port);
    try {
      const url = await demoComesUp(second, 5 * 60_000);
      assert.doesNotMatch(second.output(), /e2e\/install\.sh: installing/, 'the second run reuses the install');
      await stopDemo(second, url);
    } finally {
      try {
        process.kill(-second.child.pid!, 'SIGKILL');
      } catch {
        /* stopped */
      }
    }
  },
);
