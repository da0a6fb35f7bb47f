// Per-turn cost of the agent sandbox (issue 13): median wall time of 50 starts of `true`
//   - plain (spawn `true`),
//   - in bubblewrap with the base flags only (the availability probe),
//   - with a worker turn's whole policy (worktree, git data, own ref folder, deny list, no
//     network) as AgentSandbox.prepare builds it, prepare + dispose included,
//   - the same with a loopback bridge (socat inside, a unix socket served by this process).
// Run: node --import tsx bench/sandbox-start.ts [--n 50] [--json]
// Needs bubblewrap (and socat for the last line). Prints a table; --json prints the numbers.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { AgentSandbox, BASE_FLAGS, detectSandbox } from '../src/swarm/sandbox';

const n = Number(process.argv[process.argv.indexOf('--n') + 1]) || 50;
const json = process.argv.includes('--json');

function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const t = process.hrtime.bigint();
  return new Promise((res, rej) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: 'ignore', env });
    c.on('error', rej);
    c.on('close', (code) => (code === 0 ? res(Number(process.hrtime.bigint() - t) / 1e6) : rej(new Error(`${argv.join(' ')}: exit ${code}`))));
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function measure(f: () => Promise<number>): Promise<{ median: number; p90: number }> {
  await f(); // warm-up
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(await f());
  const s = [...xs].sort((a, b) => a - b);
  return { median: Math.round(median(xs) * 100) / 100, p90: Math.round(s[Math.floor(s.length * 0.9)] * 100) / 100 };
}

async function main(): Promise<void> {
  const avail = detectSandbox();
  if (!avail.available || !avail.bwrap) { console.error(`no sandbox: ${avail.reason}`); process.exit(1); }
  const home = mkdtempSync(join(tmpdir(), 'swarm-bench-sb-'));
  const root = join(home, 'repo');
  const g = (...a: string[]) => execFileSync('git', a, { cwd: root, stdio: 'ignore' });
  execFileSync('git', ['init', '-q', '-b', 'main', root]);
  g('-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '--allow-empty', '-m', 'init');
  const wt = join(root, '.swarm', 'worktrees', 't1');
  g('worktree', 'add', '-q', '-b', 'swarm/w1/t1', wt);
  const sb = new AgentSandbox({ mode: 'auto', allowWrite: [], denyRead: [], allowDomains: [] }, { root, commonDir: join(root, '.git'), tasksDir: join(root, 'tasks') }, avail);
  const server = createServer((s) => s.end()).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as { port: number }).port;
  const turn = async (env: NodeJS.ProcessEnv) => {
    const t = process.hrtime.bigint();
    const p = (await sb.prepare({ role: 'worker', cwd: wt, branch: 'swarm/w1/t1', harness: 'command', env }, ['true']))!;
    try { await run(p.argv); } finally { await p.dispose(); }
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const rows: Record<string, { median: number; p90: number }> = {};
  rows['plain `true`'] = await measure(() => run(['true']));
  rows['bwrap base flags + --unshare-net'] = await measure(() => run([avail.bwrap!, ...BASE_FLAGS, '--unshare-net', 'true']));
  rows['worker turn policy (prepare + bwrap + dispose)'] = await measure(() => turn({ ...process.env }));
  if (avail.socat) rows['worker turn + 1 loopback bridge (socat)'] = await measure(() => turn({ ...process.env, FAKE_BASE_URL: `http://127.0.0.1:${port}` }));
  server.close();
  rmSync(home, { recursive: true, force: true });
  const out = { n, bwrap: avail.version, load: loadavg().map((x) => Math.round(x * 100) / 100), ms: rows };
  if (json) { console.log(JSON.stringify(out)); return; }
  console.log(`per-turn sandbox start cost, ${n} runs each (${avail.version}; load ${out.load.join(' ')})`);
  console.log('| what | median ms | p90 ms |\n|---|---|---|');
  for (const [k, v] of Object.entries(rows)) console.log(`| ${k} | ${v.median} | ${v.p90} |`);
}

void main();
