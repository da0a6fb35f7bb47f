// What the agent sandbox refused, kept with the task and shown to the reviewer (issue 13 "UI";
// src/swarm/sandboxDenials.ts): counts add up across turns, only the first few distinct ones are
// kept, a forged or oversized record in state.json is not shown, and the review panel renders the
// note in the header (the commit on screen) and in its round — as text.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { DENIAL_SAMPLE, addDenials, describeDenials, isSandboxDenials } from '../../src/swarm/sandboxDenials';
import { buildReviewViewModel, sandboxDeniedOnScreen } from '../../src/shared/reviewModel';
import { StateNotification } from '../../src/shared/reviewProtocol';
import { ReviewApp, type VsCodeApi } from '../../src/webview/app';
import type { ReviewDetails } from '../../src/swarm/api';
import type { ReviewRound } from '../../src/swarm/types';

const SHA = 'c0ffee'.padEnd(40, '0');
const OLD = 'abc'.padEnd(40, '1');
const BASE = 'ba5e'.padEnd(40, '2');
const EVIL = 'network: evil.example:443 — not an allowed host (sandbox.allow_domains)';
const SSH = 'network: 10.0.0.1:22 — not an allowed host (sandbox.allow_domains)';

test('counts add up across turns; the sample keeps the first few distinct ones, each cut to size', () => {
  let d = addDenials(undefined, [EVIL, EVIL]);
  assert.deepEqual(d, { count: 2, sample: [EVIL] });
  d = addDenials(d, []);
  assert.deepEqual(d, { count: 2, sample: [EVIL] }, 'a turn with no refusal changes nothing');
  d = addDenials(d, [SSH, ...Array.from({ length: 20 }, (_, i) => `network: h${i}.example:80 — x`), `network: ${'a'.repeat(5000)}`]);
  assert.equal(d!.count, 24);
  assert.equal(d!.sample.length, DENIAL_SAMPLE);
  assert.deepEqual(d!.sample.slice(0, 2), [EVIL, SSH]);
  assert.ok(isSandboxDenials(d));
  assert.equal(
    describeDenials(d!),
    "The agent's sandbox refused 24 network connections: evil.example:443, 10.0.0.1:22, h0.example:80, h1.example:80, h2.example:80 …",
  );
  assert.equal(describeDenials({ count: 1, sample: [EVIL] }), "The agent's sandbox refused 1 network connection: evil.example:443");
});

test('a forged record (state.json is a file) is not shown: wrong shape, too many, too long, extra keys', () => {
  for (const bad of [
    null,
    3,
    { count: 0, sample: [] },
    { count: 1.5, sample: [] },
    { count: 2, sample: 'x' },
    { count: 2, sample: Array(DENIAL_SAMPLE + 1).fill('x') },
    { count: 2, sample: ['x'.repeat(301)] },
    { count: 2, sample: [], extra: '<script>' },
  ]) {
    assert.equal(isSandboxDenials(bad), false, JSON.stringify(bad)?.slice(0, 80));
    assert.equal(sandboxDeniedOnScreen([], { sandboxDenied: bad }, SHA), undefined);
  }
});

function round(n: number, sha: string, extra: Partial<ReviewRound> = {}): ReviewRound {
  return {
    round: n,
    sha,
    base: 'main',
    baseSha: BASE,
    by: 'agent',
    verdict: 'NEEDS_CHANGES',
    feedback: 'Fix it.',
    startedAt: '2026-11-23T09:00:00.000Z',
    ...extra,
  };
}

test("the commit on screen: its rounds plus the turns since the last round; an older commit's rounds are not", () => {
  const rounds = [round(1, OLD, { sandboxDenied: { count: 5, sample: [SSH] } }), round(2, SHA, { sandboxDenied: { count: 2, sample: [EVIL] } })];
  assert.deepEqual(sandboxDeniedOnScreen(rounds, undefined, SHA), { count: 2, sample: [EVIL] });
  assert.deepEqual(sandboxDeniedOnScreen(rounds, { sandboxDenied: { count: 1, sample: [SSH] } }, SHA), { count: 3, sample: [EVIL, SSH] });
  assert.equal(sandboxDeniedOnScreen([rounds[0]], undefined, SHA), undefined);
});

type HappyWindow = { document: Document };
let WindowCtor: new () => HappyWindow;
before(async () => {
  WindowCtor = ((await import('happy-dom')) as unknown as { Window: new () => HappyWindow }).Window;
});

test('the review panel shows it: a note in the header for the commit on screen, and in its round (as text)', () => {
  const details: ReviewDetails = {
    task: { id: 't-1', title: 'Net', folder: 'current', status: 'awaiting_human', file: '/r/t.md', body: '', priority: 0, dependsOn: [], meta: {} },
    state: { id: 't-1', status: 'awaiting_human', rounds: [], attempts: 1, updatedAt: '' },
    base: 'main',
    sha: SHA,
    baseSha: BASE,
    diff: '',
    rounds: [
      round(1, OLD),
      round(2, SHA, { verdict: 'APPROVED', sandboxDenied: { count: 3, sample: [EVIL, 'network: <img src=x onerror=alert(1)>:80 — x'] } }),
    ],
    canDecide: true,
    approvable: { approvable: true, verdict: 'APPROVED', verdictSha: SHA },
  };
  const win = new WindowCtor();
  const doc = win.document;
  const mount = doc.createElement('div');
  doc.body.appendChild(mount);
  const api: VsCodeApi = { postMessage: () => undefined, getState: () => undefined, setState: () => undefined };
  const app = new ReviewApp(doc, mount, api, { taskId: 't-1' });
  app.receive(JSON.parse(JSON.stringify(StateNotification.create({ model: buildReviewViewModel(details).model, waiting: 0 }))));
  assert.ok(app.current, 'the model passed the protocol guard');
  const note = doc.querySelector('header .sandbox-denied') as HTMLElement;
  assert.ok(note, 'a note in the header');
  assert.equal(note.getAttribute('role'), 'note');
  assert.equal(note.textContent?.trim(), "The agent's sandbox refused 3 network connections: evil.example:443, <img src=x onerror=alert(1)>:80 …");
  assert.equal(doc.querySelectorAll('img').length, 0, 'a hostile host name is text');
  const inRound = [...doc.querySelectorAll('.round .sandbox-denied')].map((e) => e.textContent);
  assert.deepEqual(inRound, ["The agent's sandbox refused 3 network connections: evil.example:443, <img src=x onerror=alert(1)>:80 …"], 'in round 2 only');
});
