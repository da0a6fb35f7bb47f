// Helpers shared by the scenarios: a fresh sample repository per scenario, git and task-folder
// checks (what really happened on disk, beside what the workbench shows), polling.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSample } from '../scripts/make-sample.mjs';
import { e2eInstalled } from './launcher';

export interface SampleOptions {
  review?: 'agent' | 'human' | 'agent+human';
  workers?: number;
  tasks?: number;
  config?: boolean;
  extra?: string[];
}

/** Why the e2e tests are skipped on this machine, or false when they can run. */
export function skipReason(): string | false {
  if (process.env.SWARM_E2E === '0') return 'SWARM_E2E=0';
  return e2eInstalled() ? false : 'e2e packages not installed (run e2e/install.sh)';
}

const made: string[] = [];
/** A freshly generated sample repository in a temp dir (removed by removeSamples()). */
export function freshSample(scenario: string, opts: SampleOptions = {}): { dir: string; tasks: string[] } {
  const parent = mkdtempSync(join(tmpdir(), `swarm-e2e-sample-${scenario}-`));
  made.push(parent);
  const r = makeSample(join(parent, 'repo'), opts) as { dir: string; tasks: string[] };
  return r;
}
export function removeSamples(): void {
  if (process.env.SWARM_E2E_KEEP) return;
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function git(repo: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Task ids in tasks/<folder> (file stems of *.md). */
export function tasksIn(repo: string, folder: string): string[] {
  const d = join(repo, 'tasks', folder);
  return existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3)).sort() : [];
}

export function readTask(repo: string, folder: string, id: string): string {
  return readFileSync(join(repo, 'tasks', folder, `${id}.md`), 'utf8');
}

/** Poll `fn` until it returns a truthy value; throw with `what` after `timeoutMs`. */
export async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
