// package.json against the extension's typed constants, 1:1: every command, view, context key
// and setting the code uses is contributed, and every one contributed is used. A rename on one
// side only fails here instead of in a user's click.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { EngineCommands, EngineCommandTitles } from '../../src/extension/constants';
import {
  CommandTitles,
  Commands,
  ContextKeys,
  OPEN_NEXT_REVIEW_KEY,
  SetupCommandTitles,
  SetupCommands,
  Settings,
  SETTINGS_SECTION,
  VIEW_CONTAINER_ID,
  Views,
} from '../../src/extension/constants';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const contributes = pkg.contributes;

interface MenuItem {
  command: string;
  when?: string;
  group?: string;
}
const allMenuItems: MenuItem[] = Object.values(contributes.menus as Record<string, MenuItem[]>).flat();
const allWhen: string[] = [...allMenuItems.map((m) => m.when ?? ''), ...contributes.viewsWelcome.map((w: { when?: string }) => w.when ?? '')];

test('contributed commands are exactly the Commands constants, with the same titles, category Swarm', () => {
  const contributed = new Map<string, { title: string; category: string }>(
    contributes.commands.map((c: { command: string; title: string; category: string }) => [c.command, c]),
  );
  assert.deepEqual([...contributed.keys()].sort(), [...Object.values(Commands), ...Object.values(SetupCommands), ...Object.values(EngineCommands)].sort());
  for (const [id, title] of Object.entries({ ...CommandTitles, ...SetupCommandTitles, ...EngineCommandTitles })) {
    assert.equal(contributed.get(id)?.title, title, `title of ${id}`);
    assert.equal(contributed.get(id)?.category, 'Swarm', `category of ${id}`);
  }
});

test('menus and welcome links only name contributed commands; tree-only commands are hidden from the palette', () => {
  const ids = new Set<string>([...Object.values(Commands), ...Object.values(SetupCommands), ...Object.values(EngineCommands)]);
  for (const m of allMenuItems) assert.ok(ids.has(m.command), `menu names unknown command ${m.command}`);
  for (const w of contributes.viewsWelcome as { contents: string }[]) {
    for (const [, cmd] of w.contents.matchAll(/\(command:([\w.]+)\)/g)) if (cmd.startsWith('swarm.')) assert.ok(ids.has(cmd), `welcome links unknown ${cmd}`);
  }
  const hidden = new Set(contributes.menus.commandPalette.filter((m: MenuItem) => m.when === 'false').map((m: MenuItem) => m.command));
  for (const id of [Commands.openTask, Commands.openChangedFile, Commands.cleanUpWorktree, Commands.openWorktreeInNewWindow])
    assert.ok(hidden.has(id), `${id} needs a tree item and is hidden from the palette`);
  for (const id of [
    Commands.startSwarm,
    Commands.newTask,
    Commands.approve,
    Commands.cleanUpWorktrees,
    Commands.initialize,
    Commands.openConfig,
    Commands.showRunLog,
  ])
    assert.ok(!hidden.has(id), `${id} is in the palette`);
});

test('keybindings: Open next review on the key the review toast names', () => {
  assert.deepEqual(contributes.keybindings, [{ command: Commands.openNextReview, key: OPEN_NEXT_REVIEW_KEY.key }]);
  assert.equal(OPEN_NEXT_REVIEW_KEY.label.toLowerCase(), OPEN_NEXT_REVIEW_KEY.key);
});

test('views and the activity bar container match the constants; the container icon is an SVG in media/', () => {
  const container = contributes.viewsContainers.activitybar.find((c: { id: string }) => c.id === VIEW_CONTAINER_ID);
  assert.equal(container.title, 'Swarm');
  assert.match(container.icon, /^media\/.+\.svg$/);
  assert.ok(existsSync(join(root, container.icon)));
  const views = contributes.views[VIEW_CONTAINER_ID].map((v: { id: string; name: string }) => [v.id, v.name]);
  assert.deepEqual(views, [
    [Views.tasks, 'Tasks'],
    [Views.worktrees, 'Worktrees'],
    [Views.workers, 'Workers'],
    [Views.mergeQueue, 'Merge queue'],
  ]);
  assert.ok(existsSync(join(root, pkg.icon)), 'marketplace icon exists');
  assert.match(pkg.icon, /\.png$/, 'vsce needs a PNG icon');
});

test('when clauses use only our context keys, our views and valid folder states', () => {
  const known = new Set<string>([...Object.values(ContextKeys), ...Object.values(Views)]);
  for (const when of allWhen) {
    for (const [token] of when.matchAll(/\bswarm\.[A-Za-z.]+/g)) assert.ok(known.has(token), `unknown key ${token} in "${when}"`);
    for (const [, state] of when.matchAll(/swarm\.folderState == (\w+)/g))
      assert.ok(['noFolder', 'untrusted', 'loading', 'noGit', 'noConfig', 'configError', 'ready'].includes(state), state);
    for (const [, re] of when.matchAll(/viewItem =~ \/(.+?)\/(?=\s|$)/g)) assert.doesNotThrow(() => new RegExp(re), re);
  }
  const welcomeStates = contributes.viewsWelcome.filter((w: { view: string }) => w.view === Views.tasks).map((w: { when: string }) => w.when);
  for (const state of ['noFolder', 'untrusted', 'noGit', 'noConfig', 'ready'])
    assert.ok(welcomeStates.includes(`swarm.folderState == ${state}`), `welcome for ${state}`);
});

test('settings: every Settings key is contributed under swarm., with the documented defaults', () => {
  const props = contributes.configuration.properties as Record<string, { default: unknown; enum?: string[]; scope?: string }>;
  for (const key of Object.values(Settings)) assert.ok(`${SETTINGS_SECTION}.${key}` in props, `swarm.${key} contributed`);
  assert.equal(props['swarm.notifications'].default, 'needsYou');
  assert.deepEqual(props['swarm.notifications'].enum, ['all', 'needsYou', 'none']);
  assert.deepEqual(props['swarm.review.mode'].enum, ['config', 'agent', 'human', 'agent+human']);
  assert.equal(props['swarm.maxConcurrentWorkers'].default, 0);
  // A repository's .vscode/settings.json must not point an agent CLI at a program of its own.
  for (const cli of ['claude', 'codex', 'opencode', 'gemini']) assert.equal(props[`swarm.cli.${cli}`].scope, 'machine');
});

test('activation: views (and a restored review panel) only, never "*"; trust and JSON wiring', () => {
  assert.deepEqual(pkg.activationEvents, [
    'onView:swarm.tasks',
    'onView:swarm.worktrees',
    'onView:swarm.workers',
    'onView:swarm.mergeQueue',
    'onWebviewPanel:swarm.review',
  ]);
  assert.equal(pkg.main, './dist/extension.js');
  assert.ok(['limited', false].includes(pkg.capabilities.untrustedWorkspaces.supported));
  assert.deepEqual(contributes.jsonValidation, [{ fileMatch: ['swarm.json'], url: './schemas/swarm.schema.json' }]);
  assert.deepEqual(contributes.languages, [{ id: 'jsonc', filenames: ['swarm.json'] }]);
});

test('schemas/swarm.schema.json is generated from the current zod schema', () => {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'gen-schema.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const schema = JSON.parse(readFileSync(join(root, 'schemas', 'swarm.schema.json'), 'utf8'));
  assert.ok(schema.properties.workers && schema.properties.review, 'schema describes workers and review');
});
