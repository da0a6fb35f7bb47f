// Review panel render benchmark (issue 5: "a 5,000-line diff opens and becomes interactive in
// under 1 s"). Runs the real page code (ReviewApp) in happy-dom on generated 5,000-line diffs and
// times, per scenario, everything from the host's ReviewDetails to a page whose buttons work:
// view model on the host, the JSON round trip postMessage does, validation and DOM building on the
// page. The baseline, measured in the same process on the same document type, is the least any
// page can do with that diff: set it as the textContent of one <pre>.
//
//   node --import tsx bench/review-render.ts [--runs 7] [--json] [--no-browser]
//
// Two engines:
// - Chromium (what a VS Code webview is), when /usr/bin/chromium (or $CHROMIUM) and the e2e
//   suite's playwright-core are installed: the real bundle (dist/webview.js built here with the
//   same options as esbuild.mjs) in a page with the real stylesheets; the clock stops after a
//   forced layout and two animation frames, i.e. when the panel has painted and its buttons work.
// - happy-dom (always): the same page code in node, no layout or paint, and much slower DOM calls
//   than a browser; it is the portable number, useful for its ratio and for regressions.

import { performance } from 'node:perf_hooks';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { buildReviewViewModel } from '../src/shared/reviewModel';
import { StateNotification, FileDiffNotification } from '../src/shared/reviewProtocol';
import { ReviewApp, type VsCodeApi } from '../src/webview/app';
import type { ReviewDetails } from '../src/swarm/api';

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1]) || 7;
const JSON_OUT = args.includes('--json');
const BROWSER = !args.includes('--no-browser');
const ROOT = resolve(__dirname, '..');

type HappyWindow = { document: Document; happyDOM?: { close(): Promise<void> } };

/** A unified diff of `files` files with `linesPerFile` diff lines each (hunks of mixed changes). */
function generateDiff(files: number, linesPerFile: number): string {
  const out: string[] = [];
  for (let f = 0; f < files; f++) {
    const name = `src/module${f}/file${f}.ts`;
    out.push(`diff --git a/${name} b/${name}`, `index 1111111..2222222 100644`, `--- a/${name}`, `+++ b/${name}`);
    let emitted = 4;
    let oldLine = 1;
    while (emitted < linesPerFile) {
      const hunk = Math.min(40, linesPerFile - emitted - 1);
      if (hunk <= 0) break;
      const body: string[] = [];
      let o = 0;
      let n = 0;
      for (let i = 0; i < hunk; i++) {
        const k = i % 8;
        if (k < 4) {
          body.push(` const value${oldLine + o} = compute(${o}, "context line");`);
          o++;
          n++;
        } else if (k < 6) {
          body.push(`-const old${oldLine + o} = legacy(${o}); // <b>removed</b>`);
          o++;
        } else {
          body.push(`+const next${oldLine + n} = modern(${n}); // added with <script>x</script>`);
          n++;
        }
      }
      out.push(`@@ -${oldLine},${o} +${oldLine},${n} @@ function section${oldLine}()`, ...body);
      emitted += hunk + 1;
      oldLine += o + 10;
    }
  }
  return `${out.join('\n')}\n`;
}

