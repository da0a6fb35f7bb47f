// The engine process's side of re-attaching (src/engineChild/serve.ts with a listener,
// src/engineChild/socketServer.ts on a real socket): a run that can be re-attached goes on when its
// window goes; one window at a time; a client needs the token; another protocol version is refused
// with the engine's version; the files are private and removed at the end.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveEngine, type EngineChannel } from '../../src/engineChild/serve';
import { listenForHosts, type EngineListener, type HostSlot } from '../../src/engineChild/socketServer';
import { ENGINE_PROTOCOL_VERSION, engineDir, engineInfoPath } from '../../src/shared/engineSocket';
import { FakeEngine } from '../helpers/fake-swarm-workspace';
import { runIdNow } from '../../src/swarm/util';
import type { EngineToHost } from '../../src/shared/engineProtocol';
import type { RunSummary } from '../../src/swarm/types';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function fakeChannel() {
  const sent: EngineToHost[] = [];
  let onMessage: (m: unknown) => void = () => undefined;
  let onDisconnect: () => void = () => undefined;
  let closed = false;
  const channel: EngineChannel = {
    send: (m) => void sent.push(m),
    onMessage: (l) => (onMessage = l),
    onDisconnect: (l) => (onDisconnect = l),
    close: () => (closed = true),
  };
  return { channel, sent, deliver: (m: unknown) => onMessage(m), disconnect: () => onDisconnect(), closed: () => closed };
}
async function until<T>(fn: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function fakeListen() {
  const state: { slot?: HostSlot; closedWith?: RunSummary | 'attached' } = {};
  const listen = async (_root: string, _runId: string, slot: HostSlot): Promise<EngineListener> => {
    state.slot = slot;
    return { socket: '/x', close: (s) => (state.closedWith = s ?? 'attached') };
  };
  return { state, listen };
}

test('serve: a run that can be re-attached goes on when its window goes; the next one gets its state, then its events, and its Stop ends it', async () => {
  const engine = new FakeEngine();
  const ipc = fakeChannel();
  const l = fakeListen();
  const exit = serveEngine(ipc.channel, { openWorkspace: engine.openWorkspace, warn: () => undefined, listen: l.listen });
  ipc.deliver({ t: 'start', start: { workspace: { repo: '/r' }, run: { runId: runIdNow() } } });
  await until(() => l.state.slot, 'the listener');
  assert.match(l.state.slot!.busy() ?? '', /another VS Code window/, 'refused while the first window is there');
  const run = engine.workspaces[0].activeRun!;
  ipc.disconnect();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(run.stopped, undefined, 'not stopped: the window went without a Stop');
  assert.equal(l.state.slot!.busy(), undefined, 'a window may attach');

  const next = fakeChannel();
  l.state.slot!.attach(next.channel);
  assert.equal(next.sent[0]?.t, 'started', 'the run as it is, first');
  assert.deepEqual((next.sent[0] as Extract<EngineToHost, { t: 'started' }>).workers, run.workers());
  assert.equal(next.sent[1]?.t, 'state');
  next.deliver({ t: 'start', start: { workspace: { repo: '/other' }, run: { runId: runIdNow() } } });
  assert.equal(engine.opened.length, 1, 'a re-attached window cannot start another run');
  engine.workspaces[0].emit({ type: 'log', level: 'info', message: 'hello' });
  assert.ok(
    next.sent.some((m) => m.t === 'event' && m.event.type === 'log'),
    'then its events',
  );
  next.deliver({ t: 'stop', reason: 'stopped by the user' });
  assert.equal(await exit, 0);
  assert.equal(run.stopped, 'stopped by the user');
  assert.ok(next.sent.some((m) => m.t === 'done'));
  assert.equal(l.state.closedWith, 'attached', 'a window saw the end: no summary kept for the next');
  assert.ok(next.closed());
});

test('serve: a run that ends with no window attached keeps its summary for the next window', async () => {
  const engine = new FakeEngine();
  const ipc = fakeChannel();
  const l = fakeListen();
  const exit = serveEngine(ipc.channel, { openWorkspace: engine.openWorkspace, warn: () => undefined, listen: l.listen });
  ipc.deliver({ t: 'start', start: { workspace: { repo: '/r' }, run: { runId: runIdNow() } } });
  await until(() => l.state.slot, 'the listener');
  const next = fakeChannel();
  ipc.disconnect();
  l.state.slot!.attach(next.channel);
  next.disconnect(); // that window went too
  engine.workspaces[0].activeRun!.end('all done');
  assert.equal(await exit, 0);
  assert.equal((l.state.closedWith as RunSummary).reason, 'all done');
});

/** Connect, send `hello`, and collect what the engine answers until it closes (or `wait` ms). */
function client(socket: string, hello: unknown, wait = 2000): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const s = connect(socket, () => s.write(`${JSON.stringify(hello)}\n`));
    const timer = setTimeout(() => {
      s.destroy();
      resolve(data);
    }, wait);
    s.on('data', (c) => (data += c.toString()));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

test(
  "socket: private files; no token, no answer; another version refused with the engine's; one window at a time; files removed at the end",
  { skip: process.platform === 'win32' },
  async () => {
    const root = mkdtempSync(join(tmpdir(), 'swarm-sock-'));
    dirs.push(root);
    let attached: EngineChannel | undefined;
    const warnings: string[] = [];
    const slot: HostSlot = { busy: () => (attached ? 'another VS Code window is attached to this run' : undefined), attach: (h) => (attached = h) };
    const runId = runIdNow();
    const l = await listenForHosts(root, runId, slot, (m) => warnings.push(m));
    assert.ok(l, warnings.join('; '));
    assert.equal(statSync(engineDir(root)).mode & 0o777, 0o700);
    assert.equal(statSync(engineInfoPath(root)).mode & 0o777, 0o600);
    assert.equal(statSync(l.socket).mode & 0o777, 0o600);
    const info = JSON.parse(readFileSync(engineInfoPath(root), 'utf8')) as { token: string; pid: number; protocol: number; runId: string };
    assert.deepEqual([info.pid, info.protocol, info.runId], [process.pid, ENGINE_PROTOCOL_VERSION, runId]);

    assert.equal(await client(l.socket, { t: 'hello', protocol: ENGINE_PROTOCOL_VERSION, token: 'f'.repeat(64) }), '', 'a wrong token: dropped, no answer');
    assert.equal(await client(l.socket, { t: 'decide', id: 1 }), '', 'no hello: dropped');
    const other = JSON.parse(await client(l.socket, { t: 'hello', protocol: ENGINE_PROTOCOL_VERSION + 1, token: info.token }));
    assert.deepEqual(other, {
      t: 'refused',
      protocol: ENGINE_PROTOCOL_VERSION,
      pid: process.pid,
      reason: `this engine speaks protocol ${ENGINE_PROTOCOL_VERSION}`,
    });
    assert.equal(attached, undefined);

    const first = client(l.socket, { t: 'hello', protocol: ENGINE_PROTOCOL_VERSION, token: info.token }, 300);
    await until(() => attached, 'the window attached');
    const second = JSON.parse(await client(l.socket, { t: 'hello', protocol: ENGINE_PROTOCOL_VERSION, token: info.token }));
    assert.equal(second.t, 'refused');
    assert.match(second.reason, /another VS Code window/);
    assert.deepEqual(JSON.parse((await first).trim()), { t: 'hello', protocol: ENGINE_PROTOCOL_VERSION, pid: process.pid, runId });

    l.close();
    assert.ok(!existsSync(engineInfoPath(root)) && !existsSync(l.socket), 'engine.json and the socket removed');
    assert.ok(!existsSync(join(engineDir(root), 'finished.json')));
  },
);

test('socket: a folder that is not private to this user is not used (the run then ends with its window)', { skip: process.platform === 'win32' }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'swarm-sock-'));
  dirs.push(root);
  const { symlinkSync, mkdirSync } = await import('node:fs');
  mkdirSync(join(root, '.swarm'));
  const elsewhere = mkdtempSync(join(tmpdir(), 'swarm-elsewhere-'));
  dirs.push(elsewhere);
  symlinkSync(elsewhere, engineDir(root));
  const warnings: string[] = [];
  const l = await listenForHosts(root, runIdNow(), { busy: () => undefined, attach: () => undefined }, (m) => warnings.push(m));
  assert.equal(l, undefined);
  assert.match(warnings.join('\n'), /cannot outlive its window: .*symbolic link/);
});
