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
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeSample } from './make-sample.mjs';
import {
  CODE_SERVER,
  NODE24,
  QUIET_SETTINGS,
  codeServerEnv,
  extensionInstalled,
  freePort,
  installArgs,
  killGroup,
  makeProfile,
  startCodeServer,
  untilHealthy,
} from './code-server.mjs';

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

if (!argv.includes('--no-install')) {
  if (!existsSync(join(root, 'node_modules', '.bin', 'vsce'))) {
    step("Installing the extension's packages (npm ci)");
    run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error']);
  }
  step('Installing code-server and Node 24 (e2e/install.sh; a few minutes the first time)');
  run('bash', [join(root, 'e2e', 'install.sh')]);
}
if (!existsSync(NODE24) || !existsSync(CODE_SERVER)) {
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
const profile = makeProfile(state, QUIET_SETTINGS);
const env = codeServerEnv();

step('Installing the .vsix into code-server');
run(NODE24, installArgs(profile, vsix), { env });
if (!extensionInstalled(profile.extDir)) {
  console.error(`demo: the extension did not install into ${profile.extDir}`);
  process.exit(1);
}

const port = await freePort(Number(opt('--port', '8080')));

step(`Starting code-server on 127.0.0.1:${port}`);
const server = startCodeServer({ port, folder: sample, profile, env });
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
  await killGroup(server.pid, 5000);
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

if (!(await untilHealthy(port, 90_000))) {
  console.error(`code-server did not come up:\n${serverLog.slice(-3000)}`);
  await stop(1);
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
