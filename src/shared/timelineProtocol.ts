// The run timeline panel's messages and HTML shell (host: src/extension/timelinePanel.ts, page:
// src/webview/timeline.ts). The page draws the model the host sends; it asks for another run or
// for a task to be opened, and the host checks both against what it offered. The shell has the
// review panel's CSP (src/shared/reviewHtml.ts): one bundled script with a fresh nonce, styles
// from the extension only, nothing else.

import { webviewPage } from './reviewHtml';
import type { TimelineModel } from './timelineModel';
import { isTaskId } from './protocolGuards';

export interface TimelineRunRef {
  id: string;
  /** "14:05:12 · 12 merged" or "now, running". */
  label: string;
  live: boolean;
}

export type TimelineToPage = { type: 'timeline/show'; runs: TimelineRunRef[]; selected: string | undefined; model: TimelineModel | undefined; note?: string };

export type TimelineFromPage = { type: 'timeline/ready' } | { type: 'timeline/selectRun'; runId: string } | { type: 'timeline/openTask'; taskId: string };

/** A run id as the engine makes them (`.swarm/runs/<id>`): no path separators, no dots first. */
export const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The page's message, or undefined when it is not one of ours (a run or task id of the wrong shape too). */
export function parseTimelineMessage(m: unknown): TimelineFromPage | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const o = m as Record<string, unknown>;
  if (o.type === 'timeline/ready') return { type: 'timeline/ready' };
  if (o.type === 'timeline/selectRun' && typeof o.runId === 'string' && RUN_ID_RE.test(o.runId)) return { type: 'timeline/selectRun', runId: o.runId };
  if (o.type === 'timeline/openTask' && typeof o.taskId === 'string' && isTaskId(o.taskId)) return { type: 'timeline/openTask', taskId: o.taskId };
  return undefined;
}

export function buildTimelineHtml(p: { cspSource: string; nonce: string; scriptUri: string; styleUri: string }): string {
  return webviewPage({
    cspSource: p.cspSource,
    nonce: p.nonce,
    scriptUri: p.scriptUri,
    styles: [{ href: p.styleUri }],
    title: 'Run timeline',
    body: `<header><label>Run <select id="run"></select></label> <span id="note"></span></header>
<div id="legend"><span class="key turn">turn</span><span class="key review">review</span><span class="key merge">merge</span><span class="key wait">wait</span><span class="key idle">idle</span><span class="key failed">failed</span></div>
<div id="chart"></div>
<pre id="details">Hover a span for details; click one to open its task.</pre>`,
  });
}
