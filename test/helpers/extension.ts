// One preamble for the extension's unit tests (test/unit/extension-*.test.ts) against the fake
// vscode (fake-vscode.ts) and a fake engine (fake-swarm-workspace.ts): a repository folder, a
// review host that records what it was asked to open, activation with short timings, waiting for
// the sessions and the notifier to settle, running a command, and the manifest's menus evaluated
// for a tree item. Importing it registers, for every test of the file: a fresh fake vscode and
// review host before, deactivation and the removal of the folders after.

import { beforeEach, afterEach } from 'node:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fake, createFakeExtensionContext, type RenderedItem } from './fake-vscode';
import { activate, deactivate, type SwarmExtension } from '../../src/extension/extension';
import type { FakeEngine } from './fake-swarm-workspace';
import type { ReviewHost } from '../../src/extension/reviewHost';
import type { TaskRef } from '../../src/extension/treeNode';

let dirs: string[] = [];

/** An empty folder (no repository), removed after the test. */
export function folder(name = 'folder'): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'swarm-ext-')), name);
  mkdirSync(dir);
  dirs.push(dir);
  return dir;
}

/** A folder that looks like a repository to the extension (a `.git` folder), removed after the test. */
export function repo(name = 'repo'): string {
  const dir = folder(name);
  mkdirSync(join(dir, '.git'));
  return dir;
}

/** What the review host was asked to open, in order (emptied before each test). */
export const reviews: TaskRef[] = [];
/** The task ids whose review the host says is on screen (emptied before each test). */
export const showing = new Set<string>();
export const reviewHost: ReviewHost = {
  openReview: async (_s, ref) => void reviews.push(ref),
  isShowing: (_root, taskId) => showing.has(taskId),
  dispose: () => undefined,
};

/** Activate the extension on `folders` (default: one new repo()) with `engine`, and wait until it settled. */
export async function start(engine: FakeEngine, folders: string[] = [repo()], o: { agentPath?: string } = {}): Promise<SwarmExtension> {
  fake.setFolders(folders);
  const ext = activate(createFakeExtensionContext() as never, {
    engine,
    agentPath: async () => o.agentPath ?? '/usr/bin',
    reviewHost,
    refreshDelayMs: 5,
    refreshMaxWaitMs: 20,
    startTimeoutMs: 200,
  });
  await ext.openSessions();
  await settle(ext);
  return ext;
}

/** Wait until every session and the notifier are done with what they were doing. */
export async function settle(ext: SwarmExtension): Promise<void> {
  for (const s of ext.registry.sessions) await s.settled();
  await ext.notifier.settled();
}

/** Run a registered command as VS Code would. */
export const run = (id: string, ...args: unknown[]): unknown => fake.commands.get(id)!(...args);

/** The first item labelled `label` anywhere in a rendered tree. */
export function find(items: RenderedItem[], label: string): RenderedItem | undefined {
  for (const i of items) {
    if (i.label === label) return i;
    const inner = i.children && find(i.children, label);
    if (inner) return inner;
  }
  return undefined;
}

/** The extension's manifest (package.json). */
export const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));

/** Commands the manifest shows for an item of `view` (inline or context menu): evaluates its `when` clauses. */
export function menuCommands(view: string, contextValue: string, inline?: boolean): string[] {
  const out: string[] = [];
  for (const m of pkg.contributes.menus['view/item/context'] as { command: string; when: string; group: string }[]) {
    if (inline !== undefined && m.group.startsWith('inline') !== inline) continue;
    const ok = m.when
      .split('&&')
      .map((c) => c.trim())
      .every((clause) => {
        let r: RegExpExecArray | null;
        if ((r = /^view == (\S+)$/.exec(clause))) return r[1] === view;
        if ((r = /^viewItem == (\S+)$/.exec(clause))) return r[1] === contextValue;
        if ((r = /^viewItem =~ \/(.+)\/$/.exec(clause))) return new RegExp(r[1]).test(contextValue);
        throw new Error(`clause the test cannot evaluate: ${clause}`);
      });
    if (ok && !out.includes(m.command)) out.push(m.command);
  }
  return out;
}

beforeEach(() => {
  fake.reset();
  reviews.length = 0;
  showing.clear();
});
afterEach(async () => {
  await deactivate();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** The review toasts still open (notifications.ts: notifications with progress, which the extension closes), by their text. */
export const reviewToasts = (): string[] => fake.progress.filter((p) => !p.done && /review/.test(p.title ?? '')).map((p) => p.title ?? '');

/** A toast's text without its links ("… opens it. [Open review](command:…)" → "… opens it."). */
export const withoutLinks = (text: string): string => text.replace(/\s*\[[^\]]*\]\(command:[^)]*\)/g, '');

/** Click the link `label` in a toast's text (`[label](command:id?args)`), as VS Code runs it. */
export async function clickLink(text: string, label: string): Promise<unknown> {
  const m = new RegExp(`\\[${label}\\]\\(command:([^?)]+)(?:\\?([^)]*))?\\)`).exec(text);
  if (!m) throw new Error(`no link "${label}" in: ${text}`);
  const args = (m[2] ? JSON.parse(decodeURIComponent(m[2])) : []) as unknown[];
  return fake.commands.get(m[1])!(...args);
}
