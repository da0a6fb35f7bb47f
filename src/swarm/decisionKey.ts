// The key that lets the engine tell a human decision (and its own approvals) from anything an agent
// writes into .swarm/ or the task files. It lives in ONE file outside every repository and worktree,
// readable by its owner only: decisionKeyPath(). The extension and the CLI (same user) read it to
// sign; the engine reads it to verify. No environment variable ever carries it, and agents'
// environments are scrubbed of anything that names it (scrubAgentEnv).
//
// What this does and does not hold with the sandbox off is in docs/security.md ("Human decisions"):
// an agent that can read the user's files can read this key too. The sandbox denies this path.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fstatSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { SwarmError } from './errors';

/**
 * Where the decision key lives: ~/.config/worktree-swarm/decision.key, on every platform and for
 * every front end (the same path whatever XDG_CONFIG_HOME a terminal or a GUI session has, so the
 * CLI and the extension always share one key). The sandbox denies reads and writes of this path.
 */
export function decisionKeyPath(): string {
  return join(homedir(), '.config', 'worktree-swarm', 'decision.key');
}

/** Environment variables never passed to an agent: a reserved prefix, whatever the user or CI set. */
export function isDecisionSecretVar(name: string): boolean {
  return /^SWARM_DECISION/i.test(name);
}

/** Remove every variable that could carry or name the decision key (in place; returns env). */
export function scrubAgentEnv<T extends Record<string, string | undefined>>(env: T): T {
  for (const k of Object.keys(env)) if (isDecisionSecretVar(k)) delete env[k];
  return env;
}

const KEY_BYTES = 32;

function checkKeyFile(file: string): void {
  const st = lstatSync(file);
  if (!st.isFile())
    throw new SwarmError(`${file}: the decision key must be a regular file (not a link or anything else); remove it and the swarm makes a new one`, 'invalid');
  if (process.platform !== 'win32') {
    if (typeof process.getuid === 'function' && st.uid !== process.getuid())
      throw new SwarmError(`${file}: the decision key belongs to another user (uid ${st.uid}); remove it`, 'invalid');
    if ((st.mode & 0o077) !== 0)
      throw new SwarmError(`${file}: the decision key is readable by others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${file}`, 'invalid');
  }
}

/** Read the key, creating it (0600, in a 0700 folder) the first time. Read on every use, never cached. */
export function loadDecisionKey(): Buffer {
  const file = decisionKeyPath();
  try {
    checkKeyFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    createKey(file);
    checkKeyFile(file);
  }
  const hex = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(hex))
    throw new SwarmError(
      `${file}: the decision key is not 64 hex digits; remove it and the swarm makes a new one (decisions signed with the old key are then refused)`,
      'invalid',
    );
  return Buffer.from(hex, 'hex');
}

/** Create the key atomically: a CLI and an extension starting together end up with one key. */
function createKey(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeFileSync(fd, `${randomBytes(KEY_BYTES).toString('hex')}\n`);
    if ((fstatSync(fd).mode & 0o077) !== 0 && process.platform !== 'win32') throw new SwarmError(`${tmp}: could not make the decision key private`, 'invalid');
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(tmp);
  }
}

/** HMAC-SHA256 over a purpose label and fields (each length-prefixed, so fields cannot run together). */
export function mac(purpose: string, fields: readonly (string | number | undefined | null)[], key: Buffer = loadDecisionKey()): string {
  const h = createHmac('sha256', key);
  for (const f of [purpose, ...fields]) {
    const s = f === undefined || f === null ? '\u0000' : String(f);
    h.update(`${Buffer.byteLength(s)}:`);
    h.update(s);
  }
  return h.digest('hex');
}

export function macEqual(a: unknown, b: string): boolean {
  if (typeof a !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
