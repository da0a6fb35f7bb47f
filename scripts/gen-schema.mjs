// Writes schemas/swarm.schema.json (contributed to VS Code through `jsonValidation`) from the
// same zod schema the engine validates swarm.json with, so the editor's squiggles and the
// engine's errors can never disagree. `--check` exits 1 when the committed file is stale.
import * as esbuild from 'esbuild';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'schemas', 'swarm.schema.json');
const tmp = mkdtempSync(join(tmpdir(), 'swarm-schema-'));
try {
  const bundle = join(tmp, 'config.cjs');
  await esbuild.build({
    entryPoints: [join(root, 'src/swarm/config.ts')],
    bundle: true,
    mainFields: ['module', 'main'],
    platform: 'node',
    format: 'cjs',
    outfile: bundle,
    logLevel: 'warning',
  });
  const { swarmJsonSchema } = createRequire(import.meta.url)(bundle);
  const text = JSON.stringify(swarmJsonSchema(), null, 2) + '\n';
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(out, 'utf8');
    } catch {
      /* missing counts as stale */
    }
    if (current !== text) {
      console.error(`${out} is out of date: run node scripts/gen-schema.mjs`);
      process.exit(1);
    }
  } else {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
