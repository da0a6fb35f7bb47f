// The README's quick start, headless: build, generate a sample repository with 20 tasks and the
// built-in demo agents (no API keys), and run the swarm on it with 4 workers through the CLI.
//   npm run demo:cli [-- --dir /tmp/my-sample] [--workers N] [--review human]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { ensureDeps } from './ensure-deps.mjs';

ensureDeps();
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const step = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

step(process.execPath, ['esbuild.mjs']);
const { makeSample, SAMPLE_TASKS, EXTRA_TASKS, taskFile } = await import('./make-sample.mjs');
const dir = opt('--dir', join(mkdtempSync(join(tmpdir(), 'swarm-demo-')), 'greetings'));
const workers = Number(opt('--workers', '4'));
const review = opt('--review', 'agent');
makeSample(dir, { workers, tasks: SAMPLE_TASKS.length, review, extra: ['needs-changes'] });
// Top up to 20 independent tasks so the four workers have something to share.
const have = SAMPLE_TASKS.length + 1;
for (let i = 1; i <= 20 - have; i++) {
  const id = `note-${String(i).padStart(2, '0')}`;
  writeFileSync(
    join(dir, 'tasks', 'pending', `${id}.md`),
    taskFile({
      id,
      title: `Write note ${i}`,
      priority: 50 + i,
      body: `Write \`notes/${id}.md\` with one line.`,
      demo: { file: `notes/${id}.md`, content: `Note ${i}: the swarm wrote this.` },
    }),
  );
}
console.log(`\nsample repository: ${dir} (20 tasks, ${workers} demo workers, review: ${review})\n`);
const t0 = Date.now();
const r = spawnSync(process.execPath, ['dist/cli.js', 'run', '--repo', dir], { stdio: 'inherit' });
console.log(`\nwall time ${((Date.now() - t0) / 1000).toFixed(1)} s. Look around:`);
console.log(`  git -C ${dir} log --oneline --graph | head -30`);
console.log(`  node dist/cli.js tasks --repo ${dir}`);
void EXTRA_TASKS;
process.exit(r.status ?? 1);
