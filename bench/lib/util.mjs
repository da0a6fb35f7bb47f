// Shared helpers of the benchmarks: scratch repositories, a fixed git environment, timing.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

export const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = resolve(BENCH, '..');
export const AGENTS = join(BENCH, 'agents');

/** Scratch space of this bench process (removed by cleanupScratch). */
let scratch;
export function scratchDir(name) {
  scratch ??= mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), 'swarm-bench-'));
  const d = join(scratch, name);
  mkdirSync(d, { recursive: true });
  return d;
}
export function cleanupScratch() {
  if (scratch && !process.env.BENCH_KEEP) rmSync(scratch, { recursive: true, force: true });
}

/**
 * The same git environment for the swarm and every baseline: no user/system config (hooks,
 * fsmonitor, gc settings of the machine must not tilt one side), an identity, no auto gc.
 */
export function gitEnv() {
  const dir = scratchDir('gitconfig');
  const file = join(dir, 'gitconfig');
  if (!existsSync(file))
    writeFileSync(
      file,
      '[user]\n\tname = Bench\n\temail = bench@localhost\n[init]\n\tdefaultBranch = main\n[gc]\n\tauto = 0\n[maintenance]\n\tauto = false\n[advice]\n\tdetachedHead = false\n',
    );
  return { ...process.env, GIT_CONFIG_GLOBAL: file, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
}

export function run(argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: opts.env ?? gitEnv(), cwd: opts.cwd, input: opts.input, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
}

export const git = (cwd, ...args) => run(['git', ...args], { cwd }).stdout.trim();

const TIME = ['/usr/bin/time', '/bin/time'].find((p) => existsSync(p));
let timeSeq = 0;

/**
 * Run a program to its end; resolves with wall time (ms), exit status and, when /usr/bin/time is
 * there, the CPU time (user + sys, ms) of the program and every descendant it waited for (git and
 * agent processes included): a number the load of other processes on the machine tilts far less
 * than wall time.
 */
export function timed(argv, opts = {}) {
  return new Promise((resolvePromise, reject) => {
    const cpuFile = TIME ? join(scratchDir('time'), `t${++timeSeq}.txt`) : undefined;
    const full = cpuFile ? [TIME, '-f', '%U %S', '-o', cpuFile, ...argv] : argv;
    const t0 = performance.now();
    const child = spawn(full[0], full.slice(1), {
      cwd: opts.cwd,
      env: opts.env ?? gitEnv(),
      stdio: ['ignore', opts.stdout ?? 'ignore', opts.stderr ?? 'pipe'],
    });
    let err = '';
    child.stderr?.on('data', (c) => {
      if (err.length < 20000) err += c;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = performance.now() - t0;
      let cpuMs;
      if (cpuFile) {
        try {
          const m = /([\d.]+) ([\d.]+)\s*$/.exec(readFileSync(cpuFile, 'utf8'));
          if (m) cpuMs = Math.round((Number(m[1]) + Number(m[2])) * 1000);
        } catch {
          /* no numbers */
        }
      }
      resolvePromise({ ms, cpuMs, code, signal, stderr: err });
    });
  });
}

/** A small project on `main` with one commit (the same start for every side). */
export function makeBaseRepo(dir) {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'README.md'), '# bench\n\nA small project the benchmark changes.\n');
  for (let i = 0; i < 20; i++) writeFileSync(join(dir, 'src', `m${i}.js`), `exports.f${i} = (x) => x + ${i};\n`);
  writeFileSync(join(dir, '.gitignore'), 'node_modules/\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}

export const taskId = (i) => `t${String(i).padStart(3, '0')}`;

/** Task files in the swarm's format (tasks/pending/<id>.md, YAML frontmatter), uncommitted. */
export function writeTasks(dir, n, folder = 'pending') {
  const d = join(dir, 'tasks', folder);
  mkdirSync(d, { recursive: true });
  for (let i = 1; i <= n; i++) {
    const id = taskId(i);
    writeFileSync(
      join(d, `${id}.md`),
      `---\ntitle: Change ${id}\npriority: ${i}\n---\nCreate \`change-${id}.txt\`.\n\n## Acceptance criteria\n- the file exists\n`,
    );
  }
}

export const ms = (x) => Math.round(x * 10) / 10;
export const ratio = (a, b) => (b > 0 ? Math.round((a / b) * 100) / 100 : null);

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
}

/** A GIT_TRACE file for one side of a comparison, and the number of git processes it recorded. */
export function gitTrace(name) {
  const file = join(scratchDir('trace'), `${name}.trace`);
  return {
    file,
    env: (env) => ({ ...env, GIT_TRACE: file }),
    count: () => {
      try {
        return (readFileSync(file, 'utf8').match(/trace: built-in: git /g) ?? []).length;
      } catch {
        return 0;
      }
    },
    /** git processes by sub-command (`-c` options left out), e.g. { 'worktree add': 200, 'status': 200 }. */
    byCommand: () => {
      const out = {};
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        return out;
      }
      for (const m of text.matchAll(/trace: built-in: git (.*)/g)) {
        const words = m[1]
          .replace(/-c '[^']*' |-c \S+ /g, '')
          .split(' ')
          .filter((w) => !w.startsWith('--no-ext-diff') && !w.startsWith('--no-textconv'));
        const key = /^(worktree|config|rev-parse|merge-base|symbolic-ref|update-ref|cat-file|merge-tree|diff|status)$/.test(words[0])
          ? `${words[0]} ${words[1] ?? ''}`.trim().replace(/'.*/, '')
          : words[0];
        out[key] = (out[key] ?? 0) + 1;
      }
      return out;
    },
  };
}
