// Idle without polling (issue 17): the run watches the task folders and the decision inbox with
// fs.watch and wakes its workers when something changes there, instead of every idle worker
// listing the folders every `limits.poll_ms`. Watchers can miss events (a folder deleted and made
// again, an editor's atomic write, a rename storm, a file system without change events), so a slow
// safety poll (SAFETY_POLL_MS) still looks, and re-opens any watcher that died or whose folder was
// replaced. The folders' parents are watched too, so a folder deleted or renamed and made again is
// watched again at once. When a folder cannot be watched at all the run polls at `limits.poll_ms` as before
// (docs/architecture.md, "Idle").

import { watch, statSync, promises as fs, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/** How often idle workers look even when every folder is watched. */
export const SAFETY_POLL_MS = 5000;
/** Events within this long are delivered as one. */
const SETTLE_MS = 25;

interface Watched {
  dir: string;
  /** A parent folder: its events only matter for the watched folders in it (names). */
  children?: Set<string>;
  watcher?: FSWatcher;
  /** The folder's inode when the watcher was opened: a folder made again is watched again. */
  ino?: number;
}

export class FolderWatch {
  private readonly watched: Watched[];
  private scheduled = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  /** onChange gets the changed folders once per SETTLE_MS, however many events came. */
  constructor(
    dirs: readonly string[],
    private readonly onChange: (dirs: ReadonlySet<string>) => void,
  ) {
    this.watched = dirs.map((dir) => ({ dir }));
    const parents = new Map<string, Set<string>>();
    for (const d of dirs) {
      const p = dirname(d);
      if (dirs.includes(p)) continue;
      parents.set(p, (parents.get(p) ?? new Set()).add(basename(d)));
    }
    for (const [dir, children] of parents) this.watched.push({ dir, children });
  }

  /** Every folder (and parent) has a live watcher on the folder that is there now. */
  get healthy(): boolean {
    return this.watched.every((w) => w.watcher !== undefined);
  }

  /** The folders watched, parents included. */
  get folders(): string[] {
    return this.watched.map((w) => w.dir);
  }

  /** Open the missing watchers and re-open those whose folder was replaced; true when all are live. */
  refresh(): boolean {
    if (this.closed) return false;
    for (const w of this.watched) {
      let ino: number | undefined;
      try {
        ino = statSync(w.dir).ino;
      } catch {
        ino = undefined;
      }
      if (w.watcher && w.ino === ino) continue;
      this.drop(w);
      if (ino === undefined) continue; // no folder (yet): the safety poll looks again
      try {
        const watcher = watch(w.dir, { persistent: false }, (_event, name) => {
          if (!w.children) return this.changed(w.dir);
          // A watched folder was made, removed or renamed in its parent (or the name is unknown).
          if (!name || w.children.has(String(name))) {
            this.refresh();
            this.changed(w.dir);
          }
        });
        watcher.on('error', () => {
          this.drop(w);
          this.changed(w.dir);
        });
        w.watcher = watcher;
        w.ino = ino;
        // The folder was missing or replaced: what is in it now is news too.
        this.changed(w.dir);
      } catch {
        // ENOSPC (inotify watches used up), EMFILE, a file system without events: poll instead.
        this.drop(w);
      }
    }
    return this.healthy;
  }

  close(): void {
    this.closed = true;
    for (const w of this.watched) this.drop(w);
    if (this.timer) clearTimeout(this.timer);
  }

  private drop(w: Watched): void {
    try {
      w.watcher?.close();
    } catch {
      /* already closed */
    }
    w.watcher = undefined;
    w.ino = undefined;
  }

  private changed(dir: string): void {
    if (this.closed) return;
    this.scheduled.add(dir);
    // A short settle: a writer's create, write and close (and a burst of renames) wake once.
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const dirs = this.scheduled;
      this.scheduled = new Set();
      this.onChange(dirs);
    }, SETTLE_MS);
  }
}

/** How long a pending file must be left alone before it is claimed or quarantined. */
export const WRITE_GRACE_MS = 250;
/** Modified within WRITE_GRACE_MS (or gone): maybe still being written. */
export async function writtenJustNow(file: string): Promise<boolean> {
  const st = await fs.stat(file).catch(() => undefined);
  if (!st) return true;
  const age = Date.now() - st.mtimeMs;
  return age >= 0 && age < WRITE_GRACE_MS; // a future mtime is not "just now" (it would never age)
}

/**
 * A run's watch: idle workers are woken (`wake`) when a task folder changes, and decision files
 * are taken (`onDecision`) as soon as they land in the inbox; a safety poll (every `idleMs()`)
 * takes them and re-opens dead watchers anyway.
 */
export function watchRunFolders(
  taskFolders: string[],
  inbox: string,
  onDecision: () => void,
  wake: () => void,
  idleMs: () => number,
): { folders: FolderWatch; close(): void } {
  const folders = new FolderWatch([...taskFolders, inbox], (dirs) => {
    if (dirs.has(inbox)) onDecision();
    wake();
  });
  folders.refresh();
  let timer: NodeJS.Timeout;
  const safety = () => {
    folders.refresh();
    onDecision();
    timer = setTimeout(safety, idleMs());
  };
  timer = setTimeout(safety, idleMs());
  return {
    folders,
    close: () => {
      clearTimeout(timer);
      folders.close();
    },
  };
}
