// Notifications of the review seat (issue 15 items 4, 8, 13): reviews grouped into one toast with
// "Open next", nothing for the task on screen, a summary when the run ends, a failed task's own
// notification, a quarantined file with its whole reason and the way back to pending.
import { commands, fake, reply, tabsChanged } from '../helpers/fake-vscode';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Commands } from '../../src/extension/constants';
import { FakeEngine, makeState, makeTask } from '../helpers/fake-swarm-workspace';
import { clickLink, reviews, reviewToasts, settle, showing, start, withoutLinks } from '../helpers/extension';

const messages = () => fake.messages.map((m) => m.text);
const buttons = (i: number) => fake.messages[i].items.map((b) => (typeof b === 'string' ? b : (b as { title: string }).title));

function seedReviews(engine: FakeEngine, n: number) {
  engine.setup = (ws) => {
    for (let i = 1; i <= n; i++) {
      ws.tasks.current.push(makeTask(`r${i}`, 'current', 'awaiting_human', { title: `Review ${i}` }));
      ws.states.set(`r${i}`, makeState(`r${i}`, 'awaiting_human', { headSha: String(i).repeat(40) }));
      ws.needs.push({ kind: 'review', taskId: `r${i}`, title: `Review ${i}`, sha: String(i).repeat(40), since: `2026-01-0${i}T00:00:00Z` });
    }
  };
}

test('three reviews arriving: one toast ("3 reviews waiting — Open next"), not three; Open next opens the one waiting longest', async () => {
  const engine = new FakeEngine();
  seedReviews(engine, 3);
  const ext = await start(engine);
  const ws = engine.last;
  // The first toast stays open (the user has not answered it) while two more reviews arrive.
  ws.emit({ type: 'human_review_requested', taskId: 'r1', sha: '1'.repeat(40), agentVerdict: 'APPROVED' });
  ws.emit({ type: 'human_review_requested', taskId: 'r2', sha: '2'.repeat(40), agentVerdict: 'APPROVED' });
  ws.emit({ type: 'human_review_requested', taskId: 'r3', sha: '3'.repeat(40), agentVerdict: null });
  assert.deepEqual(reviewToasts().map(withoutLinks), ['Swarm: 3 reviews waiting — next: "Review 1" (r1). Ctrl+Alt+R opens it.']);
  assert.deepEqual(messages(), []);
  // The user opened r1 elsewhere meanwhile: "Open next" takes the next one not on screen.
  showing.add('r1');
  await clickLink(reviewToasts()[0], 'Open next');
  await settle(ext);
  assert.deepEqual(
    reviews.map((r) => r.taskId),
    ['r2'],
  );
  assert.equal(fake.progress.length, 1, 'still one toast');
});

test('the review toast closes once a review it offers is on screen, whatever opened it; Cancel dismisses it', async () => {
  const engine = new FakeEngine();
  seedReviews(engine, 2);
  await start(engine);
  const ws = engine.last;
  ws.emit({ type: 'human_review_requested', taskId: 'r1', sha: '1'.repeat(40), agentVerdict: 'APPROVED' });
  assert.equal(reviewToasts().length, 1);
  // Tabs change, no review on screen: it stays.
  tabsChanged.fire(undefined);
  await new Promise((r) => setImmediate(r));
  assert.equal(reviewToasts().length, 1, 'open while its review is not on screen');
  // The key (Open next review) opens it; its panel shows as a tab.
  await commands.executeCommand(Commands.openNextReview);
  assert.deepEqual(
    reviews.map((r) => r.taskId),
    ['r1'],
  );
  showing.add('r1');
  tabsChanged.fire(undefined);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(reviewToasts(), [], 'closed once its review is on screen');

  // The next request shows a new toast (r2, r1 is on screen); Cancel dismisses it, and a later request shows again.
  ws.emit({ type: 'human_review_requested', taskId: 'r2', sha: '2'.repeat(40), agentVerdict: null });
  assert.equal(reviewToasts().length, 1);
  assert.match(reviewToasts()[0], /"Review 2" \(r2\)/);
  fake.progress.at(-1)!.cancel();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(reviewToasts(), []);
  ws.emit({ type: 'human_review_requested', taskId: 'r2', sha: '2'.repeat(40), agentVerdict: null });
  assert.equal(reviewToasts().length, 1);
});

test('Open next review (the key the toast names): the review waiting longest that is not on screen; none waiting says so', async () => {
  const engine = new FakeEngine();
  seedReviews(engine, 2);
  const ext = await start(engine);
  await commands.executeCommand(Commands.openNextReview);
  assert.deepEqual(
    reviews.map((r) => r.taskId),
    ['r1'],
  );
  showing.add('r1');
  await commands.executeCommand(Commands.openNextReview);
  assert.deepEqual(
    reviews.map((r) => r.taskId),
    ['r1', 'r2'],
    'r1 is on screen: the next one',
  );
  engine.last.needs.length = 0;
  await ext.registry.sessions[0].refreshNow();
  await commands.executeCommand(Commands.openNextReview);
  assert.equal(reviews.length, 2);
  assert.match(messages().at(-1) ?? '', /no review is waiting for you/);
});