function details(diff: string): ReviewDetails {
  const sha = 'a'.repeat(40);
  return {
    task: {
      id: 'bench',
      title: 'Benchmark task',
      folder: 'current',
      status: 'awaiting_human',
      file: '/r/t.md',
      body: 'Render me.',
      priority: 0,
      dependsOn: [],
      meta: {},
    },
    state: { id: 'bench', status: 'awaiting_human', workerId: 'w1', harness: 'demo', rounds: [], attempts: 1, updatedAt: '' },
    base: 'main',
    sha,
    baseSha: 'b'.repeat(40),
    diff,
    rounds: [
      {
        round: 1,
        sha,
        base: 'main',
        baseSha: 'b'.repeat(40),
        by: 'agent',
        verdict: 'APPROVED',
        feedback: 'Fine.\n\nVERDICT: APPROVED',
        startedAt: new Date().toISOString(),
        durationMs: 1000,
      },
    ],
    canDecide: true,
    approvable: { approvable: true, verdict: 'APPROVED', verdictSha: sha },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Scenario {
  name: string;
  diff: string;
  run(win: HappyWindow): { ms: number; rows: number };
}

function newPage(win: HappyWindow, layout: 'unified' | 'split' = 'unified'): { app: ReviewApp; doc: Document } {
  const doc = win.document;
  const mount = doc.createElement('div');
  doc.body.appendChild(mount);
  const state = { taskId: 'bench', layout, expanded: {}, draft: '' };
  const api: VsCodeApi = { postMessage: () => undefined, getState: () => state, setState: () => undefined };
  return { app: new ReviewApp(doc, mount, api), doc };
}

/** Host model → JSON (postMessage) → page validation and render; stops when the buttons are live. */
function openPanel(diff: string, layout: 'unified' | 'split') {
  return (win: HappyWindow) => {
    const t0 = performance.now();
    const { model } = buildReviewViewModel(details(diff));
    const wire = JSON.stringify(StateNotification.create({ model, waiting: 0 }));
    const { app, doc } = newPage(win, layout);
    app.receive(JSON.parse(wire));
    const ms = performance.now() - t0;
    return { ms, rows: doc.querySelectorAll('.ln, .row').length };
  };
}

/** One 5,000-line file: held back on open, then loaded and rendered when the user expands it. */
function openThenExpand(diff: string) {
  return (win: HappyWindow) => {
    const t0 = performance.now();
    const { model, fileDiffs } = buildReviewViewModel(details(diff));
    const { app, doc } = newPage(win);
    app.receive(JSON.parse(JSON.stringify(StateNotification.create({ model, waiting: 0 }))));
    const opened = performance.now();
    const file = model.files[0];
    (doc.querySelector('section.file button.file-toggle') as HTMLElement).click();
    app.receive(JSON.parse(JSON.stringify(FileDiffNotification.create({ sha: model.sha!, path: file.path, diff: fileDiffs.get(file.path)! }))));
    const ms = performance.now() - t0;
    return { ms, rows: doc.querySelectorAll('.ln').length, openMs: opened - t0 };
  };
}

function baseline(diff: string) {
  return (win: HappyWindow) => {
    const t0 = performance.now();
    const pre = win.document.createElement('pre');
    pre.textContent = diff;
    win.document.body.appendChild(pre);
    return { ms: performance.now() - t0, rows: diff.split('\n').length - 1 };
  };
}

interface Result {
  name: string;
  diffLines: number;
  medianMs: number;
  minMs: number;
  rows: number;
  openMs?: number;
  ratioToBaseline?: number;
}

const SPREAD = generateDiff(50, 100); // 50 files × 100 lines: all inline, all open on arrival
const SINGLE = generateDiff(1, 5000); // one 5,000-line file: held back, loaded on expand
const MANY = generateDiff(1000, 6); // 1,000 files of one small hunk: the cost of file headers
const lines = (d: string) => d.split('\n').length - 1;

function withRatios(results: Result[]): Result[] {
  // Each scenario compares to the baseline row above it (the same diff as a <pre>).
  let base = results[0].medianMs;
  return results.map((r) => {
    if (r.name.startsWith('baseline')) base = r.medianMs;
    return { ...r, ratioToBaseline: +(r.medianMs / base).toFixed(1) };
  });
}

async function happyDomResults(): Promise<Result[]> {
  const { Window } = (await import('happy-dom')) as unknown as { Window: new () => HappyWindow };
  const scenarios: Scenario[] = [
    { name: 'baseline: <pre>.textContent = diff (50×100)', diff: SPREAD, run: baseline(SPREAD) },
    { name: 'open panel, 50 files × 100 lines, unified', diff: SPREAD, run: openPanel(SPREAD, 'unified') },
    { name: 'open panel, 50 files × 100 lines, side by side', diff: SPREAD, run: openPanel(SPREAD, 'split') },
    { name: 'baseline: <pre>.textContent = diff (1×5000)', diff: SINGLE, run: baseline(SINGLE) },
    { name: 'open panel + expand one 5,000-line file, unified', diff: SINGLE, run: openThenExpand(SINGLE) },
    { name: 'baseline: <pre>.textContent = diff (1000×6)', diff: MANY, run: baseline(MANY) },
    { name: 'open panel, 1,000 files × 6 lines, unified', diff: MANY, run: openPanel(MANY, 'unified') },
  ];
  // Warm up (JIT, module init) once per scenario, then measure each in a fresh window.
  for (const s of scenarios) {
    const w = new Window();
    s.run(w);
    await w.happyDOM?.close();
  }
  const results: Result[] = [];
  for (const s of scenarios) {
    const times: number[] = [];
    const opens: number[] = [];
    let rows = 0;
    for (let i = 0; i < RUNS; i++) {
      const w = new Window();
      const r = s.run(w) as { ms: number; rows: number; openMs?: number };
      times.push(r.ms);
      if (r.openMs !== undefined) opens.push(r.openMs);
      rows = r.rows;
      await w.happyDOM?.close();
    }
    results.push({
      name: s.name,
      diffLines: lines(s.diff),
      medianMs: median(times),
      minMs: Math.min(...times),
      rows,
      ...(opens.length ? { openMs: median(opens) } : {}),
    });
  }
  return withRatios(results);
}

// ---- Chromium ------------------------------------------------------------------------------

interface PwPage {
  goto(url: string): Promise<unknown>;
  evaluate(expression: string): Promise<unknown>;
}

// Runs in the page. Plain JavaScript in a string: code compiled by tsx would call its helpers.
const IN_PAGE = `async ({ wire, fileWire, kind }) => {
  const frames = () => new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(() => res())));
  await frames();
  const t0 = performance.now();
  if (kind === 'baseline') {
    const pre = document.createElement('pre');
    pre.textContent = wire;
    document.body.appendChild(pre);
  } else {
    if (kind === 'split') [...document.querySelectorAll('vscode-button')].find((b) => /Side by side/.test(b.textContent)).click();
    window.dispatchEvent(new MessageEvent('message', { data: JSON.parse(wire) }));
  }
  void document.body.offsetHeight;
  await frames();
  const opened = performance.now();
  if (kind === 'expand') {
    document.querySelector('section.file button.file-toggle').click();
    await new Promise((res) => setTimeout(res, 0));
    if (!window.__sent.some((m) => m.method === 'review/loadFile')) throw new Error('expanding did not ask for the file');
    window.dispatchEvent(new MessageEvent('message', { data: JSON.parse(fileWire) }));
    void document.body.offsetHeight;
    await frames();
  }
  const t1 = performance.now();
  const approve = [...document.querySelectorAll('vscode-button')].find((b) => /^Approve/.test(b.textContent || ''));
  if (kind !== 'baseline' && (!approve || approve.hasAttribute('disabled'))) throw new Error('the Approve button is not live');
  return { ms: t1 - t0, openMs: opened - t0, rows: kind === 'baseline' ? wire.split('\\n').length - 1 : document.querySelectorAll('.ln, .row').length };
}`;
interface PwBrowser {
  newPage(): Promise<PwPage>;
  close(): Promise<void>;
  version(): string;
}

async function browserResults(): Promise<{ results: Result[]; version: string } | { skipped: string }> {
  const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
  const pwDir = join(ROOT, 'e2e', 'node_modules', 'playwright-core');
  if (!existsSync(chromium)) return { skipped: `no Chromium at ${chromium}` };
  if (!existsSync(pwDir)) return { skipped: 'playwright-core not installed (e2e/install.sh)' };
  const pw = createRequire(__filename)(pwDir) as { chromium: { launch(o: object): Promise<PwBrowser> } };
  const esbuild = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'review-bench-'));
  try {
    await esbuild.build({
      entryPoints: [join(ROOT, 'src/webview/main.ts')],
      bundle: true,
      outfile: join(dir, 'webview.js'),
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      minify: true,
      loader: { '.css': 'text' },
      logLevel: 'warning',
    });
    copyFileSync(join(ROOT, 'media/review.css'), join(dir, 'review.css'));
    for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(join(ROOT, 'node_modules/@vscode/codicons/dist', f), join(dir, f));
    writeFileSync(
      join(dir, 'index.html'),
      `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="codicon.css" id="vscode-codicon-stylesheet"><link rel="stylesheet" href="review.css">
<script>window.__sent=[];window.acquireVsCodeApi=()=>({postMessage:(m)=>window.__sent.push(m),getState:()=>undefined,setState:()=>{}});</script>
</head><body><div id="app" data-task-id="bench"></div><script src="webview.js"></script></body></html>`,
    );
    const browser = await pw.chromium.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox'] });
    try {
      const url = `file://${join(dir, 'index.html')}`;
      const measure = async (name: string, diff: string, kind: 'baseline' | 'open' | 'split' | 'expand'): Promise<Result> => {
        const times: number[] = [];
        const opens: number[] = [];
        let rows = 0;
        for (let i = 0; i <= RUNS; i++) {
          const page = await browser.newPage();
          await page.goto(url);
          // Host side in node: the view model and the JSON postMessage carries.
          const h0 = performance.now();
          const built = kind === 'baseline' ? undefined : buildReviewViewModel(details(diff));
          const wire = built ? JSON.stringify(StateNotification.create({ model: built.model, waiting: 0 })) : diff;
          const hostMs = performance.now() - h0;
          const fileWire =
            built && kind === 'expand'
              ? JSON.stringify(
                  FileDiffNotification.create({
                    sha: built.model.sha!,
                    path: built.model.files[0].path,
                    diff: built.fileDiffs.get(built.model.files[0].path)!,
                  }),
                )
              : '';
          const r = (await page.evaluate(`(${IN_PAGE})(${JSON.stringify({ wire, fileWire, kind })})`)) as { ms: number; openMs: number; rows: number };
          // Run 0 warms the browser's caches and JIT; it is not counted.
          if (i > 0) {
            times.push(r.ms + hostMs);
            opens.push(r.openMs + hostMs);
          }
          rows = r.rows;
          await (page as unknown as { close(): Promise<void> }).close();
        }
        return {
          name,
          diffLines: lines(diff),
          medianMs: median(times),
          minMs: Math.min(...times),
          rows,
          ...(kind === 'expand' ? { openMs: median(opens) } : {}),
        };
      };
      const results = [
        await measure('baseline: <pre>.textContent = diff (50×100)', SPREAD, 'baseline'),
        await measure('open panel, 50 files × 100 lines, unified', SPREAD, 'open'),
        await measure('open panel, 50 files × 100 lines, side by side', SPREAD, 'split'),
        await measure('baseline: <pre>.textContent = diff (1×5000)', SINGLE, 'baseline'),
        await measure('open panel + expand one 5,000-line file, unified', SINGLE, 'expand'),
        await measure('baseline: <pre>.textContent = diff (1000×6)', MANY, 'baseline'),
        await measure('open panel, 1,000 files × 6 lines, unified', MANY, 'open'),
      ];
      return { results: withRatios(results), version: browser.version() };
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function print(title: string, results: Result[]): void {
  console.log(title);
  for (const r of results) {
    const extra = r.openMs !== undefined ? `  (panel open before expand: ${r.openMs.toFixed(1)} ms)` : '';
    console.log(
      `  ${r.name.padEnd(52)} ${r.medianMs.toFixed(1).padStart(8)} ms  ×${String(r.ratioToBaseline).padEnd(7)} ${String(r.rows).padStart(6)} rows, ${r.diffLines} diff lines${extra}`,
    );
  }
  const worst = Math.max(...results.filter((r) => !r.name.startsWith('baseline') && r.diffLines >= 5000).map((r) => r.medianMs));
  console.log(`  slowest 5,000-line scenario: ${worst.toFixed(0)} ms (target < 1000 ms)`);
}

async function main(): Promise<void> {
  const browser = BROWSER ? await browserResults() : { skipped: '--no-browser' };
  const happy = await happyDomResults();
  if (JSON_OUT) {
    process.stdout.write(`${JSON.stringify({ runs: RUNS, node: process.version, chromium: browser, happyDom: happy }, null, 2)}\n`);
    return;
  }
  if ('results' in browser)
    print(`Chromium ${browser.version} (headless), median of ${RUNS}, host model + JSON + page render + layout + 2 frames:`, browser.results);
  else console.log(`Chromium: skipped (${browser.skipped})`);
  print(`happy-dom (node ${process.version}), median of ${RUNS}, host model + JSON + page render, no layout:`, happy);
}

void main();
