// Long event-loop stalls of a process, from a sampling CPU profile (`node --cpu-prof`): every
// stretch of consecutive non-idle samples of the main thread longer than a threshold, with where
// its time went (self time by function, and the heaviest stack). The smooth bench
// (scenarios/extension-run.ts --profile DIR) writes the profile; this reads it:
//
//   node bench/lib/stalls.mjs PROFILE.cpuprofile [--min-ms 15] [--top 20]
//
// Profile timestamps are V8's monotonic clock in µs, the clock of process.hrtime(): the bench's own
// stall list (`stalls` in its JSON, from a 5 ms timer) can be matched to these stretches.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

/** Busy stretches of the main thread (ms), each with its self time by frame and its heaviest stack. */
export function stalls(profile, minMs = 15) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n) => {
    const f = n.callFrame;
    const file = f.url ? f.url.replace(/^.*\/(dist|src|node_modules|test|bench)\//, '$1/') : '';
    return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
  };
  const stack = (id) => {
    const out = [];
    for (let x = id; x !== undefined; x = parent.get(x)) {
      const n = byId.get(x);
      if (n.callFrame.functionName === '(root)') break;
      out.push(name(n));
    }
    return out;
  };
  const idle = (id) => {
    const f = byId.get(id).callFrame.functionName;
    return f === '(idle)';
  };
  const out = [];
  let t = profile.startTime;
  let cur;
  const close = () => {
    if (cur && cur.ms >= minMs) out.push(cur);
    cur = undefined;
  };
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    // A sample's weight: the time until the next one (the profiler's interval, or longer when it could not sample).
    const w = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const id = profile.samples[i];
    if (idle(id)) {
      close();
      continue;
    }
    cur ??= { startUs: t, ms: 0, samples: 0, longestSampleMs: 0, self: new Map(), stacks: new Map() };
    cur.ms += w;
    cur.samples++;
    cur.longestSampleMs = Math.max(cur.longestSampleMs, w);
    const leaf = name(byId.get(id));
    cur.self.set(leaf, (cur.self.get(leaf) ?? 0) + w);
    const s = stack(id).slice(0, 14).join(' < ');
    cur.stacks.set(s, (cur.stacks.get(s) ?? 0) + w);
  }
  close();
  return out.map((s) => ({
    startUs: s.startUs,
    ms: Math.round(s.ms * 10) / 10,
    samples: s.samples,
    // One sample much longer than the interval: the thread (or the profiler's) was not running then —
    // on a loaded machine, the OS gave the core to another process.
    longestSampleMs: Math.round(s.longestSampleMs * 10) / 10,
    self: [...s.self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([f, ms]) => `${ms.toFixed(1)} ms ${f}`),
    heaviest: [...s.stacks]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([st, ms]) => `${ms.toFixed(1)} ms ${st}`),
  }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'min-ms': { type: 'string', default: '15' }, top: { type: 'string', default: '20' } },
  });
  const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));
  const list = stalls(profile, Number(values['min-ms']));
  const t0 = profile.startTime;
  console.log(`${list.length} busy stretches ≥ ${values['min-ms']} ms; the ${values.top} longest:`);
  for (const s of [...list].sort((a, b) => b.ms - a.ms).slice(0, Number(values.top))) {
    console.log(
      `\n${s.ms} ms (${s.samples} samples, longest ${s.longestSampleMs} ms) at +${((s.startUs - t0) / 1e6).toFixed(2)} s (hrtime ${(s.startUs / 1e6).toFixed(3)} s)`,
    );
    for (const l of s.self) console.log(`  self ${l}`);
    for (const l of s.heaviest) console.log(`  stack ${l}`);
  }
}
