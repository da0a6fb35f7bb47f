// The status table and its transitions (src/swarm/status.ts): every (status, transition) pair the
// table does not allow throws, TaskFlow writes nothing on an illegal one, every transition is used
// by the engine, every status is reachable and (but complete) can be left, no status literal leaks
// into other files, and docs/architecture.md shows the table as it is.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { STATUS, STATUSES, TRANSITIONS, IllegalTransition, transition, stepOf, type TransitionName } from '../../src/swarm/status';
import { TaskFlow } from '../../src/swarm/flow';
import { StateStore } from '../../src/swarm/state';
import { TaskStore } from '../../src/swarm/tasks';
import type { TaskStatus, SwarmEvent } from '../../src/swarm/types';

const ROOT = join(__dirname, '..', '..');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const NAMES = Object.keys(TRANSITIONS) as TransitionName[];

test('transition(): exactly the pairs in the table are allowed; every other one throws IllegalTransition naming the task', () => {
  for (const name of NAMES) {
    const t = TRANSITIONS[name];
    for (const from of STATUSES) {
      if ((t.from as readonly TaskStatus[]).includes(from)) assert.equal(transition(from, name, 'x'), t.to, `${name} from ${from}`);
      else
        assert.throws(
          () => transition(from, name, 'task-7'),
          (e: unknown) => e instanceof IllegalTransition && /task task-7/.test(e.message) && e.message.includes(`${name} from ${from}`),
          `${name} from ${from} must throw`,
        );
    }
  }
  // A few a careless caller would try.
  assert.throws(() => transition('complete', 'work'), IllegalTransition);
  assert.throws(() => transition('pending', 'review'), IllegalTransition);
  assert.throws(() => transition('pending', 'merge'), IllegalTransition);
  assert.throws(() => transition('awaiting_human', 'review'), IllegalTransition);
  assert.throws(() => transition('running', 'nonsense' as TransitionName), IllegalTransition);
});

test('every status is reachable from pending, and every one but complete can be left', () => {
  const seen = new Set<TaskStatus>(['pending']);
  for (let grew = true; grew;) {
    grew = false;
    for (const t of Object.values(TRANSITIONS)) {
      if (!seen.has(t.to) && (t.from as readonly TaskStatus[]).some((f) => seen.has(f))) {
        seen.add(t.to);
        grew = true;
      }
    }
  }
  assert.deepEqual([...seen].sort(), [...STATUSES].sort());
  for (const s of STATUSES) {
    const exits = Object.values(TRANSITIONS).filter((t) => (t.from as readonly TaskStatus[]).includes(s) && t.to !== s);
    assert.equal(exits.length === 0, s === 'complete', `${s}: ${exits.length} exits`);
  }
});

