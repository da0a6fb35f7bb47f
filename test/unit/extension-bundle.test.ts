// The extension bundled as esbuild.mjs bundles it (node, cjs, only `vscode` external) into a temp
// folder — dist/ is shared with concurrent builds — loads, activates with the real engine and the
// real review panels, and leaves nothing behind. Its speed (activate < 50 ms) is measured in
// bench/ (row 3), not here: a timed assertion fails on a busy machine.
import { fake, createFakeExtensionContext } from '../helpers/fake-vscode';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { buildSync } from 'esbuild';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

test('the extension bundle activates, registers its views, commands and the review panel serializer, and deactivates cleanly', async () => {
  fake.reset();
  const root = mkdtempSync(join(tmpdir(), 'swarm-bundle-'));
  const bundle = join(root, 'dist', 'extension.js');
  try {
    buildSync({
      entryPoints: [join(__dirname, '..', '..', 'src', 'extension', 'extension.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode'],
      logLevel: 'warning',
    });
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: root });
    fake.setFolders([root]);
    const t0 = performance.now();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ext = require(bundle) as { activate(c: unknown): unknown; deactivate(): Promise<void>; lastActivationMs: number };
    const loadMs = performance.now() - t0;
    ext.activate(createFakeExtensionContext());
    console.log(`bundle ${(statSync(bundle).size / 1024).toFixed(0)} KB, require ${loadMs.toFixed(1)} ms, activate ${ext.lastActivationMs.toFixed(2)} ms`);
    assert.ok(fake.treeViews.has('swarm.tasks') && fake.treeViews.has('swarm.worktrees'));
    assert.ok(fake.commands.has('swarm.start'));
    assert.deepEqual(fake.serializers, ['swarm.review']);
    assert.ok(fake.contentProviders.has('swarm-git') && fake.contentProviders.has('swarm-worktree-base'));
    await ext.deactivate();
    assert.equal(fake.commands.size, 0);
    assert.equal(fake.treeViews.get('swarm.tasks')?.disposed, true);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
