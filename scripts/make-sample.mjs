// Generates a sample repository for the demo, the end-to-end tests and the CLI quick start:
// a small JavaScript project on branch `main` (one commit), a swarm.json that runs the built-in
// demo agents (no API keys), and tasks in tasks/pending/*.md with YAML frontmatter whose bodies
// carry the small machine-readable block the demo worker acts on.
//
//   node scripts/make-sample.mjs <dir> [--review agent|human|agent+human] [--workers N]
//        [--tasks N] [--no-config] [--extra blocked,needs-changes,override,rejected,malformed] [--delay-ms MS] [--max-rounds N]
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
  'package.json':
    JSON.stringify({ name: 'greetings', version: '1.0.0', private: true, main: 'src/greet.js', scripts: { test: 'node --test' } }, null, 2) + '\n',
  'src/greet.js': "'use strict';\n\nfunction greet(name) {\n  return `Hello, ${name}!`;\n}\n\nmodule.exports = { greet };\n",
  'src/math.js': "'use strict';\n\nfunction add(a, b) {\n  return a + b;\n}\n\nmodule.exports = { add };\n",
  '.gitignore': 'node_modules/\n.swarm/\n',
};

/**
 * The demo agents' block (src/swarm/demo/agent.ts): a fenced ```swarm-demo block, one `key: value`
 * per line; `content` is one line with \n for line breaks.
 *   file: path                 the file the demo worker writes (with `content`)
 *   content: text              its content ({{answer}} is replaced by the user's answer)
 *   ask: question?             the worker answers BLOCKED: question until the task has an answer
 *   fail_first_review: true    round 1 is wrong (the demo reviewer asks for a fix), the fix is right
 *   reject: true               the demo reviewer rejects it
 *   delay_ms: 1500             the worker "thinks" this long (so a person can watch it run)
 */
function demoBlock(demo, delayMs) {
  const lines = [`file: ${demo.file}`, `content: ${demo.content}`];
  if (demo.ask) lines.push(`ask: ${demo.ask}`);
  if (demo.fail_first_review) lines.push('fail_first_review: true');
  if (demo.reject) lines.push('reject: true');
  if (delayMs) lines.push(`delay_ms: ${delayMs}`);
  return ['```swarm-demo', ...lines, '```'].join('\n');
}

/** The default tasks, in priority order. Each is small, independent and merges cleanly. */
export const SAMPLE_TASKS = [
  {
    id: 'add-farewell',
    title: 'Add a farewell function',
    priority: 10,
    body: 'Add `src/farewell.js` exporting `farewell(name)`, which returns "Goodbye, <name>!".',
    demo: { file: 'src/farewell.js', content: "'use strict';\\n\\nexports.farewell = (name) => `Goodbye, ${name}!`;" },
  },
  {
    id: 'add-multiply',
    title: 'Add multiply to the math helpers',
    priority: 20,
    body: 'Add `src/multiply.js` exporting `multiply(a, b)`.',
    demo: { file: 'src/multiply.js', content: "'use strict';\\n\\nexports.multiply = (a, b) => a * b;" },
  },
  {
    id: 'document-usage',
    title: 'Document usage',
    priority: 30,
    body: 'Write `docs/usage.md` with an example of `greet`.',
    demo: { file: 'docs/usage.md', content: "# Usage\\n\\n    const { greet } = require('greetings');\\n    greet('Ada'); // Hello, Ada!" },
  },
  {
    id: 'add-notice',
    title: 'Add a NOTICE file',
    priority: 40,
    body: 'Create `NOTICE` saying the repository was generated for the Worktree Swarm demo.',
    demo: { file: 'NOTICE', content: 'This repository was generated for the Worktree Swarm demo.' },
  },
  {
    id: 'add-shout',
    title: 'Add a shout helper',
    priority: 50,
    body: 'Add `src/shout.js` exporting `shout(text)`, which upper-cases the text and adds "!".',
    demo: { file: 'src/shout.js', content: "'use strict';\\n\\nexports.shout = (text) => `${text.toUpperCase()}!`;" },
  },
  {
    id: 'add-changelog',
    title: 'Start a changelog',
    priority: 60,
    body: 'Create `CHANGELOG.md` with a 1.0.0 entry.',
    demo: { file: 'CHANGELOG.md', content: '# Changelog\\n\\n## 1.0.0\\n\\n- First version.' },
  },
];

/** Extra tasks for particular scenarios. */
export const EXTRA_TASKS = {
  /** The worker asks a question first (BLOCKED), then writes the answer into the file. */
  blocked: {
    id: 'pick-greeting-language',
    title: 'Pick the greeting language',
    priority: 5,
    body: 'Ask which language the greeting should use, then write it to `src/lang.txt`.',
    demo: { file: 'src/lang.txt', content: 'language: {{answer}}', ask: 'Which language should the greeting use?' },
  },
  /** Round 1 leaves a TODO in the file (the demo reviewer says NEEDS_CHANGES); the fix round is right. */
  'needs-changes': {
    id: 'add-subtract',
    title: 'Add subtract',
    priority: 15,
    body: 'Add `src/subtract.js` exporting `subtract(a, b)`.',
    demo: { file: 'src/subtract.js', content: "'use strict';\\n\\nexports.subtract = (a, b) => a - b;", fail_first_review: true },
  },
  /** Like needs-changes: round 1 leaves a TODO; with review.max_rounds 1 it goes to you (Override). */
  override: {
    id: 'add-divide',
    title: 'Add divide',
    priority: 16,
    body: 'Add `src/divide.js` exporting `divide(a, b)`.',
    demo: { file: 'src/divide.js', content: "'use strict';\\n\\nexports.divide = (a, b) => a / b;", fail_first_review: true },
  },
  /** The demo reviewer rejects this one. */
  rejected: {
    id: 'rewrite-everything',
    title: 'Rewrite everything in one file',
    priority: 70,
    body: 'Put the whole library into `everything.js` (the demo reviewer rejects this).',
    demo: { file: 'everything.js', content: '// everything', reject: true },
  },
  /** Not a task: broken YAML frontmatter, so the swarm quarantines it with the reason. */
  malformed: { id: 'broken-task', raw: '---\ntitle: [unclosed\npriority: high\n---\nThis file cannot be parsed.\n' },
};

