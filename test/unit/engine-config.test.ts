// swarm.json / oompa.json (contract 1): one clear issue per bad field naming file, field and what
// was expected; JSON with comments; the seed's oompa.json with "claude:opus-4.5" model specs.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseSwarmConfig, swarmJsonSchema } from '../../src/swarm/config';
import { loadConfig, parseJsonc } from '../../src/swarm/configLoad';
import { parseModelSpec, parseOompaConfig } from '../../src/swarm/oompaConfig';
import { ConfigError, type ConfigIssue } from '../../src/swarm/errors';
import { STARTER_CONFIG } from '../../src/swarm/init';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'swarm-config-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function issuesOf(fn: () => unknown): ConfigIssue[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${(e as Error).message}`);
    return e.issues;
  }
  assert.fail('expected a ConfigError');
}

describe('swarm.json validation', () => {
  test('defaults: two demo workers, demo reviewer in agent mode, the default deny globs and limits', () => {
    const c = parseSwarmConfig({});
    assert.equal(c.format, 'swarm');
    assert.deepEqual(
      c.workers.map((w) => [w.id, w.role, w.harness]),
      [
        ['w1', 'worker', 'demo'],
        ['w2', 'worker', 'demo'],
      ],
    );
    assert.equal(c.review.mode, 'agent');
    assert.equal(c.review.maxRounds, 3);
    assert.deepEqual(c.policy.deny, ['.git/**', '**/*.pem', '**/.env*', 'secrets/**']);
    assert.equal(c.policy.maxLinesAdded, 800);
    assert.equal(c.tasksDir, 'tasks');
    assert.equal(c.limits.pollMs, 500);
    assert.equal(c.limits.rateLimitPauseMs, 300_000);
  });

  test('worker ids per role and name; count and iterations; harness settings resolved', () => {
    const c = parseSwarmConfig({
      workers: [
        { role: 'planner', harness: 'claude', model: 'opus-4.5', max_pending: 4 },
        { role: 'worker', harness: 'mine', count: 2, iterations: 7 },
        { role: 'executor', harness: 'codex', count: 2 },
        { name: 'fast', harness: 'demo', count: 1 },
      ],
      harnesses: { mine: { command: ['node', 'agent.js'], timeout_s: 30, resume: true, env: { A: 'b' } } },
    });
    assert.deepEqual(
      c.workers.map((w) => w.id),
      ['p1', 'w1', 'w2', 'e1', 'e2', 'fast1'],
    );
    assert.equal(c.workers[0].maxPending, 4);
    assert.equal(c.workers[0].model, 'opus-4.5');
    assert.equal(c.workers[1].iterations, 7);
    assert.equal(c.workers[5].maxPending, 10);
    assert.deepEqual(c.harnesses.mine, { command: ['node', 'agent.js'], args: undefined, env: { A: 'b' }, timeoutS: 30, resume: true });
  });

  test('one issue per bad field, each naming the file, the field and what was expected', () => {
    const issues = issuesOf(() =>
      parseSwarmConfig(
        {
          workers: [
            { role: 'boss', count: 0, harness: 'demo' },
            { harness: 'nope', iterations: 'many' },
          ],
          review: { mode: 'robot', max_rounds: 2.5 },
          limits: { poll_ms: -1 },
          policy: { binary: 'maybe' },
          tasks_dir: '',
          colour: 'blue',
        },
        'swarm.json',
      ),
    );
    const byField = new Map(issues.map((i) => [i.field, i]));
    for (const i of issues) assert.equal(i.file, 'swarm.json');
    assert.match(byField.get('workers[0].role')!.message, /expected one of "worker", "executor", "planner", found "boss"/);
    assert.match(byField.get('workers[0].count')!.message, /expected a number above 0, found 0/);
    assert.match(byField.get('workers[1].iterations')!.message, /expected number, found "many"/);
    assert.match(byField.get('review.mode')!.message, /expected one of "agent", "human", "agent\+human", found "robot"/);
    assert.match(byField.get('review.max_rounds')!.message, /expected (int|a whole number), found 2\.5/);
    assert.match(byField.get('limits.poll_ms')!.message, /above 0, found -1/);
    assert.match(byField.get('policy.binary')!.message, /expected one of "reject", "human", "allow"/);
    assert.match(byField.get('tasks_dir')!.message, /non-empty path/);
    assert.match(byField.get('colour')!.message, /unknown field/);
    assert.equal(new Set(issues.map((i) => i.field)).size, issues.length, 'one issue per field');
  });

  test('cross-field checks: unknown harness names, custom harness without command, tasks_dir outside the repo', () => {
    const issues = issuesOf(() =>
      parseSwarmConfig({
        workers: [{ harness: 'ghost' }],
        review: { harness: 'phantom' },
        harnesses: { mine: { timeout_s: 5 } },
        tasks_dir: '../elsewhere',
      }),
    );
    const fields = issues.map((i) => i.field).sort();
    assert.deepEqual(fields, ['harnesses.mine.command', 'review.harness', 'tasks_dir', 'workers[0].harness']);
    assert.match(issues.find((i) => i.field === 'workers[0].harness')!.message, /expected one of .*"demo".*"mine".*found "ghost"/);
  });

  test('ConfigError message lists every issue as file: field: message', () => {
    try {
      parseSwarmConfig({ review: { mode: 'x' }, workers: [] }, 'cfg/swarm.json');
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      const lines = e.message.split('\n');
      assert.equal(lines.length, 2);
      for (const l of lines) assert.match(l, /^cfg\/swarm\.json: (review\.mode|workers): /);
    }
  });

  test('the JSON schema for VS Code comes from the same definition', () => {
    const s = swarmJsonSchema() as { properties: Record<string, unknown>; title: string };
    assert.ok(s.properties.workers && s.properties.review && s.properties.harnesses && s.properties.limits);
    assert.match(s.title, /swarm\.json/);
  });
});

