// Preload (`node --require bench/lib/spawn-trace.cjs dist/cli.js ...`): appends one line per process
// the engine starts to $SWARM_SPAWN_TRACE: the command (git sub-command) and its caller, the first
// stack frames outside the process helpers (with --enable-source-maps: src/ file:line; none with
// SWARM_SPAWN_TRACE_NOSTACK=1, for measuring the engine's own CPU without the cost of the stacks).
// Used by bench/README.md's per-task attribution of processes (issue 17).
'use strict';
const cp = require('node:child_process');
const fs = require('node:fs');
const file = process.env.SWARM_SPAWN_TRACE;
const skip = /spawn-trace|node:|\/proc\.ts|\/git\.ts|\/gitCache\.ts|\/gitReads\.ts|runFile|processRunner/;
function caller() {
  if (process.env.SWARM_SPAWN_TRACE_NOSTACK) return '';
  const frames = (new Error().stack ?? '').split('\n').slice(2).map((l) => l.trim().replace(/^at /, ''));
  const mine = frames.filter((f) => !skip.test(f) && /src\//.test(f)).slice(0, 3);
  return mine.map((f) => f.replace(/.*src\//, '').replace(/:\d+\)?$/, '').replace(/\)$/, '')).join(' < ');
}
function describe(cmd, args) {
  const a = (args ?? []).filter((x) => typeof x === 'string');
  let i = 0;
  if (/(^|\/)git$/.test(cmd)) {
    while (i < a.length && (a[i] === '-c' || a[i] === '-C' || a[i].startsWith('--git-dir') || a[i].startsWith('--work-tree') || a[i] === '--no-pager' || a[i].startsWith('--literal'))) i += (a[i] === '-c' || a[i] === '-C') ? 2 : 1;
    const sub = a[i] ?? '';
    const two = ['worktree', 'config', 'rev-parse', 'cat-file', 'merge-base', 'symbolic-ref', 'update-ref', 'diff', 'status', 'branch', 'for-each-ref'].includes(sub) ? `${sub} ${(a[i + 1] ?? '').replace(/^(?!-).*/, '<arg>')}` : sub;
    return `git ${two}`.trim();
  }
  return cmd.replace(/.*\//, '');
}
if (file) {
  for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync']) {
    const orig = cp[name];
    cp[name] = function (cmd, args, ...rest) {
      try { fs.appendFileSync(file, `${describe(String(cmd), Array.isArray(args) ? args : [])}\t${name}\t${caller()}\n`); } catch { /* trace only */ }
      return orig.call(this, cmd, args, ...rest);
    };
  }
}
// The engine process's own CPU (user, sys in ms) at exit, beside the whole tree's (/usr/bin/time).
if (file) {
  process.on('exit', () => {
    const u = process.cpuUsage();
    try { fs.appendFileSync(file, `#self-cpu\tuser ${Math.round(u.user / 1000)} ms\tsys ${Math.round(u.system / 1000)} ms\n`); } catch { /* trace only */ }
  });
}
