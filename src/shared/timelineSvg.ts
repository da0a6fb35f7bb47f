// The run timeline drawn as one SVG string in one pass over the model (timelineModel.ts): a time
// axis, one band per worker lane, one rect per span. Colours come from classes the page's
// stylesheet (media/timeline.css) maps to the theme; no inline style, no script (the panel's CSP
// allows neither). Every text from the journal (task ids, reasons, agent failures) is escaped
// here; each span rect carries its index (`data-i`) for the page's hover details and its task
// (`data-task`) for the click through.

import type { TimelineModel } from './timelineModel';

export interface SvgOptions {
  /** Width in px (the page passes its own); default 1200. */
  width?: number;
}

export const LANE_LABEL_WIDTH = 170;
const ROW_H = 18;
const LANE_PAD = 6;
const AXIS_H = 24;

/** Escapes text for an XML attribute value or text node (also drops characters XML cannot hold). */
export function escapeXml(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A tick step (ms) giving about `n` ticks over `span` ms: 1, 2, 5 × 10^k seconds, or minutes. */
function tickStep(span: number, n: number): number {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400].map((s) => s * 1000);
  return steps.find((s) => span / s <= n) ?? 21_600_000;
}

function tickLabel(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? `${Math.floor((s % 3600) / 60)}m` : ''}`;
}

export function renderTimelineSvg(m: TimelineModel, options: SvgOptions = {}): string {
  const width = Math.max(400, Math.round(options.width ?? 1200));
  const plot = width - LANE_LABEL_WIDTH - 8;
  const dur = Math.max(1, m.end - m.start);
  const x = (t: number): number => Math.round((LANE_LABEL_WIDTH + ((t - m.start) / dur) * plot) * 10) / 10;
  const laneY: number[] = [];
  let y = AXIS_H;
  for (const l of m.lanes) {
    laneY.push(y);
    y += l.rows * ROW_H + LANE_PAD * 2;
  }
  const height = Math.max(y, AXIS_H + 40);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Run ${escapeXml(m.runId)} timeline">`,
  );
  // Lanes: a band and the worker's name.
  m.lanes.forEach((l, i) => {
    const h = l.rows * ROW_H + LANE_PAD * 2;
    out.push(
      `<rect class="lane${i % 2 ? ' odd' : ''}" x="0" y="${laneY[i]}" width="${width}" height="${h}"/><text class="lane-label" x="6" y="${laneY[i] + LANE_PAD + ROW_H - 5}">${escapeXml(l.label.length > 26 ? `${l.label.slice(0, 25)}…` : l.label)}</text>`,
    );
  });
  // Time axis: ticks relative to the run's start.
  const step = tickStep(dur, Math.max(2, Math.floor(plot / 90)));
  for (let t = 0; t <= dur; t += step) {
    const tx = x(m.start + t);
    out.push(
      `<line class="tick" x1="${tx}" y1="${AXIS_H - 6}" x2="${tx}" y2="${height}"/><text class="tick-label" x="${tx}" y="${AXIS_H - 9}">${tickLabel(t)}</text>`,
    );
  }
  // Spans.
  for (let i = 0; i < m.spans.length; i++) {
    const s = m.spans[i];
    const x0 = x(s.start);
    const w = Math.max(1.5, Math.round((x(s.end) - x0) * 10) / 10);
    const sy = laneY[s.lane] + LANE_PAD + s.row * ROW_H + 1;
    const cls = `span ${s.kind}${s.failed ? ' failed' : ''}${s.open ? ' open' : ''}${s.taskId ? ' link' : ''}`;
    out.push(
      `<g class="${cls}" data-i="${i}"${s.taskId ? ` data-task="${escapeXml(s.taskId)}"` : ''}><rect x="${x0}" y="${sy}" width="${w}" height="${ROW_H - 2}" rx="2"/>`,
    );
    if (w > 40) out.push(`<text x="${Math.round((x0 + 3) * 10) / 10}" y="${sy + ROW_H - 6}">${escapeXml(s.label.slice(0, Math.floor(w / 6.5)))}</text>`);
    out.push(`<title>${escapeXml(s.detail)}</title></g>`);
  }
  if (m.live) out.push(`<line class="now" x1="${x(m.end)}" y1="${AXIS_H - 6}" x2="${x(m.end)}" y2="${height}"/>`);
  out.push('</svg>');
  return out.join('');
}
