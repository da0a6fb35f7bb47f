// Hazard 17: the login shell's PATH, resolved once when VS Code was started from a GUI launcher,
// read between markers (rc files print banners), bounded by a timeout, never rejecting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergePaths, parseMarkedPath, resolveLoginShellPath, startedFromGui } from '../../src/extension/shellPath';

test('GUI launch is recognised by the absence of terminal variables; never on Windows', () => {
  assert.equal(startedFromGui({ PATH: '/usr/bin' }, 'darwin'), true);
  assert.equal(startedFromGui({ PATH: '/usr/bin', TERM: 'xterm-256color' }, 'linux'), false);
  assert.equal(startedFromGui({ VSCODE_CLI: '1' }, 'linux'), false);
  assert.equal(startedFromGui({ TERM_PROGRAM: 'iTerm.app' }, 'darwin'), false);
  assert.equal(startedFromGui({}, 'win32'), false);
});

test('the PATH is read between markers, whatever the rc files print around it', () => {
  assert.equal(parseMarkedPath('Welcome!\n__SWARM_PATH_START__/a:/b__SWARM_PATH_END__\nbye'), '/a:/b');
  assert.equal(parseMarkedPath('no markers'), undefined);
  assert.equal(parseMarkedPath('__SWARM_PATH_START____SWARM_PATH_END__'), undefined);
  assert.equal(mergePaths('/home/u/.local/bin:/usr/bin', '/usr/bin:/bin:/usr/bin'), '/home/u/.local/bin:/usr/bin:/bin');
});

test('resolveLoginShellPath runs $SHELL -ilc once; a slow shell times out; a terminal launch skips it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-shell-'));
  try {
    const shell = join(dir, 'fakeshell');
    // A "login shell" that prints a banner, then runs the command it was given with its own PATH.
    writeFileSync(shell, `#!/bin/sh\necho "motd: hello"\nPATH=/opt/agents/bin:/usr/bin\nexport PATH\nshift\nexec /bin/sh -c "$1"\n`);
    chmodSync(shell, 0o755);
    const r = await resolveLoginShellPath({ env: { SHELL: shell, PATH: '/usr/bin:/bin' }, platform: 'linux' });
    assert.equal(r.path, '/opt/agents/bin:/usr/bin:/bin');
    assert.match(r.note, /login shell/);

    const slow = join(dir, 'slowshell');
    writeFileSync(slow, '#!/bin/sh\nsleep 5\n');
    chmodSync(slow, 0o755);
    const t0 = Date.now();
    const timedOut = await resolveLoginShellPath({ env: { SHELL: slow, PATH: '/usr/bin' }, platform: 'linux', timeoutMs: 200 });
    assert.equal(timedOut.path, undefined, 'falls back to the inherited PATH');
    assert.ok(Date.now() - t0 < 3000, 'did not wait for the slow shell');
    assert.match(timedOut.note, /could not read the PATH/);

    const terminal = await resolveLoginShellPath({ env: { SHELL: shell, TERM: 'xterm' }, platform: 'linux' });
    assert.equal(terminal.path, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
