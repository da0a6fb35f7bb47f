// Reading files an agent could have written (task files, BLOCKED.md, .reason.txt beside them)
// without letting them hang or crash the swarm or leak what they point at: a FIFO, socket, device
// or symbolic link is never opened; a regular file is read asynchronously and only up to a bound (docs/security.md).

import { promises as fs, constants as fsc, type Stats } from 'node:fs';
import { basename } from 'node:path';

export type SafeRead = { kind: 'absent' } | { kind: 'text'; text: string; truncated: boolean; size: number } | { kind: 'skipped'; note: string };

function what(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isDirectory()) return 'a folder';
  return 'not a regular file';
}

/**
 * A regular file's text, at most `maxBytes` of it. Anything else is `skipped` with a note naming
 * what it is, without opening it (stat first; the open is non-blocking and the opened file is
 * checked again, in case it was swapped meanwhile).
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<SafeRead> {
  let st: Stats;
  try {
    // lstat, and O_NOFOLLOW below: a link is never followed. The swarm reads as you, outside any
    // sandbox, so a task file or BLOCKED.md linked to ~/.ssh/id_rsa or the decision key would
    // otherwise copy a secret into a task file every agent can read (docs/security.md).
    st = await fs.lstat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'absent' };
    throw e;
  }
  if (st.isSymbolicLink())
    return { kind: 'skipped', note: `${basename(path)} is a symbolic link; the swarm does not follow links in files agents can write, so it was not read` };
  if (!st.isFile()) return { kind: 'skipped', note: `${basename(path)} is ${what(st)}, not a regular file; the swarm did not open it` };
  const fh = await fs.open(path, fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOCTTY | fsc.O_NOFOLLOW);
  try {
    const now = await fh.stat();
    if (!now.isFile()) return { kind: 'skipped', note: `${basename(path)} is ${what(now)}, not a regular file; the swarm did not read it` };
    const buf = Buffer.alloc(Math.min(now.size, maxBytes) + 1);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (!bytesRead) break;
      got += bytesRead;
    }
    const truncated = got > maxBytes;
    return { kind: 'text', text: buf.subarray(0, Math.min(got, maxBytes)).toString('utf8'), truncated, size: now.size };
  } finally {
    await fh.close();
  }
}

/** Agent-written signal files (BLOCKED.md) are read up to this many bytes. */
export const AGENT_FILE_MAX_BYTES = 64 * 1024;

/**
 * The text of a file an agent wrote, bounded; for anything that is not a regular file, a note
 * saying what it is (shown to the user instead); '' when absent.
 */
export async function readAgentFileBounded(path: string, maxBytes = AGENT_FILE_MAX_BYTES): Promise<string> {
  const r = await readRegularFile(path, maxBytes);
  if (r.kind === 'absent') return '';
  if (r.kind === 'skipped') return `(${r.note})`;
  return r.truncated ? `${r.text}\n(${basename(path)} is ${r.size} bytes; only the first ${maxBytes} are shown)` : r.text;
}
