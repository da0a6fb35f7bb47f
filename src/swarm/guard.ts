// Hazard 11: a worktree shares .git with the user's repository, so an agent that sets
// core.hooksPath / core.fsmonitor / core.sshCommand or writes .git/hooks/* could run code in the
// user's git. The swarm snapshots these before each turn and compares after; changes stop the worker.

import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, isAbsolute } from 'node:path';
import { execCollect } from './proc';

export interface GuardSnapshot {
  /** Local (repo and per-worktree) config entries: "key=value". */
  config: string[];
  /** Hook file name → sha256 of its content. */
  hooks: Record<string, string>;
}

async function git(root: string, args: string[]): Promise<string> {
  const r = await execCollect(['git', ...args], { cwd: root, timeoutMs: 30_000 });
  return r.exitCode === 0 ? r.stdout : '';
}

export async function snapshotGitGuard(root: string): Promise<GuardSnapshot> {
  const common = (await git(root, ['rev-parse', '--git-common-dir'])).trim();
  const gitDir = isAbsolute(common) ? common : join(root, common);
  const config = (await git(root, ['config', '--file', join(gitDir, 'config'), '--list'])).split('\n').filter(Boolean);
  const hooks: Record<string, string> = {};
  const hooksDir = join(gitDir, 'hooks');
  for (const name of await fs.readdir(hooksDir).catch(() => [] as string[])) {
    const data = await fs.readFile(join(hooksDir, name)).catch(() => undefined);
    if (data) hooks[name] = createHash('sha256').update(data).digest('hex');
  }
  return { config: config.sort(), hooks };
}

export function diffGitGuard(before: GuardSnapshot, after: GuardSnapshot): string[] {
  const out: string[] = [];
  const b = new Set(before.config);
  const a = new Set(after.config);
  for (const e of after.config) if (!b.has(e)) out.push(`git config added: ${e}`);
  for (const e of before.config) if (!a.has(e)) out.push(`git config removed: ${e}`);
  for (const [name, h] of Object.entries(after.hooks)) {
    if (!(name in before.hooks)) out.push(`hook added: .git/hooks/${name}`);
    else if (before.hooks[name] !== h) out.push(`hook changed: .git/hooks/${name}`);
  }
  for (const name of Object.keys(before.hooks)) if (!(name in after.hooks)) out.push(`hook removed: .git/hooks/${name}`);
  return out;
}
