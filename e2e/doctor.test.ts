// First run with real agents in VS Code (issue 18), in the packaged extension: the welcome view's
// "Check setup" link and the palette's "Swarm: Check setup" show the checklist (✓ / ✗ with a fix
// each); "Start swarm" with a config whose agent CLI is not installed stops before anything runs,
// with an error naming the CLI and its install command, and buttons to the settings and the config.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './launcher';
import { freshSample, git, removeSamples, skipReason, tasksIn, treeRow, until } from './helpers';
import { SAMPLE_TASKS, taskFile } from '../scripts/make-sample.mjs';

const skip = skipReason();
after(removeSamples);

test(
  'Check setup: the checklist from the welcome view and the palette; Start swarm stops on a missing CLI with the fix',
  { skip, timeout: 300_000 },
  async () => {
    const { dir } = freshSample('doctor', { config: false, tasks: 0 });
    const wb = await launch({ scenario: 'doctor', folder: dir });
    try {
      await wb.openSwarmView();
      const link = wb.viewPane('Tasks').getByRole('button', { name: /Check setup/ });
      await link.waitFor({ state: 'visible' });
      await link.click();
      const tab = wb.page.locator('.tabs-container .tab', { hasText: 'setup check.md' });
      await tab.waitFor({ state: 'visible', timeout: 90_000 });
      const text = async () =>
        (
          (await wb.page
            .locator('.editor-instance .monaco-editor .view-lines')
            .first()
            .innerText()
            .catch(() => '')) ?? ''
        ).replace(/\u00a0/g, ' ');
      const doc = await until(
        'the checklist in the editor',
        async () => {
          const t = await text();
          return /Ready|Not ready/.test(t) ? t : undefined;
        },
        30_000,
      );
      assert.match(doc, /# Swarm: setup check of repo/);
      assert.match(doc, /- ✓ git: git version \d+\.\d+/);
      assert.match(doc, /- ! Configuration: no swarm\.json/);
      for (const cli of ['Claude Code \\(claude\\)', 'Codex CLI \\(codex\\)', 'OpenCode \\(opencode\\)', 'Gemini CLI \\(gemini\\)'])
        assert.match(doc, new RegExp(`- [✓✗!·] ${cli}: `), cli);
      assert.match(doc, /PATH the agents get: /);
      assert.match(doc, /Agent sandbox: /);
      assert.match(doc, /Free disk space for worktrees: /);
      assert.match(doc, /fix: swarm init/);
      await wb.screenshot('checklist');

      // A config whose workers and reviewer use a CLI that is not installed here.
      writeFileSync(
        join(dir, 'swarm.json'),
        JSON.stringify(
          { base: 'main', workers: [{ harness: 'codex', count: 1 }], review: { harness: 'codex' }, harnesses: { codex: { command: ['/nonexistent/codex'] } } },
          null,
          2,
        ),
      );
      mkdirSync(join(dir, 'tasks', 'pending'), { recursive: true });
      writeFileSync(join(dir, 'tasks', 'pending', `${SAMPLE_TASKS[0].id}.md`), taskFile(SAMPLE_TASKS[0]));
      git(dir, 'add', '-A');
      git(dir, '-c', 'user.name=u', '-c', 'user.email=u@u', 'commit', '-q', '-m', 'config');
      await wb.runCommand('Swarm: Check setup');
      await until(
        'the checklist names the missing CLI',
        async () => /✗ Codex CLI \(codex\): not found \(looked for \/nonexistent\/codex; used by your config\)/.test(await text()),
        60_000,
      );
      // The window re-opened the swarm with the new config: its task is listed.
      await treeRow(wb, 'Pending', 'Tasks').first().waitFor({ state: 'visible', timeout: 30_000 });
      await wb.runCommand('Swarm: Start swarm');
      const toast = wb.notification(/cannot start in repo/);
      await toast.first().waitFor({ state: 'visible', timeout: 30_000 });
      const toastText = (await toast.first().innerText()).replace(/\s+/g, ' ');
      assert.match(toastText, /Codex CLI \("codex", used by worker w1, the reviewer\) is not installed/);
      assert.match(toastText, /npm install -g @openai\/codex/);
      for (const b of ['Open settings', 'Open config', 'Check setup']) await toast.first().getByRole('button', { name: b }).waitFor({ state: 'visible' });
      await wb.screenshot('preflight');
      assert.deepEqual(tasksIn(dir, 'current'), [], 'nothing claimed');
      assert.equal(git(dir, 'worktree', 'list').trim().split('\n').length, 1, 'no worktree');
    } catch (e) {
      await wb.screenshot('failed').catch(() => {});
      throw e;
    } finally {
      await wb.stop();
    }
  },
);
