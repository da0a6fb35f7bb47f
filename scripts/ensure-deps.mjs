// Shared by the README's commands: on a fresh clone, install the npm packages first (npm ci).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export function ensureDeps() {
  if (existsSync('node_modules/.package-lock.json') && existsSync('node_modules/esbuild')) return;
  console.log('first run: installing npm packages (npm ci)...');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
