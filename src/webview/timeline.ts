// The run timeline page (dist/timeline.js, see esbuild.mjs): draws the model the host sends
// (src/shared/timelineProtocol.ts) as one SVG (src/shared/timelineSvg.ts, every journal text
// escaped there), shows a span's details on hover (as text), and asks the host to open a span's
// task on click or to show another run.

import type { TimelineFromPage, TimelineToPage } from '../shared/timelineProtocol';
import type { TimelineModel } from '../shared/timelineModel';
import { renderTimelineSvg } from '../shared/timelineSvg';

export interface TimelineVsCodeApi {
  postMessage(m: TimelineFromPage): void;
}

export function startTimeline(doc: Document, vscode: TimelineVsCodeApi, win: Pick<Window, 'addEventListener'>): (msg: unknown) => void {
  const select = doc.getElementById('run') as HTMLSelectElement;
  const chart = doc.getElementById('chart')!;
  const details = doc.getElementById('details')!;
  const note = doc.getElementById('note')!;
  let model: TimelineModel | undefined;

  const spanOf = (target: EventTarget | null): { i: number; task?: string } | undefined => {
    const g = (target as Element | null)?.closest?.('g[data-i]');
    if (!g) return undefined;
    return { i: Number(g.getAttribute('data-i')), task: g.getAttribute('data-task') ?? undefined };
  };
  chart.addEventListener('mouseover', (e) => {
    const s = spanOf(e.target);
    const span = s && model?.spans[s.i];
    if (span) details.textContent = `${span.detail}${span.taskId ? '\n(click to open the task)' : ''}`;
  });
  chart.addEventListener('click', (e) => {
    const s = spanOf(e.target);
    if (s?.task) vscode.postMessage({ type: 'timeline/openTask', taskId: s.task });
  });
  select.addEventListener('change', () => vscode.postMessage({ type: 'timeline/selectRun', runId: select.value }));

  const onMessage = (msg: unknown): void => {
    const m = msg as TimelineToPage;
    if (!m || m.type !== 'timeline/show') return;
    select.replaceChildren(
      ...m.runs.map((r) => {
        const o = doc.createElement('option');
        o.value = r.id;
        o.textContent = r.label;
        o.selected = r.id === m.selected;
        return o;
      }),
    );
    model = m.model;
    note.textContent =
      m.note ??
      (model ? `${model.spans.length} spans, ${model.lanes.length} lanes${model.live ? ', live' : ''}${model.reason ? ` — ended: ${model.reason}` : ''}` : '');
    const width = Math.max(600, (chart.clientWidth || 1200) - 4);
    // The SVG is built from the model by timelineSvg.ts, which escapes every text from the journal.
    chart.innerHTML = model ? renderTimelineSvg(model, { width }) : '';
    chart.setAttribute('data-rendered', model ? String(model.spans.length) : '0');
  };
  win.addEventListener('message', (e) => onMessage((e as MessageEvent).data));
  vscode.postMessage({ type: 'timeline/ready' });
  return onMessage;
}

declare function acquireVsCodeApi(): TimelineVsCodeApi;
if (typeof acquireVsCodeApi === 'function') startTimeline(document, acquireVsCodeApi(), window);