describe('loading files', () => {
  test('JSONC: comments and trailing commas are allowed; "//" inside strings is kept', () => {
    const root = tempDir();
    writeFileSync(
      join(root, 'swarm.json'),
      `// top comment
{
  /* block
     comment */
  "base": "main", // the base
  "harnesses": { "web": { "command": ["node", "https://example.invalid/a//b.js", "/* not a comment */"], } },
  "workers": [ { "harness": "web", }, ],
}
`,
    );
    const c = loadConfig(root);
    assert.equal(c.base, 'main');
    assert.equal(c.file, join(root, 'swarm.json'));
    assert.deepEqual(c.harnesses.web.command, ['node', 'https://example.invalid/a//b.js', '/* not a comment */']);
    assert.deepEqual(parseJsonc('{"a": "x\\"//y"} // z', 'f.json'), { a: 'x"//y' });
  });

  test('JSONC: strings containing ,} ,] // and /* are kept exactly (the old stripper rewrote "echo a,}")', () => {
    const root = tempDir();
    const args = ['echo a,}', 'b,]', 'c, }', 'http://x//y', '/* z */', 'q\\",}'];
    writeFileSync(join(root, 'swarm.json'), `{ "harnesses": { "web": { "command": ${JSON.stringify(args)}, }, }, "workers": [ { "harness": "web" }, ], }`);
    assert.deepEqual(loadConfig(root).harnesses.web.command, args);
  });

  test('JSONC: a "__proto__" key stays a plain key (never changes an object\'s prototype)', () => {
    const v = parseJsonc('{ "__proto__": { "polluted": true }, "a": 1 }', 'f.json') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.equal((v as { polluted?: boolean }).polluted, undefined);
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
  });

  test('the commented starter config of `swarm init` loads', () => {
    const root = tempDir();
    writeFileSync(join(root, 'swarm.json'), STARTER_CONFIG);
    const c = loadConfig(root);
    assert.equal(c.workers.length, 2);
    assert.equal(c.review.harness, 'demo');
  });

  test('invalid JSON names the file and the line; nothing is written', () => {
    const root = tempDir();
    writeFileSync(join(root, 'swarm.json'), '{\n  "base": "main",\n  "workers": [ { "count": 2 ]\n}\n');
    const issues = issuesOf(() => loadConfig(root));
    assert.equal(issues.length, 1);
    assert.equal(issues[0].file, 'swarm.json');
    assert.equal(issues[0].field, '(file)');
    assert.match(issues[0].message, /not valid JSON at line 3/);
    assert.deepEqual(readdirSync(root), ['swarm.json']);
  });

  test('a bad field in a file is reported with the file name relative to the repo', () => {
    const root = tempDir();
    writeFileSync(join(root, 'swarm.json'), '{ "review": { "max_rounds": "three" } }');
    const issues = issuesOf(() => loadConfig(root));
    assert.deepEqual(
      issues.map((i) => [i.file, i.field]),
      [['swarm.json', 'review.max_rounds']],
    );
    assert.match(issues[0].message, /expected number, found "three"/);
  });

  test('an explicit --config path that does not exist is an error; no file at all means built-in defaults', () => {
    const root = tempDir();
    assert.deepEqual(
      issuesOf(() => loadConfig(root, 'other.json')).map((i) => [i.file, i.message]),
      [['other.json', 'file not found']],
    );
    const d = loadConfig(root);
    assert.equal(d.format, 'default');
    assert.equal(d.file, undefined);
  });

  test('swarm.json wins over oompa.json; oompa.json is read when alone', () => {
    const root = tempDir();
    writeFileSync(join(root, 'oompa.json'), JSON.stringify({ workers: [{ model: 'codex:gpt-5.5' }] }));
    assert.equal(loadConfig(root).format, 'oompa');
    writeFileSync(join(root, 'swarm.json'), '{}');
    assert.equal(loadConfig(root).format, 'swarm');
  });
});

