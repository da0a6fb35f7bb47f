// Generates a sample repository for the demo, the end-to-end tests and the CLI quick start:
// a small JavaScript project on branch `main` (one commit), a swarm.json that runs the built-in
// demo agents (no API keys), and tasks in tasks/pending/*.md with YAML frontmatter whose bodies
// carry the small machine-readable block the demo worker acts on.
//
//   node scripts/make-sample.mjs <dir> [--review agent|human|agent+human] [--workers N]
//                                      [--tasks N] [--no-config] [--extra blocked,needs-changes,malformed]
//   node dist/cli.js run --repo <dir>        # the same sample, headless
//
// Importable too: `makeSample(dir, options)` returns { dir, tasks: [ids] }.
// The repository has no git identity configured (as on a fresh machine); the one commit made
// here names its author on the command line only.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The sample project's files (path → content). */
const PROJECT = {
  'README.md': '# greetings\n\nA tiny library the demo swarm works on.\n',
  'package.json': JSON.stringify({ name: 'greetings', version: '1.0.0', private: true, main: 'src/greet.js', scripts: { test: 'node --test' } }, null, 2) + '\n',
  'src/greet.js': "'use strict';\n\nfunction greet(name) {\n  return `Hello, ${name}!`;\n}\n\nmodule.exports = { greet };\n",
  'src/math.js': "'use strict';\n\nfunction add(a, b) {\n  return a + b;\n}\n\nmodule.exports = { add };\n",
  '.gitignore': 'node_modules/\n.swarm/\n',
};

/**
 * The demo worker's block: a fenced ```demo block with one instruction per line, e.g.
 *   write: path            (the following lines up to `end` are the file's new content)
 *   append: path           (the following lines up to `end` are appended)
 *   ask: question?         (the worker answers BLOCKED: question until it has an answer)
 *   review: needs_changes  (the demo reviewer asks for one fix round before approving)
 */
function demoBlock(lines) {
  return ['```demo', ...lines, '```'].join('\n');
}

/** The default tasks, in priority order. Each is small, independent and merges cleanly. */
export const SAMPLE_TASKS = [
  {
    id: 'add-farewell',
    title: 'Add a farewell function',
    priority: 10,
    body: 'Add `farewell(name)` to a new module `src/farewell.js`, returning "Goodbye, <name>!".',
    demo: ['write: src/farewell.js', "'use strict';", '', 'function farewell(name) {', '  return `Goodbye, ${name}!`;', '}', '', 'module.exports = { farewell };', 'end'],
  },
  {
    id: 'add-multiply',
    title: 'Add multiply to the math module',
    priority: 20,
    body: 'Add `src/multiply.js` exporting `multiply(a, b)`.',
    demo: ['write: src/multiply.js', "'use strict';", '', 'function multiply(a, b) {', '  return a * b;', '}', '', 'module.exports = { multiply };', 'end'],
  },
  {
    id: 'document-usage',
    title: 'Document usage in the docs folder',
    priority: 30,
    body: 'Write `docs/usage.md` with an example of `greet`.',
    demo: ['write: docs/usage.md', '# Usage', '', '```js', "const { greet } = require('greetings');", "greet('Ada'); // Hello, Ada!", '```', 'end'],
  },
  {
    id: 'add-license-note',
    title: 'Add a NOTICE file',
    priority: 40,
    body: 'Create `NOTICE` saying the sample is generated for the Worktree Swarm demo.',
    demo: ['write: NOTICE', 'This repository was generated for the Worktree Swarm demo.', 'end'],
  },
  {
    id: 'add-shout',
    title: 'Add a shout helper',
    priority: 50,
    body: 'Add `src/shout.js` exporting `shout(text)` that upper-cases and adds "!".',
    demo: ['write: src/shout.js', "'use strict';", '', 'function shout(text) {', "  return `${text.toUpperCase()}!`;", '}', '', 'module.exports = { shout };', 'end'],
  },
  {
    id: 'add-changelog',
    title: 'Start a changelog',
    priority: 60,
    body: 'Create `CHANGELOG.md` with a 1.0.0 entry.',
    demo: ['write: CHANGELOG.md', '# Changelog', '', '## 1.0.0', '', '- First version.', 'end'],
  },
];