export function taskFile(t, delayMs = 0) {
  if (t.raw) return t.raw;
  const fm = ['---', `id: ${t.id}`, `title: ${JSON.stringify(t.title)}`, `priority: ${t.priority}`];
  if (t.depends_on) fm.push(`depends_on: [${t.depends_on.join(', ')}]`);
  fm.push('---');
  return `${fm.join('\n')}\n# ${t.title}\n\n${t.body}\n\n${demoBlock(t.demo, delayMs)}\n`;
}

/** swarm.json for the demo agents. */
export function sampleConfig({ review = 'agent', workers = 2, iterations = 10, maxRounds = 3 } = {}) {
  return {
    base: 'main',
    tasks_dir: 'tasks',
    workers: [{ role: 'worker', harness: 'demo', count: workers, iterations }],
    review: { mode: review, harness: 'demo', max_rounds: maxRounds },
  };
}

/**
 * Create the sample in `dir` (which must not exist or be empty).
 * options: review ('agent' | 'human' | 'agent+human'), workers (count), tasks (how many of
 * SAMPLE_TASKS), config (false: no swarm.json, for the Initialize flow), extra (keys of
 * EXTRA_TASKS), commitTasks (commit tasks/ too; default false: the task folders are the
 * swarm's hub in the checkout and stay untracked), delayMs (how long the demo worker "thinks" per
 * turn, so a person can watch tasks move), maxRounds (review.max_rounds).
 */
export function makeSample(dir, options = {}) {
  const { review = 'agent', workers = 2, tasks = 4, config = true, extra = [], commitTasks = false, delayMs = 0, maxRounds = 3 } = options;
  dir = resolve(dir);
  if (existsSync(dir) && readdirSync(dir).length) throw new Error(`make-sample: ${dir} exists and is not empty`);
  mkdirSync(dir, { recursive: true });
  const write = (rel, text) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

  for (const [rel, text] of Object.entries(PROJECT)) write(rel, text);
  if (config) write('swarm.json', JSON.stringify(sampleConfig({ review, workers, maxRounds }), null, 2) + '\n');
  const list = [
    ...SAMPLE_TASKS.slice(0, tasks),
    ...extra.map((k) => {
      const t = EXTRA_TASKS[k];
      if (!t) throw new Error(`make-sample: unknown extra task "${k}" (known: ${Object.keys(EXTRA_TASKS).join(', ')})`);
      return t;
    }),
  ];
  for (const t of list) write(`tasks/pending/${t.id}.md`, taskFile(t, delayMs));
  for (const f of ['current', 'complete']) mkdirSync(join(dir, 'tasks', f), { recursive: true });

  git('init', '-q', '-b', 'main');
  git('add', '--', ...Object.keys(PROJECT), ...(config ? ['swarm.json'] : []), ...(commitTasks ? ['tasks'] : []));
  git(
    '-c',
    'user.name=Swarm Sample',
    '-c',
    'user.email=sample@example.invalid',
    '-c',
    'commit.gpgsign=false',
    'commit',
    '-q',
    '-m',
    'Sample project for the Worktree Swarm demo',
  );
  return { dir, tasks: list.filter((t) => !t.raw).map((t) => t.id), malformed: list.filter((t) => t.raw).map((t) => t.id) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const opt = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const dir = argv.find((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--') && !['--no-config'].includes(argv[i - 1])));
  if (!dir || argv.includes('--help')) {
    console.error(
      'usage: node scripts/make-sample.mjs <dir> [--review agent|human|agent+human] [--workers N] [--tasks N] [--no-config] [--extra blocked,needs-changes,override,rejected,malformed] [--delay-ms MS] [--max-rounds N]',
    );
    process.exit(dir ? 0 : 2);
  }
  const r = makeSample(dir, {
    review: opt('--review') ?? 'agent',
    workers: Number(opt('--workers') ?? 2),
    tasks: Number(opt('--tasks') ?? 4),
    config: !argv.includes('--no-config'),
    extra: (opt('--extra') ?? '').split(',').filter(Boolean),
    delayMs: Number(opt('--delay-ms') ?? 0),
    maxRounds: Number(opt('--max-rounds') ?? 3),
  });
  console.log(`Sample repository: ${r.dir}`);
  console.log(`Tasks in tasks/pending: ${r.tasks.join(', ')}${r.malformed.length ? ` (+ malformed: ${r.malformed.join(', ')})` : ''}`);
  console.log(`Run it headless:   node dist/cli.js run --repo ${r.dir}`);
}
