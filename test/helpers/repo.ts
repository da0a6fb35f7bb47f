// Shared helpers for the engine's tests: temp git repositories with NO git identity configured
// (HOME is a temp dir and GIT_CONFIG_NOSYSTEM=1 for this whole test process, as on a fresh CI
// machine), swarm.json and task files, scripted agents (small node scripts run through the
// `command` harness), running a swarm to its end with a timeout, and reading git state back.
//
// The scripted agent (SCRIPTED_AGENT below) is driven by a fenced ```agent JSON block in the task
// body, so each test says in the task what its agent does:
//   files        { path: content }  written into the worktree by the worker (every round)
//   rounds       { "2": { ...same keys } }  overrides for a worker round (SWARM_ROUND)
//   commit       true: the worker commits itself (default: leaves changes for the swarm to commit)
//   reply        the worker's reply (default "working...\nCOMPLETE_AND_READY_FOR_MERGE")
//   sleepMs      think this long first (sleepFirstMs: only in the first worker call of the task)
//   waitFile     (first call only) wait until this file exists (a test releases the agent)
//   waitForMerge (first call only) wait until the base has the merge of this task id (orders tasks)
//   mergeBase    resolve a conflict keeping this side: finish the integration round's merge in progress
//                (`git checkout --ours`), or bring the base in itself (`git merge -X ours <base>`)
//   abortMerge   abort the integration round's merge in progress (an agent that never resolves)
//   exit         exit code of the worker (after writing files)
//   exitFirst    exit code of the first worker turn only (e.g. 75 = rate limit)
//   blocked      ask this (BLOCKED: line) until the prompt carries the user's answer
//   blockedFile  the same, through a BLOCKED.md file in the worktree
//   gitConfig    [key, value]: set in the shared repository's config (an escape attempt)
//   sleeper      (first call only) spawn a child that ignores SIGTERM and sleeps 60 s, write its pid to
//                <log dir>/sleeper-<task>.pid, then sleep sleeperWaitMs (default 60 s) itself
//   preFiles     { path: content } written before any sleeping (work in progress at a crash)
//   review       reviewer verdicts per review round, e.g. ["NEEDS_CHANGES", "APPROVED"] (last repeats;
//                default APPROVED); an entry may be any full reply text when it contains a newline
//   reviewNote   text the reviewer writes before its verdict line
//   reviewSleepMs / reviewSleepFirstMs   the reviewer thinks this long (every call / the first call)
// Every call is appended to <log dir>/calls.jsonl: role, task, round, worker, session, prompt, cwd.

import { after } from 'node:test';
import { execFileSync, spawnSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import matter from 'gray-matter';
import { openWorkspace } from '../../src/swarm/workspace';
import { parseJournal } from '../../src/swarm/state';
import type { OpenWorkspaceOptions, StartRunOptions, SwarmRun, Workspace } from '../../src/swarm/api';
import type { JournalEntry, RunSummary, SwarmEvent } from '../../src/swarm/types';

// --- this process: no git identity anywhere --------------------------------------------------

const TEST_HOME = mkdtempSync(join(tmpdir(), 'swarm-test-home-'));
process.env.HOME = TEST_HOME;
process.env.GIT_CONFIG_NOSYSTEM = '1';
for (const k of [
  'XDG_CONFIG_HOME',
  'GIT_CONFIG_GLOBAL',
  'GIT_AUTHOR_NAME',
  'GIT_AUTHOR_EMAIL',
  'GIT_COMMITTER_NAME',
  'GIT_COMMITTER_EMAIL',
  'EMAIL',
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
])
  delete process.env[k];
process.on('exit', () => {
  try {
    rmSync(TEST_HOME, { recursive: true, force: true });
  } catch {
    /* best effort */
  }
});

/** The project root (where dist/cli.js lives). */
export const PROJECT_ROOT = resolve(__dirname, '..', '..');
export const CLI = join(PROJECT_ROOT, 'dist', 'cli.js');

/** Identity for commits the test makes as "the user", given on the command line only. */
const USER_ID = ['-c', 'user.name=Test User', '-c', 'user.email=user@example.invalid'];

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
}

