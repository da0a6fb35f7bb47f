// The base branch between merges (issue 12 rules 2 and 9; docs/security.md).
//
// Rule 9 — the user's git operation in progress: a rebase, merge, cherry-pick, revert or bisect in
// the user's checkout (or in another checkout of the base) means the base is busy; merges wait and
// resume when it is finished or aborted. `baseBusy` reads git's own marker files, no git process.
//
// Rule 2 — the base moves only through the merge queue. `BaseWatch` keeps the sha the queue last
// saw or produced ("expected base") in .swarm/base.json, so a restart knows it too. Before each
// merge (and before a review of work built on the base) the base is compared with it:
//   - unchanged: go on;
//   - moved forward while no agent turn ran since the expected base was last seen, by commits that
//     look like the user's (committer = the configured user.email when there is one, no swarm merge
//     among them, the base's reflog not naming the swarm): accepted as the user's own, said in the log;
//   - anything else (a move while agent turns ran, backward, sideways, ambiguous): the merge waits
//     with "the base moved outside the swarm" until the user accepts the base as it is
//     (`swarm review accept-base`, or the Accept base action). Workers are not stopped: a user's
//     amend or rebase is not blamed on an agent, it is asked about.
// The reflog is a hint only (agents can write it): it can make a move suspicious, never innocent.
// An agent with a shell can also write .swarm/base.json; with the sandbox off this is a tripwire
// for the swarm's own mistakes and for agents that do not target it, not a wall.

import { promises as fs, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Git } from './git';
import { atomicWrite } from './tasks';
import { Mutex, nowIso } from './util';

/** Marker files of a git operation in progress, in a checkout's git dir. */
const IN_PROGRESS: { file: string; what: string }[] = [
  { file: 'rebase-merge', what: 'rebase' },
  { file: 'rebase-apply', what: 'rebase' },
  { file: 'MERGE_HEAD', what: 'merge' },
  { file: 'CHERRY_PICK_HEAD', what: 'cherry-pick' },
  { file: 'REVERT_HEAD', what: 'revert' },
  { file: 'BISECT_LOG', what: 'bisect' },
  { file: 'sequencer', what: 'cherry-pick or revert' },
];

async function readText(p: string): Promise<string | undefined> {
  try {
    return await fs.readFile(p, 'utf8');
  } catch {
    return undefined;
  }
}

/** The first operation in progress in a git dir, if any. */
function operationIn(gitDir: string): { file: string; what: string } | undefined {
  return IN_PROGRESS.find((o) => existsSync(join(gitDir, o.file)));
}

/**
 * Why the base is busy now, or undefined: an operation in progress in the user's main checkout, or
 * in a linked checkout that has the base checked out or is rebasing it. The swarm's own worktrees
 * (on swarm/ branches) do not make the base busy.
 */
export async function baseBusy(git: Git, base: string): Promise<string | undefined> {
  const common = await git.commonDir();
  const main = operationIn(common);
  if (main) return `your ${main.what} in progress in ${join(common, '..')} (.git/${main.file}); merges wait until it is finished or aborted`;
  let names: string[] = [];
  try {
    names = await fs.readdir(join(common, 'worktrees'));
  } catch {
    /* none */
  }
  for (const n of names) {
    const dir = join(common, 'worktrees', n);
    const op = operationIn(dir);
    if (!op) continue;
    const head = (await readText(join(dir, 'HEAD')))?.trim();
    const rebasing = (await readText(join(dir, op.file, 'head-name')))?.trim();
    if (head !== `ref: refs/heads/${base}` && rebasing !== `refs/heads/${base}`) continue;
    const where = (await readText(join(dir, 'gitdir')))?.trim().replace(/\/\.git$/, '') ?? n;
    return `your ${op.what} in progress on ${base} in ${where}; merges wait until it is finished or aborted`;
  }
  return undefined;
}

/** What .swarm/base.json holds. */
export interface BaseRecord {
  base: string;
  /** The base as the merge queue last saw or made it, or as the user accepted it. */
  sha: string;
  at: string;
  /** An agent turn ran at some time since `sha` was last seen as the base: a move now cannot be told apart. */
  agentsSince: boolean;
}

export type BaseCheck =
  | { kind: 'ok'; accepted?: { from: string; to: string; commits: number } }
  | { kind: 'moved'; from: string; to: string; how: 'forward' | 'backward' | 'sideways'; reason: string };

const short = (s: string) => s.slice(0, 10);

export class BaseWatch {
  /** Agent turns running now in this process. */
  private running = 0;
  /** Every read-modify-write of base.json in this process, one at a time (turns end while merges record). */
  private readonly lock = new Mutex();
  readonly file: string;

  constructor(
    private readonly git: Git,
    readonly base: string,
    stateDir: string,
    private readonly log?: (level: 'info' | 'warn', message: string) => void,
  ) {
    this.file = join(stateDir, 'base.json');
  }

  async read(): Promise<BaseRecord | undefined> {
    try {
      const r = JSON.parse(await fs.readFile(this.file, 'utf8')) as BaseRecord;
      return r && r.base === this.base && typeof r.sha === 'string' && /^[0-9a-f]{40,64}$/.test(r.sha) ? r : undefined;
    } catch {
      return undefined;
    }
  }

  private async write(r: BaseRecord): Promise<void> {
    await fs.mkdir(join(this.file, '..'), { recursive: true });
    r.at = nowIso();
    await atomicWrite(this.file, `${JSON.stringify(r, null, 2)}\n`);
  }

  /** Before an agent turn starts: a quiet move is looked at first; from now on moves cannot be told apart. */
  turnStarted(): Promise<void> {
    return this.lock.run(async () => {
      if (this.running === 0) await this.checkNow();
      this.running++;
      const r = await this.read();
      if (r && !r.agentsSince) {
        r.agentsSince = true;
        await this.write(r);
      }
    });
  }