test('the flags agree with each other: in flight has a step; decidable and resumable tasks are in current; needsYou tasks are not in flight', () => {
  for (const s of STATUSES) {
    const i = STATUS[s];
    if (i.inFlight) assert.ok(i.step, `${s} in flight has a step`);
    assert.ok(!(i.inFlight && (i.decidable || i.resumable || i.needsYou)), `${s}: in flight and waiting at once`);
    assert.ok(!(i.approvable && !i.decidable), `${s}: approvable but not decidable`);
    assert.ok(i.label(2) && i.heading && i.icon.id, `${s}: words and icon`);
  }
  assert.equal(stepOf('reviewing', undefined), 'review');
  assert.equal(stepOf('interrupted', 'merge'), 'merge');
  assert.equal(stepOf('interrupted', undefined), 'work');
  assert.equal(stepOf('awaiting_human', 'review'), undefined);
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('every transition in the table is used by the engine (a name nothing calls is a dead edge)', () => {
  const text = sources(join(ROOT, 'src', 'swarm'))
    .filter((f) => !f.endsWith('status.ts'))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  for (const name of NAMES) assert.match(text, new RegExp(`transition\\([^)]*'${name}'`), `transition '${name}' is never applied in src/swarm`);
});

test('status literals (as task statuses) live in types.ts and status.ts only', () => {
  // Names that mean nothing else in the code base: pending/complete are also folders, running/
  // reviewing/merging also worker states, queued and waiting_local_changes also decision results.
  const only = ['awaiting_human', 'needs_fix', 'interrupted'];
  const files = sources(join(ROOT, 'src')).filter((f) => only.some((s) => readFileSync(f, 'utf8').includes(`'${s}'`)));
  assert.deepEqual(files.map((f) => f.slice(ROOT.length + 1)).sort(), ['src/swarm/status.ts', 'src/swarm/types.ts']);
});

test('TaskFlow.transition writes nothing and emits nothing on an illegal transition; a legal one writes state, task file and event', async () => {
  const root = mkdtempSync(join(tmpdir(), 'swarm-status-'));
  dirs.push(root);
  const tasks = new TaskStore(root, 'tasks');
  await tasks.ensureDirs();
  mkdirSync(join(root, 'tasks', 'current'), { recursive: true });
  writeFileSync(join(root, 'tasks', 'current', 't1.md'), '---\ntitle: T\nstatus: merging\n---\nbody\n');
  const state = new StateStore(root);
  const events: SwarmEvent[] = [];
  const flow = new TaskFlow({
    root,
    config: {} as never,
    git: {} as never,
    tasks,
    state,
    worktrees: {} as never,
    merges: {} as never,
    base: 'main',
    runId: 'r',
    emit: (e) => events.push(e),
  });
  const st = { id: 't1', status: 'merging' as TaskStatus, rounds: [], attempts: 0, updatedAt: '' };
  await assert.rejects(flow.transition(st, 'answer'), IllegalTransition);
  assert.equal(st.status, 'merging');
  assert.equal(await state.readTask('t1'), undefined, 'no state written');
  assert.equal((await tasks.read('t1', 'current'))?.status, 'merging', 'task file untouched');
  assert.equal(events.length, 0);

  await flow.transition(st, 'mergeWaits', {}, 'in the way');
  assert.equal((await state.readTask('t1'))?.status, 'waiting_local_changes');
  assert.equal((await tasks.read('t1', 'current'))?.status, 'waiting_local_changes');
  assert.deepEqual(
    events.map((e) => e.type === 'task_status' && e.status),
    ['waiting_local_changes'],
  );
});

/** The table as docs/architecture.md shows it (regenerate: UPDATE_DOCS=1 node --import tsx --test test/unit/engine-status.test.ts). */
function statusTableMarkdown(): string {
  const flag = (b: boolean) => (b ? 'yes' : '');
  const rows = STATUSES.map((s) => {
    const i = STATUS[s];
    const into = NAMES.filter((n) => TRANSITIONS[n].to === s && !(TRANSITIONS[n].from as readonly TaskStatus[]).every((f) => f === s));
    const leaving = NAMES.filter((n) => (TRANSITIONS[n].from as readonly TaskStatus[]).includes(s));
    const out = leaving.filter((n) => TRANSITIONS[n].to !== s).map((n) => `${n} → ${TRANSITIONS[n].to}`);
    const again = leaving.filter((n) => TRANSITIONS[n].to === s);
    return `| \`${s}\` | ${i.label(1)} | ${flag(i.inFlight)} | ${flag(i.decidable)} | ${i.needsYou ?? ''} | ${flag(i.resumable)} | ${i.step ?? ''} | ${into.join(', ')} | ${out.join(', ')} | ${again.join(', ')} |`;
  });
  return [
    '<!-- status-table: generated from src/swarm/status.ts by test/unit/engine-status.test.ts -->',
    '| status | label | in flight | decidable | needs you | resumable | step | entered by | left by | again by |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '<!-- /status-table -->',
  ].join('\n');
}

test('docs/architecture.md draws the status table as src/swarm/status.ts declares it', () => {
  const file = join(ROOT, 'docs', 'architecture.md');
  const doc = readFileSync(file, 'utf8');
  const re = /<!-- status-table[^]*?<!-- \/status-table -->/;
  assert.match(doc, re, 'docs/architecture.md has a generated status table');
  const want = statusTableMarkdown();
  if (process.env.UPDATE_DOCS) writeFileSync(file, doc.replace(re, want));
  else assert.equal(doc.match(re)![0], want, 'the table in docs/architecture.md is stale: run with UPDATE_DOCS=1');
});