/** Extra tasks for particular scenarios. */
export const EXTRA_TASKS = {
  /** The worker asks a question first (BLOCKED), then makes the change once answered. */
  blocked: {
    id: 'pick-greeting-language',
    title: 'Pick the greeting language',
    priority: 5,
    body: 'Ask which language the greeting should use, then write `src/lang.js` exporting it.',
    demo: ['ask: Which language should the greeting use?', 'write: src/lang.js', "module.exports = { language: 'en' };", 'end'],
  },
  /** The demo reviewer answers NEEDS_CHANGES on the first round and APPROVED on the fix. */
  'needs-changes': {
    id: 'add-subtract',
    title: 'Add subtract (needs one fix round)',
    priority: 15,
    body: 'Add `src/subtract.js` exporting `subtract(a, b)`.',
    demo: ['review: needs_changes', 'write: src/subtract.js', "'use strict';", '', 'function subtract(a, b) {', '  return a - b;', '}', '', 'module.exports = { subtract };', 'end'],
  },
  /** Not a task: broken YAML frontmatter, so the swarm quarantines it with the reason. */
  malformed: { id: 'broken-task', raw: '---\ntitle: [unclosed\npriority: high\n---\nThis file cannot be parsed.\n' },
};

export function taskFile(t) {
  if (t.raw) return t.raw;
  const fm = ['---', `id: ${t.id}`, `title: ${JSON.stringify(t.title)}`, `priority: ${t.priority}`];
  if (t.depends_on) fm.push(`depends_on: [${t.depends_on.join(', ')}]`);
  fm.push('---');
  return `${fm.join('\n')}\n# ${t.title}\n\n${t.body}\n\n${demoBlock(t.demo)}\n`;
}

/** swarm.json for the demo agents. */
export function sampleConfig({ review = 'agent', workers = 2, iterations = 10 } = {}) {
  return {
    base: 'main',
    tasks_dir: 'tasks',
    workers: [{ role: 'worker', harness: 'demo', count: workers, iterations }],
    review: { mode: review, harness: 'demo', max_rounds: 3 },
  };
}

/**
 * Create the sample in `dir` (which must not exist or be empty).
 * options: review ('agent' | 'human' | 'agent+human'), workers (count), tasks (how many of
 * SAMPLE_TASKS), config (false: no swarm.json, for the Initialize flow), extra (keys of
 * EXTRA_TASKS), commitTasks (commit tasks/ too; default false: the task folders are the
 * swarm's hub in the checkout and stay untracked).
 */
export function makeSample(dir, options = {}) {
  const { review = 'agent', workers = 2, tasks = 4, config = true, extra = [], commitTasks = false } = options;
  dir = resolve(dir);
  if (existsSync(dir) && readdirSync(dir).length) throw new Error(`make-sample: ${dir} exists and is not empty`);
  mkdirSync(dir, { recursive: true });
  const write = (rel, text) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

  for (const [rel, text] of Object.entries(PROJECT)) write(rel, text);
  if (config) write('swarm.json', JSON.stringify(sampleConfig({ review, workers }), null, 2) + '\n');
  const list = [...SAMPLE_TASKS.slice(0, tasks), ...extra.map((k) => {
    const t = EXTRA_TASKS[k];
    if (!t) throw new Error(`make-sample: unknown extra task "${k}" (known: ${Object.keys(EXTRA_TASKS).join(', ')})`);
    return t;
  })];
  for (const t of list) write(`tasks/pending/${t.id}.md`, taskFile(t));
  for (const f of ['current', 'complete']) mkdirSync(join(dir, 'tasks', f), { recursive: true });

  git('init', '-q', '-b', 'main');
  git('add', '--', ...Object.keys(PROJECT), ...(config ? ['swarm.json'] : []), ...(commitTasks ? ['tasks'] : []));
  git('-c', 'user.name=Swarm Sample', '-c', 'user.email=sample@example.invalid', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'Sample project for the Worktree Swarm demo');
  return { dir, tasks: list.filter((t) => !t.raw).map((t) => t.id), malformed: list.filter((t) => t.raw).map((t) => t.id) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const opt = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
  const dir = argv.find((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--') && !['--no-config'].includes(argv[i - 1])));
  if (!dir || argv.includes('--help')) {
    console.error('usage: node scripts/make-sample.mjs <dir> [--review agent|human|agent+human] [--workers N] [--tasks N] [--no-config] [--extra blocked,needs-changes,malformed]');
    process.exit(dir ? 0 : 2);
  }
  const r = makeSample(dir, {
    review: opt('--review') ?? 'agent',
    workers: Number(opt('--workers') ?? 2),
    tasks: Number(opt('--tasks') ?? 4),
    config: !argv.includes('--no-config'),
    extra: (opt('--extra') ?? '').split(',').filter(Boolean),
  });
  console.log(`Sample repository: ${r.dir}`);
  console.log(`Tasks in tasks/pending: ${r.tasks.join(', ')}${r.malformed.length ? ` (+ malformed: ${r.malformed.join(', ')})` : ''}`);
  console.log(`Run it headless:   node dist/cli.js run --repo ${r.dir}`);
}
