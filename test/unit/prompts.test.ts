import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { DEFAULT_PROMPTS } from '../../src/swarm/defaultPrompts';
import { loadPrompt, fillPrompt } from '../../src/swarm/prompts';

test('prompts/ in this repository are the built-in defaults that swarm init writes', () => {
  for (const [name, text] of Object.entries(DEFAULT_PROMPTS)) {
    assert.equal(readFileSync(join(__dirname, '..', '..', 'prompts', `${name}.md`), 'utf8'), text, `prompts/${name}.md differs from DEFAULT_PROMPTS.${name}`);
  }
});

test('a repo prompt overrides the default; placeholders are filled and unknown ones kept', () => {
  const root = mkdtempSync(join(tmpdir(), 'swarm-prompts-'));
  assert.equal(loadPrompt(root, 'worker'), DEFAULT_PROMPTS.worker);
  mkdirSync(join(root, 'prompts'));
  writeFileSync(join(root, 'prompts', 'worker.md'), 'Do {{task_id}} in {{worktree}} {{unknown}}');
  assert.equal(fillPrompt(loadPrompt(root, 'worker'), { task_id: 't1', worktree: '/w' }), 'Do t1 in /w {{unknown}}');
});
