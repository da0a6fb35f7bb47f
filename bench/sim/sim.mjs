#!/usr/bin/env node
// A small discrete-event simulation of a swarm beyond this machine (issue 17 target 6): W workers
// take tasks; each task is agent turns (work, then review) that start through a provider rate
// limit, a sandbox start and the engine's own work per turn, then a merge through ONE merge queue
// (the single writer of the base) whose merge check (a test suite) runs per merge or per batch.
// It shows where one merge queue stops scaling and what batching the check buys.
//
//   node bench/sim/sim.mjs [--costs FILE.json] [--tasks 2000] [--workers 4,8,...,256] [--json]
//
// Costs (seconds) default to the measured ones in bench/results/latest.json when present (the
// engine's work per task and the merge queue's per merge), else to the values below; agent turn
// times and the check are assumptions (real agents: minutes), said in the output.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    costs: { type: 'string' },
    tasks: { type: 'string', default: '2000' },
    workers: { type: 'string', default: '4,8,16,32,64,128,256' },
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

const defaults = {
  workTurnS: 120, // an agent's work turn (median; lognormal, sigma below)
  reviewTurnS: 40, // a reviewer turn
  turnSigma: 0.6,
  sandboxStartS: 0.05, // bench/results/sandbox.md: bwrap start with the whole policy
  engineWorkPerTaskS: 0.16, // orchestration bench: swarm ms/task minus the agents (git: worktree, commit, diff, cleanup)
  mergeS: 0.022, // merge-queue bench: per merge
  checkS: 60, // the merge check (a test suite) on the merged tree
  checkFailRate: 0.05, // a change that fails the check (goes back for a fix; re-queued after a fix turn)
  batch: 8, // changes checked together when batching (a failing batch is bisected)
  rateLimitPerMin: 200, // provider: turns that may START per minute (token bucket)
  providerConcurrency: 1000, // provider: turns at once
};

function measured() {
  const f = join(HERE, '..', 'results', 'latest.json');
  if (!existsSync(f)) return {};
  try {
    const r = JSON.parse(readFileSync(f, 'utf8'));
    const out = {};
    const o = r.orchestration?.swarm1?.[0];
    if (o && r.orchestration.tasks) out.engineWorkPerTaskS = Math.max(0, (o.ms - o.workerAgentMs - o.reviewerAgentMs) / r.orchestration.tasks / 1000);
    const m = r.mergeQueue?.summary?.perMergeMs?.queue;
    if (m) out.mergeS = m / 1000;
    return out;
  } catch {
    return {};
  }
}

const costs = { ...defaults, ...measured(), ...(values.costs ? JSON.parse(readFileSync(values.costs, 'utf8')) : {}) };
const TASKS = Number(values.tasks);

