// Bundle bench/lib/engine.ts → bench/.build/engine.cjs (node, cjs), like esbuild.mjs does for the CLI.
import * as esbuild from 'esbuild';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { BENCH } from './util.mjs';

export const ENGINE = join(BENCH, '.build', 'engine.cjs');

export async function buildEngine() {
  await esbuild.build({ entryPoints: [join(BENCH, 'lib', 'engine.ts')], outfile: ENGINE, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning', external: ['vscode'], mainFields: ['module', 'main'] }); // jsonc-parser's UMD build cannot be bundled (esbuild.mjs does the same)
  return ENGINE;
}

export function loadEngine() {
  return createRequire(import.meta.url)(ENGINE);
}
