import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffGitGuard, isRiskyKey, parseConfigZ, type GuardSnapshot } from '../../src/swarm/guard';

test('guard: risky keys are the ones that run code or pick what runs', () => {
  for (const k of [
    'core.hooksPath',
    'core.fsmonitor',
    'core.sshCommand',
    'core.pager',
    'core.editor',
    'core.askPass',
    'sequence.editor',
    'diff.external',
    'diff.pdf.textconv',
    'merge.ours.driver',
    'filter.lfs.process',
    'filter.x.clean',
    'filter.x.smudge',
    'include.path',
    'includeIf.gitdir:/x.path',
    'credential.helper',
    'credential.https://h.helper',
    'gpg.program',
    'gpg.ssh.program',
    'alias.co',
    'pager.log',
    'remote.origin.uploadpack',
    'protocol.ext.allow',
    'submodule.m.update',
    'hook.pre-commit.command',
    'url.ext::sh.insteadOf',
    'extensions.worktreeConfig',
    'commit.gpgSign',
  ]) {
    assert.ok(isRiskyKey(k), k);
  }
  for (const k of [
    'user.name',
    'user.email',
    'core.autocrlf',
    'color.ui',
    'remote.origin.url',
    'branch.main.remote',
    'filter.lfs.required',
    'diff.renames',
    'core.bare',
    'core.repositoryformatversion',
  ]) {
    assert.ok(!isRiskyKey(k), k);
  }
});

test('guard: git config -z output is split into key/value pairs (values with newlines, keys without values)', () => {
  assert.deepEqual(parseConfigZ('core.editor\nvi\0alias.x\n!a\nb\0core.bare\0'), [
    ['core.editor', 'vi'],
    ['alias.x', '!a\nb'],
    ['core.bare', ''],
  ]);
  assert.deepEqual(parseConfigZ(''), []);
});

test('guard: diff describes added, changed, removed config values and hook changes', () => {
  const base: GuardSnapshot = {
    repoRoot: '/r',
    commonDir: '/r/.git',
    config: { '.git/config\tcore.editor': ['vi'], '.git/config\talias.a': ['x'] },
    files: { '.git/hooks/pre-push': 'aaa', '.git/hooks/post-merge': 'ccc x' },
  };
  const next: GuardSnapshot = {
    repoRoot: '/r',
    commonDir: '/r/.git',
    config: { '.git/config\tcore.editor': ['evil'], '.git/config\tcore.hookspath': ['/tmp/h'] },
    files: { '.git/hooks/pre-push': 'aaa x', '.git/hooks/pre-commit': 'bbb x' },
  };
  assert.deepEqual(diffGitGuard(base, next), [
    'git config alias.a removed from .git/config (was "x")',
    'git config core.editor in .git/config changed from "vi" to "evil"',
    'git config core.hookspath set to "/tmp/h" in .git/config (was unset)',
    'hook .git/hooks/post-merge removed',
    'hook .git/hooks/pre-commit added (executable)',
    'hook .git/hooks/pre-push became executable',
  ]);
  assert.deepEqual(diffGitGuard(base, base), []);
});
