// The run timeline page (src/webview/timeline.ts) in happy-dom, and its messages and HTML shell
// (src/shared/timelineProtocol.ts): the model draws as one SVG with a group per span, hover shows
// a span's details as text, a click asks for its task, the run picker asks for a run; the host
// takes only well-formed ids; the shell's CSP runs only the nonce'd bundle.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startTimeline } from '../../src/webview/timeline';
import { buildTimeline } from '../../src/shared/timelineModel';
import { buildTimelineHtml, parseTimelineMessage, type TimelineFromPage } from '../../src/shared/timelineProtocol';
import { syntheticRun } from '../helpers/timeline-events';
import type { JournalEntry } from '../../src/swarm/types';

type HappyWindow = { document: Document; addEventListener: Window['addEventListener']; happyDOM?: { close(): Promise<void> } };
let WindowCtor: new () => HappyWindow;
before(async () => {
  const mod = (await import('happy-dom')) as unknown as { Window: new () => HappyWindow };
  WindowCtor = mod.Window;
});

function page() {
  const win = new WindowCtor();
  win.document.body.innerHTML = '<select id="run"></select><span id="note"></span><div id="chart"></div><pre id="details"></pre>';
  const sent: TimelineFromPage[] = [];
  const deliver = startTimeline(win.document, { postMessage: (m) => sent.push(m) }, win as unknown as Window);
  return { win, doc: win.document, sent, deliver };
}

test('the page draws the model, shows details on hover as text, opens the task on click, asks for another run', () => {
  const { doc, sent, deliver } = page();
  assert.deepEqual(sent, [{ type: 'timeline/ready' }]);
  const entries = syntheticRun(3, 2);
  const evil = entries.find((e) => e.type === 'agent_finished')! as JournalEntry & { failure?: string };
  evil.failure = '<img src=x onerror="window.pwned=1">';
  const model = buildTimeline(entries);
  deliver({
    type: 'timeline/show',
    runs: [
      { id: 'run-synth', label: 'run-synth', live: false },
      { id: 'older', label: 'older', live: false },
    ],
    selected: 'run-synth',
    model,
  });
  const groups = doc.querySelectorAll('#chart svg g[data-i]');
  assert.equal(groups.length, model.spans.length);
  assert.equal(doc.querySelectorAll('#chart img').length, 0, 'journal text is never markup');
  const failed = [...groups].find((g) => model.spans[Number(g.getAttribute('data-i'))].failed)!;
  failed.querySelector('rect')!.dispatchEvent(new (doc.defaultView as unknown as { MouseEvent: typeof MouseEvent }).MouseEvent('mouseover', { bubbles: true }));
  assert.match(doc.getElementById('details')!.textContent!, /failed.*<img src=x onerror/);
  failed.querySelector('rect')!.dispatchEvent(new (doc.defaultView as unknown as { MouseEvent: typeof MouseEvent }).MouseEvent('click', { bubbles: true }));
  assert.deepEqual(sent.at(-1), { type: 'timeline/openTask', taskId: 'task-0000' });
  const select = doc.getElementById('run') as HTMLSelectElement;
  assert.equal(select.options.length, 2);
  assert.equal(select.value, 'run-synth');
  select.value = 'older';
  select.dispatchEvent(new (doc.defaultView as unknown as { Event: typeof Event }).Event('change'));
  assert.deepEqual(sent.at(-1), { type: 'timeline/selectRun', runId: 'older' });
  deliver({ type: 'timeline/show', runs: [], selected: undefined, model: undefined, note: 'No run yet' });
  assert.equal(doc.querySelectorAll('#chart svg').length, 0);
  assert.equal(doc.getElementById('note')!.textContent, 'No run yet');
});

test('the host takes only its own messages with well-formed ids', () => {
  assert.deepEqual(parseTimelineMessage({ type: 'timeline/openTask', taskId: 'a-1' }), { type: 'timeline/openTask', taskId: 'a-1' });
  assert.equal(parseTimelineMessage({ type: 'timeline/openTask', taskId: '../../etc/passwd' }), undefined);
  assert.equal(parseTimelineMessage({ type: 'timeline/selectRun', runId: '../x' }), undefined);
  assert.equal(parseTimelineMessage({ type: 'timeline/selectRun', runId: '.hidden' }), undefined);
  assert.deepEqual(parseTimelineMessage({ type: 'timeline/selectRun', runId: '20261130-020000-ab12' }), {
    type: 'timeline/selectRun',
    runId: '20261130-020000-ab12',
  });
  assert.equal(parseTimelineMessage({ type: 'review/decide' }), undefined);
  assert.equal(parseTimelineMessage(null), undefined);
});

test('the shell: one script with the nonce, no inline script or style allowed, nothing from elsewhere', () => {
  const html = buildTimelineHtml({
    cspSource: 'vscode-src',
    nonce: 'N0nce',
    scriptUri: 'vscode-src/dist/timeline.js',
    styleUri: 'vscode-src/media/timeline.css',
  });
  const csp = /Content-Security-Policy" content="([^"]+)"/.exec(html)![1].replace(/&#39;/g, "'");
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-N0nce'/);
  assert.ok(!/unsafe-inline|unsafe-eval/.test(csp));
  assert.equal((html.match(/<script /g) ?? []).length, 1);
  assert.match(html, /<script nonce="N0nce" src="vscode-src\/dist\/timeline.js">/);
});
