// Bundle bench/lib/engine.ts → bench/.build/engine.cjs (node, cjs), like esbuild.mjs does for the CLI.
import * as esbuild from 'esbuild';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { BENCH, ROOT } from './util.mjs';

export const ENGINE = join(BENCH, '.build', 'engine.cjs');

export async function buildEngine() {
  await esbuild.build({
    entryPoints: [join(BENCH, 'lib', 'engine.ts')],
    outfile: ENGINE,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    external: ['vscode'],
    mainFields: ['module', 'main'],
  }); // jsonc-parser's UMD build requires its files at run time
  return ENGINE;
}

export function loadEngine() {
  return createRequire(import.meta.url)(ENGINE);
}

/**
 * dist/cli.js as it was at an earlier commit (a baseline measured in the same run): `git archive`
 * of that commit's src/ into scratch, bundled against this checkout's node_modules. undefined
 * when the commit is not in this repository.
 */
export async function buildCliAt(commit, scratch) {
  const { spawnSync } = await import('node:child_process');
  const { mkdirSync } = await import('node:fs');
  const dir = join(scratch, `src-${commit}`);
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('sh', ['-c', `git -C "$1" archive "$2" src | tar -x -C "$3"`, 'sh', ROOT, commit, dir], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const outfile = join(dir, 'cli.js');
  await esbuild.build({
    entryPoints: [join(dir, 'src', 'cli', 'main.ts')],
    outfile,
    bundle: true,
    mainFields: ['module', 'main'],
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
    nodePaths: [join(ROOT, 'node_modules')],
  });
  return outfile;
}