describe("oompa.json (the seed's format)", () => {
  test('"harness:model" specs, role from the prompt name, planner and reviewer', () => {
    const c = parseOompaConfig({
      review_model: 'codex:gpt-5.5',
      planner: { model: 'claude:opus-4.5', max_pending: 6 },
      workers: [
        { model: 'claude:opus-4.5', count: 2, iterations: 4, prompt: ['prompts/worker.md'] },
        { model: 'opencode:big-model', prompt: 'prompts/executor.md' },
        { model: 'gemini:', prompt: 'config/prompts/planner.md' },
        { model: 'sonnet', can_plan: false },
        { harness: 'codex', model: 'gpt-5.5-mini' },
      ],
    });
    assert.equal(c.format, 'oompa');
    assert.deepEqual(
      c.workers.map((w) => [w.id, w.role, w.harness, w.model ?? null]),
      [
        ['p1', 'planner', 'claude', 'opus-4.5'],
        ['w1', 'worker', 'claude', 'opus-4.5'],
        ['w2', 'worker', 'claude', 'opus-4.5'],
        ['e1', 'executor', 'opencode', 'big-model'],
        ['p2', 'planner', 'gemini', null],
        ['e2', 'executor', 'claude', 'sonnet'],
        ['w3', 'worker', 'codex', 'gpt-5.5-mini'],
      ],
    );
    assert.equal(c.workers[0].maxPending, 6);
    assert.equal(c.workers[1].iterations, 4);
    assert.equal(c.workers[1].prompt, 'prompts/worker.md');
    assert.deepEqual([c.review.harness, c.review.model], ['codex', 'gpt-5.5']);
  });

  test('parseModelSpec', () => {
    assert.deepEqual(parseModelSpec('claude:opus-4.5'), { harness: 'claude', model: 'opus-4.5' });
    assert.deepEqual(parseModelSpec('codex'), { harness: 'codex' });
    assert.deepEqual(parseModelSpec('opus'), { harness: 'claude', model: 'opus' });
    assert.deepEqual(parseModelSpec(undefined, 'codex'), { harness: 'codex' });
    assert.deepEqual(parseModelSpec('unknown:thing'), { harness: 'claude', model: 'unknown:thing' });
  });

  test('bad oompa.json fields are named too', () => {
    const issues = issuesOf(() => parseOompaConfig({ workers: [] }, 'oompa.json'));
    assert.deepEqual(
      issues.map((i) => [i.file, i.field]),
      [['oompa.json', 'workers']],
    );
    const i2 = issuesOf(() => parseOompaConfig({ workers: [{ model: 'claude:x', count: -2 }] }));
    assert.equal(i2[0].field, 'workers[0].count');
  });
});