/** git that may fail: returns status and output. */
export function tryGit(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Commit as the user (identity on the command line; nothing is configured). */
export function userCommit(cwd: string, message: string, ...paths: string[]): string {
  git(cwd, 'add', '--', ...(paths.length ? paths : ['.']));
  git(cwd, ...USER_ID, 'commit', '-q', '-m', message);
  return git(cwd, 'rev-parse', 'HEAD').trim();
}

/** git as the user (identity on the command line, no editor); returns the exit status. */
export function userGit(cwd: string, ...args: string[]): number | null {
  return spawnSync('git', [...USER_ID, ...args], { cwd, stdio: 'ignore', env: { ...process.env, GIT_EDITOR: 'true' } }).status;
}

// --- the scripted agent ------------------------------------------------------------------------

export const SCRIPTED_AGENT = String.raw`'use strict';
const fs = require('fs');
const path = require('path');
const cp = require('child_process');
let prompt = '';
try { prompt = fs.readFileSync(0, 'utf8'); } catch {}
const env = process.env;
const role = env.SWARM_ROLE;
const task = env.SWARM_TASK_ID || '';
const round = Number(env.SWARM_ROUND || '1');
const logDir = env.TEST_AGENT_LOG;
const promptFromFile = env.SWARM_PROMPT_FILE && fs.existsSync(env.SWARM_PROMPT_FILE) ? fs.readFileSync(env.SWARM_PROMPT_FILE, 'utf8') : '';
const text = env.SWARM_TASK_FILE && fs.existsSync(env.SWARM_TASK_FILE) ? fs.readFileSync(env.SWARM_TASK_FILE, 'utf8') : '';
const m = /\x60\x60\x60agent\s*\n([\s\S]*?)\x60\x60\x60/.exec(text);
let spec = {};
try { spec = m ? JSON.parse(m[1]) : {}; } catch (e) { console.log('bad agent block: ' + e.message); }
if (role !== 'reviewer' && spec.rounds && spec.rounds[String(round)]) spec = Object.assign({}, spec, spec.rounds[String(round)]);
const countFile = logDir ? path.join(logDir, 'count-' + (task || env.SWARM_WORKER_ID) + '-' + role) : undefined;
const calls = countFile && fs.existsSync(countFile) ? Number(fs.readFileSync(countFile, 'utf8')) + 1 : 1;
if (countFile) fs.writeFileSync(countFile, String(calls));
const session = env.SWARM_SESSION_ID || ('sess-' + task + '-' + process.pid);
if (logDir) fs.appendFileSync(path.join(logDir, 'calls.jsonl'), JSON.stringify({ role, task, round, worker: env.SWARM_WORKER_ID, sessionIn: env.SWARM_SESSION_ID || null, session, cwd: process.cwd(), pid: process.pid, call: calls, prompt, promptFileSame: promptFromFile === prompt, env: { SWARM_TASKS_DIR: env.SWARM_TASKS_DIR, SWARM_WORKTREE: env.SWARM_WORKTREE, SWARM_BASE: env.SWARM_BASE, SWARM_RUN_ID: env.SWARM_RUN_ID, SWARM_TASK_FILE: env.SWARM_TASK_FILE } }) + '\n');
const sleep = (ms) => { if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); };
if (env.SWARM_SESSION_ID !== undefined || env.TEST_RESUME) console.log('SWARM_SESSION: ' + session);

if (role === 'reviewer') {
  sleep(spec.reviewSleepMs || 0);
  if (calls === 1) sleep(spec.reviewSleepFirstMs || 0);
  const list = spec.review || ['APPROVED'];
  const v = list[Math.min(round, list.length) - 1];
  if (v.includes('\n')) { process.stdout.write(v); process.exit(0); }
  console.log((spec.reviewNote || 'Review of round ' + round + ' for ' + task + '.') + (v === 'APPROVED' ? '' : '\nFEEDBACK-' + task + '-R' + round + ': please change it.'));
  console.log('VERDICT: ' + v);
  process.exit(0);
}

if (role === 'planner') {
  console.log('__DONE__');
  process.exit(0);
}

for (const [p, c] of Object.entries(spec.preFiles || {})) { fs.mkdirSync(path.dirname(p), { recursive: true }); fs.writeFileSync(p, String(c)); }
sleep(spec.sleepMs || 0);
if (calls === 1) sleep(spec.sleepFirstMs || 0);
if (spec.waitFile && calls === 1) while (!fs.existsSync(spec.waitFile)) sleep(50);
if (spec.waitForMerge && calls === 1) {
  for (const end = Date.now() + 30000; Date.now() < end; sleep(50)) {
    const r = cp.spawnSync('git', ['log', '--format=%s', env.SWARM_BASE], { encoding: 'utf8' });
    if ((r.stdout || '').includes('Merge task ' + spec.waitForMerge + ':')) break;
  }
}
if (spec.abortMerge) cp.spawnSync('git', ['merge', '--abort']); // refuses the integration round's merge
if (spec.mergeBase) {
  // An integration round may have left the base's merge in progress (conflict markers): keep this
  // side of every conflict and finish it; else bring the base in the same way.
  const inProgress = cp.spawnSync('git', ['rev-parse', '-q', '--verify', 'MERGE_HEAD'], { encoding: 'utf8' }).status === 0;
  if (inProgress) {
    const files = cp.spawnSync('git', ['diff', '--name-only', '--diff-filter=U'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    for (const f of files) cp.spawnSync('git', ['checkout', '--ours', '--', f]);
    cp.spawnSync('git', ['add', '-A']);
    const r = cp.spawnSync('git', ['commit', '-q', '--no-edit'], { encoding: 'utf8' });
    console.log('resolved ' + files.join(',') + ' keeping ours: exit ' + r.status);
  } else {
    const r = cp.spawnSync('git', ['merge', '--no-edit', '-X', 'ours', env.SWARM_BASE], { encoding: 'utf8' });
    console.log('merged ' + env.SWARM_BASE + ': exit ' + r.status);
  }
}
if (spec.sleeper && logDir && calls === 1) {
  const child = cp.spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  fs.writeFileSync(path.join(logDir, 'sleeper-' + task + '.pid'), String(child.pid));
  sleep(spec.sleeperWaitMs || 60000);
}
if (spec.gitConfig) cp.execFileSync('git', ['config', spec.gitConfig[0], spec.gitConfig[1]]);
if (spec.exitFirst && calls === 1) { console.error('SWARM_RETRY_AFTER: ' + (spec.retryAfter || 1)); process.exit(spec.exitFirst); }
const answered = /answered by the user/.test(prompt);
if (spec.blocked && !answered) { console.log('I need to know something.\nBLOCKED: ' + spec.blocked); process.exit(0); }
if (spec.blockedFile && !answered) { fs.writeFileSync('BLOCKED.md', spec.blockedFile + '\n'); console.log('see BLOCKED.md'); process.exit(0); }
for (const [p, c] of Object.entries(spec.files || {})) {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, String(c).replace(/\{\{round\}\}/g, String(round)));
}
if (spec.commit) {
  cp.execFileSync('git', ['add', '-A']);
  cp.execFileSync('git', ['commit', '-q', '--allow-empty', '-m', 'agent: ' + task + ' round ' + round]);
}
console.log(spec.reply !== undefined ? spec.reply : 'working on ' + task + '\nCOMPLETE_AND_READY_FOR_MERGE');
process.exit(spec.exit || 0);
`;

// --- repositories --------------------------------------------------------------------------

export interface AgentSpec {
  files?: Record<string, string>;
  rounds?: Record<string, Omit<AgentSpec, 'rounds' | 'review'>>;
  commit?: boolean;
  reply?: string;
  sleepMs?: number;
  sleepFirstMs?: number;
  waitFile?: string;
  mergeBase?: boolean;
  abortMerge?: boolean;
  waitForMerge?: string;
  exit?: number;
  exitFirst?: number;
  retryAfter?: number;
  blocked?: string;
  blockedFile?: string;
  gitConfig?: [string, string];
  sleeper?: boolean;
  preFiles?: Record<string, string>;
  sleeperWaitMs?: number;
  review?: string[];
  reviewNote?: string;
  reviewSleepMs?: number;
  reviewSleepFirstMs?: number;
}

export interface TaskInput {
  title?: string;
  priority?: number;
  depends_on?: string[];
  agent?: AgentSpec;
  body?: string;
  extra?: Record<string, unknown>;
}

/** Every TestRepo not yet cleaned up: removed when the test process ends (after every `after` hook). */
const made = new Set<TestRepo>();
process.on('exit', () => {
  for (const r of made) r.cleanup();
});

/** A new test repository (see TestRepo); removed when the test file's process ends. */
export function newRepo(prefix?: string): TestRepo {
  return new TestRepo(prefix);
}

export class TestRepo {
  /** Folder holding the repo and everything else of this test (agent logs, scripts). */
  readonly home: string;
  readonly root: string;
  readonly logDir: string;
  readonly agentScript: string;

  constructor(prefix = 'swarm-repo-') {
    this.home = mkdtempSync(join(tmpdir(), prefix));
    this.root = join(this.home, 'repo');
    this.logDir = join(this.home, 'agent-log');
    mkdirSync(this.root);
    mkdirSync(this.logDir);
    made.add(this);
    this.agentScript = join(this.home, 'agent.cjs');
    writeFileSync(this.agentScript, SCRIPTED_AGENT);
    git(this.root, 'init', '-q', '-b', 'main');
    writeFileSync(join(this.root, 'README.md'), '# test repo\n');
    writeFileSync(join(this.root, 'shared.txt'), 'line 1\nline 2\nline 3\n');
    userCommit(this.root, 'initial commit');
  }

  path(...p: string[]): string {
    return join(this.root, ...p);
  }

  git(...args: string[]): string {
    return git(this.root, ...args);
  }

  write(rel: string, text: string): string {
    const f = this.path(rel);
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, text);
    return f;
  }

  read(rel: string): string {
    return readFileSync(this.path(rel), 'utf8');
  }

  /** A branch `side` and main both changing line 2 of shared.txt (so rebases, merges and picks stop); main checked out. */
  diverge(): void {
    this.git('checkout', '-q', '-b', 'side');
    this.write('shared.txt', 'line 1\nline 2 side\nline 3\n');
    userCommit(this.root, 'side change', 'shared.txt');
    this.git('checkout', '-q', 'main');
    this.write('shared.txt', 'line 1\nline 2 main\nline 3\n');
    userCommit(this.root, 'main change', 'shared.txt');
  }

  /**
   * swarm.json with the scripted agent as harness "scripted" for workers and the reviewer, small
   * poll intervals and short back-offs. `over` is merged on top (shallowly per section).
   */
  config(over: Record<string, unknown> = {}): Record<string, unknown> {
    const base: Record<string, unknown> = {
      base: 'main',
      workers: [{ role: 'worker', harness: 'scripted', count: 1, iterations: 50 }],
      review: { mode: 'agent', harness: 'scripted', max_rounds: 3 },
      harnesses: { scripted: { command: [process.execPath, this.agentScript], env: { TEST_AGENT_LOG: this.logDir }, timeout_s: 60 } },
      limits: { poll_ms: 50, rate_limit_pause_s: 1, backoff_pause_s: 1 },
      // Agents run sandboxed where bubblewrap is installed (the default, "auto"); the scripted
      // agent's call log is outside its worktree, so it is allowed explicitly.
      sandbox: { allow_write: [this.logDir] },
    };
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
      const b = base[k];
      out[k] = b && v && typeof b === 'object' && typeof v === 'object' && !Array.isArray(b) && !Array.isArray(v) ? { ...(b as object), ...(v as object) } : v;
    }
    return out;
  }

  writeConfig(over: Record<string, unknown> = {}): Record<string, unknown> {
    const cfg = this.config(over);
    this.write('swarm.json', `${JSON.stringify(cfg, null, 2)}\n`);
    return cfg;
  }

  /** tasks/pending/<id>.md with YAML frontmatter and the agent block. */
  writeTask(id: string, t: TaskInput = {}): string {
    const meta: Record<string, unknown> = { title: t.title ?? `Task ${id}` };
    if (t.priority !== undefined) meta.priority = t.priority;
    if (t.depends_on) meta.depends_on = t.depends_on;
    Object.assign(meta, t.extra);
    const body = `${t.body ?? `Do task ${id}.`}\n\n\`\`\`agent\n${JSON.stringify(t.agent ?? { files: { [`${id}.txt`]: `${id}\n` } })}\n\`\`\`\n`;
    return this.write(`tasks/pending/${id}.md`, matter.stringify(body, meta));
  }

  /** Parsed task file (frontmatter + body) from a folder, or undefined. */
  task(folder: 'pending' | 'current' | 'complete', id: string): { data: Record<string, unknown>; content: string } | undefined {
    const f = this.path('tasks', folder, `${id}.md`);
    if (!existsSync(f)) return undefined;
    const r = matter(readFileSync(f, 'utf8'));
    return { data: r.data as Record<string, unknown>, content: r.content };
  }

  taskIds(folder: 'pending' | 'current' | 'complete' | 'quarantine'): string[] {
    const d = this.path('tasks', folder);
    return existsSync(d)
      ? readdirSync(d)
          .filter((n) => n.endsWith('.md'))
          .map((n) => n.slice(0, -3))
          .sort()
      : [];
  }

  /** Runtime state of a task (.swarm/tasks/<id>/state.json). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  state(id: string): Record<string, any> | undefined {
    const f = this.path('.swarm', 'tasks', id, 'state.json');
    return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : undefined;
  }

  /** Files in a commit's tree. */
  lsTree(ref = 'main'): string[] {
    return this.git('ls-tree', '-r', '--name-only', ref).split('\n').filter(Boolean).sort();
  }

  show(ref: string, file: string): string | undefined {
    const r = tryGit(this.root, 'show', `${ref}:${file}`);
    return r.status === 0 ? r.stdout : undefined;
  }

  rev(ref: string): string | undefined {
    const r = tryGit(this.root, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`);
    return r.status === 0 ? r.stdout.trim() : undefined;
  }

  refs(prefix: string): string[] {
    return this.git('for-each-ref', '--format=%(refname)', prefix).split('\n').filter(Boolean);
  }

  /** Every journal line of every run (oldest run first). */
  journal(): JournalEntry[] {
    const dir = this.path('.swarm', 'runs');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .sort()
      .map((run) => join(dir, run, 'events.jsonl'))
      .filter((f) => existsSync(f))
      .flatMap((f) => parseJournal(readFileSync(f, 'utf8')));
  }

  /** Every call the scripted agent logged. */
  calls(): AgentCall[] {
    return readJsonl<AgentCall>(join(this.logDir, 'calls.jsonl'));
  }

  /** Writes an extra agent script (node) beside the repo; returns its path. */
  script(name: string, code: string): string {
    const f = join(this.home, name);
    writeFileSync(f, code);
    return f;
  }

  /** Remove everything of this test (done by itself when the process ends). */
  cleanup(): void {
    made.delete(this);
    // Worktrees may hold read-only files; rm -rf copes with everything else.
    try {
      rmSync(this.home, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      /* best effort, as the exit hook must not throw */
    }
  }
}

export interface AgentCall {
  role: string;
  task: string;
  round: number;
  worker: string;
  sessionIn: string | null;
  session: string;
  cwd: string;
  pid: number;
  call: number;
  prompt: string;
  promptFileSame: boolean;
  env: Record<string, string | undefined>;
}

// --- running a swarm -------------------------------------------------------------------------

export interface RunResult {
  ws: Workspace;
  run: SwarmRun;
  summary: RunSummary;
  events: SwarmEvent[];
}

/**
 * Open the workspace, start a run and wait for its end (default: do not wait for humans, so a run
 * that leaves reviews for the user ends). On timeout the run is stopped and the test fails.
 */
export async function runSwarm(
  root: string,
  o: { timeoutMs?: number; run?: StartRunOptions; open?: Partial<OpenWorkspaceOptions>; onEvent?: (e: SwarmEvent, ws: Workspace, run: SwarmRun) => void } = {},
): Promise<RunResult> {
  const ws = await openWorkspace({ repo: root, ...o.open });
  const events: SwarmEvent[] = [];
  const holder: { run?: SwarmRun } = {};
  ws.onEvent((e) => {
    events.push(e);
    if (holder.run) o.onEvent?.(e, ws, holder.run);
  });
  const run = ws.startRun({ waitForHumans: false, ...o.run });
  holder.run = run;
  const summary = await withTimeout(run.done, o.timeoutMs ?? 30_000, async () => {
    await run.stop('test timeout');
  });
  return { ws, run, summary, events };
}

export async function withTimeout<T>(p: Promise<T>, ms: number, onTimeout?: () => Promise<void>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void (onTimeout?.() ?? Promise.resolve()).finally(() => reject(new Error(`timed out after ${ms} ms`)));
    }, ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** Poll until `fn` returns a truthy value (or throw after `ms`). */
export async function waitFor<T>(fn: () => T | Promise<T>, ms = 15_000, what = 'condition'): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A list for the pids of processes a test file starts (agents, sleepers, CLIs): what is still
 * there is SIGKILLed after the file's last test. Call it once, at the top level of the test file.
 */
export function killedAfterAll(): number[] {
  const pids: number[] = [];
  after(() => {
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
  return pids;
}

/** The records of a JSON-lines file a test's script appends to (none while it does not exist). */
export function readJsonl<T>(file: string): T[] {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as T)
    : [];
}

/** Is a process alive (and not a zombie)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Make sure dist/cli.js exists (npm test builds it first; a lone test file builds it here). */
export function ensureCli(): string {
  if (!existsSync(CLI)) {
    const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('node esbuild.mjs failed');
  }
  return CLI;
}

/** Start the CLI in the background (its own pid; agents get their own process groups). */
export function spawnCli(
  args: string[],
  o: { env?: NodeJS.ProcessEnv } = {},
): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [ensureCli(), ...args], { cwd: PROJECT_ROOT, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((res) =>
    child.on('close', (code, signal) => res({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/**
 * Start a test extension host (a script under test/helpers/, run with tsx, given `root`) and wait
 * for the first JSON line it prints: what it reports (pids, run id). It throws when the host exits first.
 */
export async function spawnHostReport<T>(script: string, root: string, what: string): Promise<{ host: ChildProcess; report: T }> {
  const host = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'test', 'helpers', script), root], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
  });
  let out = '';
  let err = '';
  host.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  host.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const line = await waitFor(
    () => {
      if (host.exitCode !== null) throw new Error(`host exited: ${err}`);
      return out.split('\n').find((l) => l.startsWith('{'));
    },
    90_000,
    what,
  );
  return { host, report: JSON.parse(line) as T };
}

/** Run the CLI to completion. */
export function cli(
  args: string[],
  o: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [ensureCli(), ...args], {
    cwd: o.cwd ?? PROJECT_ROOT,
    encoding: 'utf8',
    timeout: o.timeoutMs ?? 60_000,
    env: { ...process.env, ...o.env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Snapshot of a folder's files (path → bytes as base64), ignoring .git and .swarm. */
export function snapshotFiles(dir: string, skip: string[] = ['.git', '.swarm', 'tasks']): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (!rel && skip.includes(e.name)) continue;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else out[r] = readFileSync(join(d, e.name)).toString('base64');
    }
  };
  walk(dir, '');
  return out;
}

export function countBy<T>(xs: T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}
