// 11. Run timeline (issue 16 item 3): a synthetic run journal of N tasks (default 1,000: a worker
// turn, a reviewer turn and a merge each, over 8 workers; test/helpers/timeline-events.ts) turned
// into the timeline model (src/shared/timelineModel.ts) and drawn as one SVG string
// (src/shared/timelineSvg.ts), then that SVG put into a page in happy-dom (the DOM parse a webview
// does). Baseline in the same run: JSON.parse of the journal's lines (what reading it costs anyway).
//   node --import tsx bench/scenarios/timeline.ts OUT.json [--tasks N] [--reps R]
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildTimeline } from '../../src/shared/timelineModel';
import { renderTimelineSvg } from '../../src/shared/timelineSvg';
import { syntheticRun } from '../../test/helpers/timeline-events';
import type { JournalEntry } from '../../src/swarm/types';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { tasks: { type: 'string', default: '1000' }, reps: { type: 'string', default: '5' }, workers: { type: 'string', default: '8' } },
});
const N = Number(values.tasks);
const REPS = Number(values.reps);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x: number): number => Math.round(x * 10) / 10;

async function main(): Promise<void> {
  const text = syntheticRun(N, Number(values.workers))
    .map((e) => JSON.stringify(e))
    .join('\n');
  const parseMs: number[] = [];
  const modelMs: number[] = [];
  const svgMs: number[] = [];
  const domMs: number[] = [];
  const { Window } = (await import('happy-dom')) as unknown as { Window: new () => { document: Document; happyDOM?: { close(): Promise<void> } } };
  let spans = 0;
  let svgBytes = 0;
  let rendered = 0;
  for (let r = 0; r < REPS + 1; r++) {
    let t = performance.now();
    const entries = text.split('\n').map((l) => JSON.parse(l) as JournalEntry);
    const parse = performance.now() - t;
    t = performance.now();
    const model = buildTimeline(entries, { live: false });
    const mod = performance.now() - t;
    t = performance.now();
    const svg = renderTimelineSvg(model, { width: 1400 });
    const draw = performance.now() - t;
    const win = new Window();
    const chart = win.document.createElement('div');
    win.document.body.appendChild(chart);
    t = performance.now();
    chart.innerHTML = svg;
    rendered = chart.querySelectorAll('g[data-i]').length;
    const dom = performance.now() - t;
    await win.happyDOM?.close();
    if (r === 0) continue; // warm-up
    parseMs.push(parse);
    modelMs.push(mod);
    svgMs.push(draw);
    domMs.push(dom);
    spans = model.spans.length;
    svgBytes = svg.length;
  }
  const modelSvg = median(modelMs.map((m, i) => m + svgMs[i]));
  const out = {
    tasks: N,
    events: text.split('\n').length,
    spans,
    rendered,
    svgBytes,
    reps: REPS,
    summary: {
      parseMs: ms(median(parseMs)),
      modelMs: ms(median(modelMs)),
      svgMs: ms(median(svgMs)),
      modelSvgMs: ms(modelSvg),
      happyDomMs: ms(median(domMs)),
      modelSvgVsParse: Math.round((modelSvg / median(parseMs)) * 100) / 100,
      targets: { under500msMet: modelSvg < 500, allDrawnMet: rendered === spans },
    },
  };
  writeFileSync(positionals[0], JSON.stringify(out, null, 2));
  console.log(JSON.stringify(out.summary));
}
void main();
