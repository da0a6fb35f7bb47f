// The swarm's copy of a Gemini CLI session (src/swarm/harness/gemini-session.ts), on a Gemini home
// laid out as Gemini 0.61 keeps it: <home>/.gemini/tmp/<project>/chats/session-<minute>-<short>.jsonl.
// The real CLI's cleanup deleting a resumed session is in test/agents/sessions.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keepGeminiSession, restoreGeminiSession, sessionIdOf } from '../../src/swarm/harness/gemini-session';

const ID = '2f0568b0-8332-473c-b09f-bd3a89d5c587';
const BODY = `${JSON.stringify({ sessionId: ID, projectHash: 'p', startTime: 't' })}\n${JSON.stringify({ type: 'user', content: 'round 0' })}\n`;

function home(): { env: NodeJS.ProcessEnv; chats: string; session: string; done: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'swarm-gemini-session-'));
  const chats = join(root, '.gemini', 'tmp', 'wt-project', 'chats');
  mkdirSync(chats, { recursive: true });
  const session = join(chats, `session-2026-11-30T02-00-${ID.slice(0, 8)}.jsonl`);
  writeFileSync(session, BODY);
  return { env: { GEMINI_CLI_HOME: root }, chats, session, done: () => rmSync(root, { recursive: true, force: true }) };
}

test("a kept session deleted by Gemini's cleanup is put back before the resume, under a name no file has", () => {
  const h = home();
  try {
    const keep = keepGeminiSession(h.env, ID);
    assert.equal(keep, join(h.chats, `swarm-keep-${ID}.jsonl`));
    assert.equal(restoreGeminiSession(h.env, ID), undefined, 'nothing to restore while the session file is there');
    // The cleanup: every file of the short id gone; a new unreadable one holds this minute's name.
    unlinkSync(h.session);
    const now = new Date('2026-11-30T02:10:30Z');
    const blocker = join(h.chats, `session-2026-11-30T02-10-${ID.slice(0, 8)}.jsonl`);
    writeFileSync(blocker, '');
    const back = restoreGeminiSession(h.env, ID, now);
    assert.equal(back, join(h.chats, `session-2026-11-30T02-09-${ID.slice(0, 8)}.jsonl`));
    assert.equal(readFileSync(back, 'utf8'), BODY);
    assert.equal(sessionIdOf(back), ID);
    assert.equal(readFileSync(blocker, 'utf8'), '', 'the other file is left as it was');
    assert.equal(restoreGeminiSession(h.env, ID, now), undefined, 'restored once');
  } finally {
    h.done();
  }
});

test("no copy, no restore; another session's file of the same short id is not taken for it", () => {
  const h = home();
  try {
    writeFileSync(h.session, `${JSON.stringify({ sessionId: `${ID.slice(0, 8)}-ffff-other` })}\n`);
    assert.equal(keepGeminiSession(h.env, ID), undefined);
    assert.equal(restoreGeminiSession(h.env, ID), undefined);
    assert.deepEqual(readdirSync(h.chats), [`session-2026-11-30T02-00-${ID.slice(0, 8)}.jsonl`]);
  } finally {
    h.done();
  }
});

test("hostile: a session id that is a path is refused; a link planted at the copy's name is replaced, not written through", () => {
  const h = home();
  try {
    for (const bad of ['../../../../etc/x', 'a/b', '', 'x'.repeat(300)]) {
      assert.equal(keepGeminiSession(h.env, bad), undefined);
      assert.equal(restoreGeminiSession(h.env, bad), undefined);
    }
    const victim = join(h.chats, '..', 'victim.txt');
    writeFileSync(victim, 'mine\n');
    const keepPath = join(h.chats, `swarm-keep-${ID}.jsonl`);
    symlinkSync(victim, keepPath);
    keepGeminiSession(h.env, ID);
    assert.equal(readFileSync(victim, 'utf8'), 'mine\n', 'the link target is untouched');
    assert.ok(!lstatSync(keepPath).isSymbolicLink());
    assert.equal(readFileSync(keepPath, 'utf8'), BODY);
    assert.ok(!existsSync(`${keepPath}.${process.pid}.tmp`));
  } finally {
    h.done();
  }
});
