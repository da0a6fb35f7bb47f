// The built-in demo agents: deterministic, no API keys, run through the command harness like any
// agent (prompt on stdin, SWARM_* environment, reply on stdout). A task describes its change in a
// small machine-readable block:
//
//   ```swarm-demo
//   file: src/hello.txt
//   content: Hello, {{answer}}!
//   ask: Whom should the greeting address?     (optional: BLOCKED until answered)
//   fail_first_review: true                    (optional: round 1 is wrong, the fix round is right)
//   reject: true                               (optional: the reviewer rejects it)
//   followup: Translate the greeting           (optional: the worker adds a task to pending)
//   delay_ms: 500                              (optional: pretend to think)
//   ```
//
// The demo worker makes exactly that change; the demo reviewer checks the committed files against
// the block and answers with a strict verdict. The demo planner adds two tasks, then says __DONE__.

import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join, dirname, resolve, relative } from 'node:path';
import { execFileSync } from 'node:child_process';

export interface DemoSpec {
  files: { path: string; content: string }[];
  ask?: string;
  failFirstReview: boolean;
  reject: boolean;
  followup?: string;
  delayMs?: number;
}

export function parseDemoBlock(text: string): DemoSpec | undefined {
  const m = /```swarm-demo\s*\n([\s\S]*?)```/.exec(text);
  if (!m) return undefined;
  const spec: DemoSpec = { files: [], failFirstReview: false, reject: false };
  for (const raw of m[1].split('\n')) {
    const kv = /^\s*([a-z_]+):\s?(.*)$/.exec(raw);
    if (!kv) continue;
    const [, k, v] = kv;
    const value = v.replace(/\\n/g, '\n');
    if (k === 'file') spec.files.push({ path: value.trim(), content: '' });
    else if (k === 'content' && spec.files.length) spec.files[spec.files.length - 1].content = value;
    else if (k === 'ask') spec.ask = value.trim();
    else if (k === 'fail_first_review') spec.failFirstReview = value.trim() === 'true';
    else if (k === 'reject') spec.reject = value.trim() === 'true';
    else if (k === 'followup') spec.followup = value.trim();
    else if (k === 'delay_ms') spec.delayMs = Number(value.trim()) || 0;
  }
  return spec;
}

/** The answer the user gave to a blocked question, from the task file's frontmatter. */
function answerOf(taskText: string): string | undefined {
  const fm = /^---\n([\s\S]*?)\n---/.exec(taskText)?.[1] ?? '';
  const line = /^answer:\s*(.*)$/m.exec(fm)?.[1];
  if (!line) return undefined;
  const t = line.trim();
  return t.startsWith("'") || t.startsWith('"') ? t.slice(1, -1).replace(/''/g, "'") : t;
}

export function expectedContent(spec: DemoSpec, file: { content: string }, answer: string | undefined): string {
  return `${file.content.replace(/\{\{answer\}\}/g, answer ?? '')}\n`;
}

function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function insideWorktree(root: string, p: string): string | undefined {
  const abs = resolve(root, p);
  const rel = relative(root, abs);
  return rel.startsWith('..') || rel === '' ? undefined : abs;
}