  /** After an agent turn: with no turn left running and the base where expected, it is quiet again. */
  turnEnded(): Promise<void> {
    return this.lock.run(async () => {
      this.running = Math.max(0, this.running - 1);
      if (this.running === 0) await this.checkNow();
    });
  }

  /**
   * Compare the base (`now`, read when not given) with the expected base. A first look records it.
   * A quiet forward move that looks like the user's is accepted here.
   */
  check(now?: string): Promise<BaseCheck> {
    return this.lock.run(() => this.checkNow(now));
  }

  private async checkNow(now?: string): Promise<BaseCheck> {
    now ??= await this.git.readBranch(this.base);
    if (!now) return { kind: 'ok' };
    const r = await this.read();
    if (!r) {
      await this.write({ base: this.base, sha: now, at: '', agentsSince: this.running > 0 });
      return { kind: 'ok' };
    }
    if (r.sha === now) {
      if (r.agentsSince && this.running === 0) {
        r.agentsSince = false;
        await this.write(r);
      }
      return { kind: 'ok' };
    }
    const how = (await this.git.isAncestor(r.sha, now)) ? 'forward' : (await this.git.isAncestor(now, r.sha)) ? 'backward' : 'sideways';
    const quiet = !r.agentsSince && this.running === 0;
    const why = how === 'forward' && quiet ? await this.notTheUsers(r.sha, now) : undefined;
    if (how === 'forward' && quiet && !why) {
      const commits = await this.git.countAhead(r.sha, now);
      this.log?.(
        'info',
        `the base ${this.base} moved forward from ${short(r.sha)} to ${short(now)} (${commits} commit(s)) while no agent was running: taken as yours`,
      );
      const accepted = { from: r.sha, to: now, commits };
      r.sha = now;
      await this.write(r);
      return { kind: 'ok', accepted };
    }
    const when = quiet ? (why ?? '') : 'while agent turns were running, so the swarm cannot tell whether you or an agent moved it';
    const what =
      how === 'forward'
        ? 'forward'
        : how === 'backward'
          ? 'backward (commits it had are no longer on it)'
          : 'sideways (to a commit that does not contain the one the swarm expected)';
    return {
      kind: 'moved',
      from: r.sha,
      to: now,
      how,
      reason: `the base moved outside the swarm: ${this.base} went ${what} from ${short(r.sha)} to ${short(now)}${when ? ` ${when}` : ''}. Nothing merges on top of it until you look at ${short(r.sha)}..${short(now)} and accept it (swarm review accept-base)`,
    };
  }

  /** Why forward commits from..to do not look like the user's own (undefined when they do). */
  private async notTheUsers(from: string, to: string): Promise<string | undefined> {
    const email = await this.git.configValue('user.email');
    const log = await this.git.logLines(from, to, '%ce%x00%s');
    for (const l of log) {
      const [ce, subject] = l.split('\0');
      if (/^Merge task /.test(subject)) return `(a swarm merge commit, "${subject}", that this merge queue did not make, is among the new commits)`;
      if (email && ce !== email) return `(a commit by ${ce}, not by you (${email}), is among the new commits)`;
    }
    const reflog = await readText(join(await this.git.commonDir(), 'logs', 'refs', 'heads', this.base));
    const last = reflog?.trimEnd().split('\n').pop();
    if (last && last.split(' ')[1] === to && /\tswarm:/.test(last)) return '(the reflog names the swarm for a move this merge queue did not make)';
    return undefined;
  }

  /**
   * The work at `sha` is built on a move of the base that is not accepted yet (it contains commits
   * of that move): its review waits. Returns the reason, or undefined when it may be reviewed.
   */
  async holdsReview(sha: string): Promise<string | undefined> {
    const c = await this.check();
    if (c.kind === 'ok') return undefined;
    const mb = await this.git.mergeBase(sha, c.to);
    if (!mb || (await this.git.isAncestor(mb, c.from))) return undefined;
    return `its work is built on commits of the base that the swarm did not merge; ${c.reason}`;
  }

  /** The merge queue moved the base from `old` to `sha`. */
  merged(old: string, sha: string): Promise<void> {
    return this.lock.run(async () => {
      const r = await this.read();
      if (!r || r.sha === old) await this.write({ base: this.base, sha, at: '', agentsSince: r?.agentsSince ?? this.running > 0 });
    });
  }

  /**
   * The user accepts the base as it is now (`expectSha`: the sha they looked at; refused when the
   * base moved again since). Returns the accepted sha.
   */
  async accept(expectSha?: string): Promise<{ ok: true; sha: string; from?: string } | { ok: false; detail: string }> {
    const now = await this.git.readBranch(this.base);
    if (!now) return { ok: false, detail: `the base branch "${this.base}" does not exist` };
    if (expectSha && !(now === expectSha || (expectSha.length >= 7 && now.startsWith(expectSha))))
      return { ok: false, detail: `the base moved again: it is now at ${now}; look at it and accept again` };
    return this.lock.run(async () => {
      const r = await this.read();
      // Agent turns may be running in a swarm of another process: the next quiet look clears this.
      await this.write({ base: this.base, sha: now, at: '', agentsSince: true });
      return { ok: true as const, sha: now, from: r?.sha };
    });
  }
}

/** What a waiting merge waits on in base.ts's terms (the busy marker, the expected base): a change means retry. */
export async function baseFingerprint(git: Git, base: string, watch: BaseWatch | undefined): Promise<string> {
  return `${(await baseBusy(git, base)) ?? ''}\n${(await watch?.read())?.sha ?? ''}`;
}
