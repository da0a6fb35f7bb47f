// Smoke: code-server starts with the packaged .vsix installed, the Swarm activity bar container
// is there and opens its views on a fresh sample repository. Proves the harness itself.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './launcher';
import { freshSample, removeSamples, skipReason } from './helpers';

after(removeSamples);

test('smoke: the packaged extension loads in code-server and shows the Swarm views', { skip: skipReason(), timeout: 180_000 }, async () => {
  const { dir } = freshSample('smoke');
  const wb = await launch({ scenario: 'smoke', folder: dir });
  try {
    await wb.openSwarmView();
    await wb.viewPane('Tasks').waitFor({ state: 'visible' });
    await wb.viewPane('Worktrees').waitFor({ state: 'visible' });
    await wb.screenshot();
    assert.doesNotMatch(wb.serverLog(), /Activating extension 'worktree-swarm\.worktree-swarm' failed/);
  } finally {
    await wb.stop();
  }
});