function worker(): number {
  const taskFile = process.env.SWARM_TASK_FILE;
  const cwd = process.cwd();
  if (!taskFile || !existsSync(taskFile)) {
    console.log('demo worker: no task file (SWARM_TASK_FILE)');
    return 1;
  }
  const text = readFileSync(taskFile, 'utf8');
  const spec = parseDemoBlock(text);
  const round = Number(process.env.SWARM_ROUND ?? '1');
  sleepSync(spec?.delayMs ?? Number(process.env.SWARM_DEMO_DELAY_MS ?? '150'));
  if (!spec || !spec.files.length) {
    console.log(`demo worker: task ${process.env.SWARM_TASK_ID} has no swarm-demo block; nothing I can do.`);
    console.log(`BLOCKED: Task ${process.env.SWARM_TASK_ID} has no \`swarm-demo\` block telling the demo agent what to change. What should I do?`);
    return 0;
  }
  const answer = answerOf(text);
  if (spec.ask && !answer) {
    console.log(`demo worker: I need to know something first.`);
    console.log(`BLOCKED: ${spec.ask}`);
    return 0;
  }
  for (const f of spec.files) {
    const abs = insideWorktree(cwd, f.path);
    if (!abs) {
      console.log(`demo worker: refusing to write outside the worktree: ${f.path}`);
      return 1;
    }
    mkdirSync(dirname(abs), { recursive: true });
    let content = expectedContent(spec, f, answer);
    if (spec.failFirstReview && round === 1) content = `${content}TODO: finish this\n`;
    writeFileSync(abs, content);
    console.log(`demo worker: wrote ${f.path} (${content.length} bytes)`);
  }
  if (spec.followup && round === 1 && process.env.SWARM_TASKS_DIR) {
    const id = `${process.env.SWARM_TASK_ID}-followup`;
    const target = join(process.env.SWARM_TASKS_DIR, 'pending', `${id}.md`);
    if (!existsSync(target)) {
      writeFileSync(
        target,
        `---\ntitle: ${JSON.stringify(spec.followup)}\n---\n${spec.followup}\n\n\`\`\`swarm-demo\nfile: followups/${id}.txt\ncontent: ${spec.followup}\n\`\`\`\n`,
        { flag: 'wx' },
      );
      console.log(`demo worker: added follow-up task ${id}`);
    }
  }
  console.log('COMPLETE_AND_READY_FOR_MERGE');
  return 0;
}

function reviewer(): number {
  const taskFile = process.env.SWARM_TASK_FILE;
  const text = taskFile && existsSync(taskFile) ? readFileSync(taskFile, 'utf8') : '';
  const spec = parseDemoBlock(text);
  sleepSync(Number(process.env.SWARM_DEMO_DELAY_MS ?? '150') / 2);
  if (!spec) {
    console.log('The task has no swarm-demo block, so the demo reviewer cannot check it.');
    console.log('VERDICT: NEEDS_CHANGES');
    return 0;
  }
  if (spec.reject) {
    console.log('This change goes the wrong way (the task asks the demo reviewer to reject it).');
    console.log('VERDICT: REJECTED');
    return 0;
  }
  const answer = answerOf(text);
  const problems: string[] = [];
  for (const f of spec.files) {
    let actual: string | undefined;
    try {
      actual = execFileSync('git', ['show', `HEAD:${f.path}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      actual = undefined;
    }
    const want = expectedContent(spec, f, answer);
    if (actual === undefined) problems.push(`- \`${f.path}\` is missing.`);
    else if (actual !== want) problems.push(`- \`${f.path}\` should be exactly ${JSON.stringify(want)}, found ${JSON.stringify(actual.slice(0, 200))}.`);
  }
  if (problems.length) {
    console.log('The change does not match the task yet:');
    console.log(problems.join('\n'));
    console.log('VERDICT: NEEDS_CHANGES');
  } else {
    console.log(`Checked ${spec.files.length} file(s): each has exactly the content the task asks for.`);
    console.log('VERDICT: APPROVED');
  }
  return 0;
}

function planner(): number {
  const dir = process.env.SWARM_TASKS_DIR;
  if (!dir) return 1;
  const iteration = Number(process.env.SWARM_ROUND ?? '1');
  if (iteration > 2) {
    console.log('__DONE__');
    return 0;
  }
  const id = `planned-${iteration}`;
  const target = join(dir, 'pending', `${id}.md`);
  if (!existsSync(target)) {
    writeFileSync(
      target,
      `---\ntitle: Planned step ${iteration}\n---\nWrite the planned note.\n\n\`\`\`swarm-demo\nfile: planned/${id}.txt\ncontent: planned step ${iteration}\n\`\`\`\n`,
      { flag: 'wx' },
    );
    console.log(`demo planner: added ${id}`);
  }
  return 0;
}

function main(): number {
  // Drain stdin (the prompt) so the harness's write never blocks.
  try {
    readFileSync(0);
  } catch {
    /* closed */
  }
  const role = process.env.SWARM_ROLE;
  if (role === 'reviewer') return reviewer();
  if (role === 'planner') return planner();
  return worker();
}

if (require.main === module) process.exitCode = main();