/** Seeded RNG (mulberry32) and a lognormal around a median. */
function rng(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function lognormal(r, median, sigma) {
  const u = Math.max(1e-12, r());
  const v = r();
  return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

/** A binary heap of events by time. */
class Events {
  h = [];
  push(t, f) {
    const h = this.h;
    h.push({ t, f });
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (h[p].t <= h[i].t) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }
  pop() {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (h.length) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1,
          r = l + 1;
        let m = i;
        if (l < h.length && h[l].t < h[m].t) m = l;
        if (r < h.length && h[r].t < h[m].t) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
  get size() {
    return this.h.length;
  }
}

function simulate(W, batching) {
  const r = rng(42 + W);
  const ev = new Events();
  let now = 0;
  let pending = TASKS;
  let merged = 0;
  let tokens = costs.rateLimitPerMin; // token bucket: refills rateLimitPerMin per minute
  let lastRefill = 0;
  let running = 0;
  const turnWaiters = [];
  const mergeQueue = [];
  let mergeBusy = false;
  let mergeBusyS = 0;
  let turnsS = 0;
  let rateWaitS = 0;

  // A turn: waits for a token and a provider slot, then runs (sandbox start + the turn).
  const turn = (seconds, done) => {
    turnWaiters.push({ seconds, done, since: now });
    pump();
  };
  function pump() {
    const refill = (now - lastRefill) * (costs.rateLimitPerMin / 60);
    if (refill >= 1) {
      tokens = Math.min(costs.rateLimitPerMin, tokens + Math.floor(refill));
      lastRefill = now;
    }
    while (turnWaiters.length && tokens >= 1 && running < costs.providerConcurrency) {
      const w = turnWaiters.shift();
      tokens--;
      running++;
      rateWaitS += now - w.since;
      const d = costs.sandboxStartS + w.seconds;
      turnsS += d;
      ev.push(now + d, () => {
        running--;
        w.done();
        pump();
      });
    }
    if (turnWaiters.length && tokens < 1) ev.push(lastRefill + 60 / costs.rateLimitPerMin + 1e-9, pump);
  }
  // The single writer: merges (and their check) one batch at a time.
  function mergeNext() {
    if (mergeBusy || !mergeQueue.length) return;
    mergeBusy = true;
    const batch = mergeQueue.splice(0, batching ? costs.batch : 1);
    const fails = batch.filter(() => r() < costs.checkFailRate);
    // Merging each, one check for the batch; a failing batch is bisected: about log2(n) more checks.
    const checks = fails.length ? 1 + Math.ceil(Math.log2(batch.length)) * fails.length : 1;
    const d = batch.length * costs.mergeS + checks * costs.checkS;
    mergeBusyS += d;
    ev.push(now + d, () => {
      mergeBusy = false;
      for (const job of batch) {
        if (fails.includes(job))
          turn(lognormal(r, costs.workTurnS, costs.turnSigma) / 2, () =>
            turn(lognormal(r, costs.reviewTurnS, costs.turnSigma), () => {
              mergeQueue.push(job);
              mergeNext();
            }),
          ); // a fix round, reviewed again
        else {
          merged++;
          job.worker();
        }
      }
      mergeNext();
    });
  }
  function worker() {
    if (pending <= 0) return;
    pending--;
    const job = { worker };
    turn(lognormal(r, costs.workTurnS, costs.turnSigma), () => {
      ev.push(now + costs.engineWorkPerTaskS, () =>
        turn(lognormal(r, costs.reviewTurnS, costs.turnSigma), () => {
          mergeQueue.push(job);
          mergeNext();
        }),
      );
    });
  }
  for (let i = 0; i < W; i++) worker();
  while (ev.size && merged < TASKS) {
    const e = ev.pop();
    now = e.t;
    e.f();
  }
  return {
    workers: W,
    batching,
    hours: now / 3600,
    tasksPerHour: Math.round(merged / (now / 3600)),
    mergeQueueBusy: Math.round((mergeBusyS / now) * 100),
    avgRateLimitWaitS: Math.round(rateWaitS / Math.max(1, TASKS * 2)),
    turnsBusyPerWorker: Math.round((turnsS / (now * W)) * 100),
  };
}

const rows = [];
for (const W of values.workers.split(',').map(Number)) for (const batching of [false, true]) rows.push(simulate(W, batching));
const md = [
  `Simulation of ${TASKS} tasks (bench/sim/sim.mjs). Costs (s): ${Object.entries(costs)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? Math.round(v * 1000) / 1000 : v}`)
    .join(', ')}.`,
  '',
  '| workers | check batching | tasks/hour | merge queue busy | avg wait for the rate limit per turn | workers busy in turns |',
  '|---|---|---|---|---|---|',
  ...rows.map(
    (x) =>
      `| ${x.workers} | ${x.batching ? `yes (${costs.batch})` : 'no'} | ${x.tasksPerHour} | ${x.mergeQueueBusy}% | ${x.avgRateLimitWaitS} s | ${x.turnsBusyPerWorker}% |`,
  ),
].join('\n');
if (values.out) {
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${md}\n`);
}
console.log(values.json ? JSON.stringify({ costs, rows }, null, 2) : md);