test('Open next review right after the toast shows: the review it offers, though the snapshot does not list it yet', async () => {
  const engine = new FakeEngine();
  engine.setup = (ws) => {
    ws.tasks.current.push(makeTask('fresh', 'current', 'awaiting_human', { title: 'Fresh' }));
  };
  const ext = await start(engine);
  // The toast stays open (unanswered) while the user presses the key.
  engine.last.emit({ type: 'human_review_requested', taskId: 'fresh', sha: 'f'.repeat(40), agentVerdict: 'APPROVED' });
  assert.match(reviewToasts().at(-1) ?? '', /"Fresh" \(fresh\) is waiting for your review .*Ctrl\+Alt\+R opens it\./);
  assert.deepEqual(ext.registry.sessions[0].snapshot.needsYou, [], 'not in the snapshot yet');
  await commands.executeCommand(Commands.openNextReview);
  assert.deepEqual(
    reviews.map((r) => r.taskId),
    ['fresh'],
  );
});

test('no notification for the task whose review is on screen (review, question, failure)', async () => {
  const engine = new FakeEngine();
  seedReviews(engine, 1);
  const ext = await start(engine);
  const ws = engine.last;
  showing.add('r1');
  ws.emit({ type: 'human_review_requested', taskId: 'r1', sha: '1'.repeat(40), agentVerdict: 'APPROVED' });
  ws.emit({ type: 'task_blocked', taskId: 'r1', question: 'Which port?' });
  ws.emit({ type: 'task_blocked', taskId: 'r1', question: 'The agent failed 3 times.', failed: true });
  await settle(ext);
  assert.deepEqual(messages(), []);
});

test('a failed task: its own words and Retry / Open review / Move back to pending, no Answer; each retried attempt is silent at the default level', async () => {
  const engine = new FakeEngine();
  engine.setup = (ws) => {
    ws.tasks.current.push(makeTask('broke', 'current', 'blocked', { title: 'Broke' }));
    ws.states.set('broke', makeState('broke', 'blocked', { attempts: 3 }));
  };
  const ext = await start(engine);
  const ws = engine.last;
  ws.emit({ type: 'task_failed', taskId: 'broke', reason: 'exit 1' });
  fake.replies.push(reply.button('Retry'));
  ws.emit({ type: 'task_blocked', taskId: 'broke', question: 'The agent failed 3 times (last: exit 1). Fix the cause, then Retry.', failed: true });
  await settle(ext);
  assert.deepEqual(messages(), ['Swarm: "Broke" (broke) failed and waits for you: The agent failed 3 times (last: exit 1). Fix the cause, then Retry.']);
  assert.equal(fake.messages[0].severity, 'error');
  assert.deepEqual(buttons(0), ['Retry', 'Open review', 'Move back to pending']);
  assert.doesNotMatch(messages()[0], /asks/);
  assert.deepEqual(
    ws.calls.find((c) => c[0] === 'retry'),
    ['retry', 'broke'],
  );
});

test('the run ends: a summary with what is left, and Open next review', async () => {
  const engine = new FakeEngine();
  seedReviews(engine, 2);
  const ext = await start(engine);
  fake.replies.push(reply.button('Open next review'));
  engine.last.emit({
    type: 'run_finished',
    summary: {
      runId: 'r',
      startedAt: '',
      workers: [],
      merged: ['a', 'b', 'c'],
      waitingForHuman: ['r1', 'r2'],
      blocked: [],
      failed: ['x'],
      reason: 'no work left',
    },
  });
  await settle(ext);
  assert.deepEqual(messages(), ['Swarm: the run in repo ended (no work left): 3 merged, 2 reviews waiting for you, 1 failed.']);
  assert.equal(reviews.at(-1)?.taskId, 'r1');
});

test('a quarantined task file: the whole reason, Open file, and Move back to pending once fixed', async () => {
  const engine = new FakeEngine();
  const ext = await start(engine);
  const ws = engine.last;
  const root = ext.registry.sessions[0].root;
  const reason =
    'bad.md: frontmatter: not valid YAML: unexpected end of the stream within a flow collection (2:1)\n\n 1 | title: [unclosed\n 2 | priority: high';
  ws.tasks.quarantined.push({ file: `${root}/tasks/quarantine/bad.md`, reason });
  fake.replies.push(reply.button('Move back to pending'));
  ws.emit({ type: 'task_quarantined', file: 'tasks/quarantine/bad.md', reason });
  await settle(ext);
  assert.equal(messages()[0], `Swarm: the task file tasks/quarantine/bad.md cannot be read, so the swarm set it aside in quarantine. ${reason}`);
  assert.deepEqual(buttons(0), ['Open file', 'Move back to pending']);
  assert.deepEqual(
    ws.calls.find((c) => c[0] === 'restoreQuarantined'),
    ['restoreQuarantined', `${root}/tasks/quarantine/bad.md`],
  );
  assert.ok(ws.tasks.pending.some((t) => t.id === 'bad'));

  // Still broken: the engine refuses and the user is told why, with the file to open.
  ws.tasks.quarantined.push({ file: `${root}/tasks/quarantine/worse.md`, reason: 'x' });
  ws.restoreQuarantined = async () => {
    throw new Error('worse.md: frontmatter: not valid YAML');
  };
  assert.equal(await fake.commands.get(Commands.restoreQuarantined)!({ root, file: `${root}/tasks/quarantine/worse.md` }), false);
  assert.match(messages().at(-1) ?? '', /still in quarantine: worse\.md: frontmatter: not valid YAML/);
});
