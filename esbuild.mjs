// Bundles: the extension (node, cjs, `vscode` external), the review panel webview (browser),
// the run timeline panel's page, the headless CLI and the built-in demo agent (node, cjs, with a shebang).
import * as esbuild from 'esbuild';
import { mkdirSync, copyFileSync, statSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
// mainFields: ESM entry first: jsonc-parser's UMD main requires its modules dynamically, which a
// bundle cannot follow ("Cannot find module './impl/format'").
const common = { bundle: true, mainFields: ['module', 'main'], sourcemap: !production, minify: production, logLevel: 'warning', legalComments: 'none' };

const builds = [
  {
    ...common,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  },
  {
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
  { ...common, entryPoints: ['src/engineChild/main.ts'], outfile: 'dist/engine-child.js', platform: 'node', format: 'cjs', target: 'node20' }, // the engine process of a run started in VS Code (src/extension/engineChild.ts)
  {
    ...common,
    entryPoints: ['src/swarm/demo/agent.ts'],
    outfile: 'dist/demo-agent.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    ...common,
    entryPoints: ['src/webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    loader: { '.css': 'text' },
  },
  { ...common, entryPoints: ['src/webview/timeline.ts'], outfile: 'dist/timeline.js', platform: 'browser', format: 'iife', target: 'es2022' }, // the run timeline panel (timelinePanel.ts)
];

mkdirSync('dist', { recursive: true });
const existing = builds.filter((b) => {
  try {
    return statSync(b.entryPoints[0]).isFile();
  } catch {
    return false;
  }
});
if (watch) {
  for (const b of existing) (await esbuild.context(b)).watch();
} else {
  await Promise.all(existing.map((b) => esbuild.build(b)));
  try {
    copyFileSync('node_modules/@vscode/codicons/dist/codicon.css', 'dist/codicon.css');
    copyFileSync('node_modules/@vscode/codicons/dist/codicon.ttf', 'dist/codicon.ttf');
  } catch {
    /* webview not built yet */
  }
}
