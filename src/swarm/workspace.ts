// The engine's front door (api.ts): one Workspace per repository, shared by the extension and the
// CLI. It reads state for the views, starts runs, and applies human decisions — in this process's
// run, through a decision file to a swarm running in another process, or directly when none runs.

import { existsSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import type {
  AcceptBaseResult,
  CleanupReport,
  DecisionRequest,
  DecisionResult,
  NeedsYouItem,
  NewTaskInput,
  OpenWorkspaceOptions,
  ReviewDetails,
  StartRunOptions,
  SwarmRun,
  TaskList,
  Workspace,
} from './api';
import type { ResolvedConfig } from './config';
import { loadConfig } from './configLoad';
import { SwarmError } from './errors';
import { Git } from './git';
import { TaskStore } from './tasks';
import { TASK_ID_RE } from './taskFile';
import { restoreQuarantined } from './quarantine';
import { StateStore, Journal } from './state';
import { WorktreeManager } from './worktrees';
import { MergeQueue } from './merge';
import { MergeChecker } from './mergeCheck';
import { BaseWatch } from './base';
import { TaskFlow } from './flow';
import { hasFailed, STATUS } from './status';
import { Run } from './run';
import { approvability, sealAnswer, signDecision } from './approval';
import type { HarnessContext } from './harness/context';
import type { SwarmEvent, Task, WorktreeInfo } from './types';
import { runIdNow, nowIso, RUN_ID_RE } from './util';
import './harness/adapters';
import { createSandbox, type AgentSandbox, type SandboxStatus } from './sandbox';
import { INSTALL_HINT } from './sandboxPolicy';
import { preflight, type PreflightProblem } from './preflight';
import { cleanupWorktrees, listWorktrees, type WorktreeScope } from './workspaceWorktrees';
import { findRepoRoot } from './init';

function defaultDemoAgentPath(): string {
  return join(__dirname, 'demo-agent.js');
}

export async function openWorkspace(options: OpenWorkspaceOptions): Promise<Workspace> {
  const root = await findRepoRoot(options.repo);
  const config = loadConfig(root, options.configPath);
  if (options.reviewMode) config.review.mode = options.reviewMode;
  const git = new Git(root);
  const identity = await git.identity();
  const base = config.base ?? (await git.currentBranch()) ?? 'main';
  const sandbox = createSandbox(config.sandbox, { root, commonDir: await git.commonDir(), tasksDir: join(root, config.tasksDir) });
  return new SwarmWorkspace(root, config, git, base, identity, options, sandbox);
}

class SwarmWorkspace implements Workspace {
  private readonly listeners = new Set<(e: SwarmEvent) => void>();
  private readonly tasks: TaskStore;
  private readonly state: StateStore;
  private readonly worktrees: WorktreeManager;
  private readonly merges: MergeQueue;
  private run: Run | undefined;

  constructor(
    readonly root: string,
    readonly config: ResolvedConfig,
    private readonly git: Git,
    readonly base: string,
    private readonly identity: Record<string, string>,
    private readonly options: OpenWorkspaceOptions,
    private readonly agentSandbox: AgentSandbox,
  ) {
    this.tasks = new TaskStore(root, config.tasksDir);
    this.state = new StateStore(root);
    this.worktrees = new WorktreeManager(git, root, config.worktreeDir, config.setup, agentSandbox, config.worktree.include);
    const watch = new BaseWatch(git, base, this.state.dir, (level, message) => this.publish({ type: 'log', level, message }));
    const checker =
      config.mergeCheck &&
      new MergeChecker(config.mergeCheck, { root, tasksDir: this.tasks.dir, base, worktrees: this.worktrees, sandbox: agentSandbox, watch });
    this.merges = new MergeQueue(git, base, watch, checker);
  }

  onEvent(listener: (e: SwarmEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private publish(e: SwarmEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a listener's error is not the engine's */
      }
    }
  }

  get activeRun(): SwarmRun | undefined {
    return this.run;
  }

  async runningElsewhere(): Promise<{ pid: number; runId: string } | undefined> {
    const l = this.state.liveLock();
    if (!l || (this.run && l.runId === this.run.runId)) return undefined;
    return { pid: l.pid, runId: l.runId };
  }

  private harnessContext(): HarnessContext {
    const cliPaths: Record<string, string> = {};
    for (const [name, h] of Object.entries(this.config.harnesses)) if (h.command?.length) cliPaths[name] = h.command[0];
    Object.assign(cliPaths, this.options.cliPaths);
    return {
      cliPaths,
      agentPath: this.options.agentPath,
      nodePath: this.options.nodePath ?? process.execPath,
      demoAgentPath: this.options.demoAgentPath ?? defaultDemoAgentPath(),
      baseEnv: { ...this.identity },
      repoRoot: this.root,
      untrustedDirs: [this.root, this.worktrees.dir],
      sandbox: this.agentSandbox,
    };
  }

  get sandbox(): SandboxStatus {
    return this.agentSandbox.status;
  }

  /** What would stop a start (preflight.ts): one problem per missing program, old git, sandbox, folder. */
  preflight(): Promise<PreflightProblem[]> {
    return preflight({ root: this.root, config: this.config, ctx: this.harnessContext(), base: this.base, git: this.git, sandbox: this.agentSandbox.status });
  }

  startRun(options: StartRunOptions = {}): SwarmRun {
    if (this.run) throw new SwarmError(`a swarm is already running here (run ${this.run.runId})`, 'busy');
    const sb = this.agentSandbox.status;
    if (sb.mode === 'required' && !sb.sandboxed)
      throw new SwarmError(
        `sandbox.mode is "required" in ${this.config.file ? relative(this.root, this.config.file) || this.config.file : 'swarm.json'}, but ${sb.reason.replace(/^agents are NOT sandboxed: /, '')}${sb.reason.includes(INSTALL_HINT) ? '' : ` (install: ${INSTALL_HINT})`}`,
        'sandbox',
      );
    const run = new Run(
      options.runId && RUN_ID_RE.test(options.runId) ? options.runId : runIdNow(),
      {
        root: this.root,
        config: this.config,
        git: this.git,
        tasks: this.tasks,
        state: this.state,
        worktrees: this.worktrees,
        merges: this.merges,
        base: this.base,
        harnessCtx: this.harnessContext(),
        maxConcurrentWorkers: this.options.maxConcurrentWorkers,
        publish: (e) => this.publish(e),
      },
      options,
    );
    this.run = run;
    void run.done.finally(() => {
      if (this.run === run) this.run = undefined;
    });
    return run;
  }

  async listTasks(): Promise<TaskList> {
    const l = await this.tasks.list();
    return { pending: l.pending, current: l.current, complete: l.complete, quarantined: l.quarantined };
  }

  taskState(taskId: string) {
    return this.state.readTask(taskId);
  }

  async restoreQuarantined(file: string): Promise<Task> {
    const task = await restoreQuarantined(this.tasks, file);
    this.publish({ type: 'task_created', taskId: task.id, by: 'user' });
    return task;
  }

  async createTask(input: NewTaskInput): Promise<TaskList['pending'][number]> {
    const title = input.title.trim();
    if (!title) throw new SwarmError('a task needs a title', 'invalid');
    let id =
      input.id ??
      (title
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 48) ||
        'task');
    if (!input.id) {
      const existing = await this.tasks.list();
      const taken = new Set([...existing.pending, ...existing.current, ...existing.complete].map((t) => t.id));
      for (let n = 2; taken.has(id); n++) id = `${id.replace(/-\d+$/, '')}-${n}`;
    }
    if (!TASK_ID_RE.test(id)) throw new SwarmError(`task id "${id}" must match ${TASK_ID_RE}`, 'invalid');
    const meta: Record<string, unknown> = { title, priority: input.priority, depends_on: input.dependsOn?.length ? input.dependsOn : undefined };
    const t = await this.tasks.create(id, meta, input.body ?? `${title}\n\n## Acceptance criteria\n- \n`);
    this.publish({ type: 'task_created', taskId: id, by: 'user' });
    (this.run as Run | undefined)?.poke();
    return t;
  }

  /** Logged in the active run's journal, else in a small journal of its own. */
  private decisionJournal(): (e: SwarmEvent) => void {
    const j = new Journal(this.state.runDir(`${runIdNow()}-manual`), 'manual');
    return (e) => {
      j.append(e);
      this.publish(e);
    };
  }

  private flow(emit: (e: SwarmEvent) => void): TaskFlow {
    return new TaskFlow({
      root: this.root,
      config: this.config,
      git: this.git,
      tasks: this.tasks,
      state: this.state,
      worktrees: this.worktrees,
      merges: this.merges,
      base: this.base,
      runId: 'manual',
      emit,
    });
  }

  async answer(taskId: string, text: string): Promise<void> {
    if (!text.trim()) throw new SwarmError('the answer is empty', 'invalid');
    const task = await this.tasks.read(taskId, 'current');
    if (!task || STATUS[task.status].needsYou !== 'question') throw new SwarmError(`task ${taskId} is not waiting for an answer`, 'invalid');
    const st = (await this.state.readTask(taskId)) ?? { id: taskId, status: task.status, rounds: [], attempts: 0, updatedAt: nowIso() };
    st.status = task.status; // the file said blocked; a state.json lagging it must not refuse the answer
    st.resumeStep = 'work';
    st.answer = sealAnswer(taskId, task.question ?? '', text); // the agent gets only a sealed answer (approval.ts)
    const emit = this.run ? (e: SwarmEvent) => this.publish(e) : this.decisionJournal();
    // No task_status event from the transition: the views learn it from task_answered, as before.
    await this.flow(() => undefined).transition(st, 'answer', { answer: text, answered_at: nowIso() });
    emit({ type: 'task_answered', taskId, answer: text });
    (this.run as Run | undefined)?.poke();
  }

  async retry(taskId: string): Promise<void> {
    const task = await this.tasks.read(taskId, 'current');
    if (!task) throw new SwarmError(`task ${taskId} is not in ${this.config.tasksDir}/current`, 'invalid');
    if (this.run && STATUS[task.status].inFlight) throw new SwarmError(`task ${taskId} is ${task.status}; stop the swarm first`, 'busy');
    if (!this.run && this.state.liveLock()) throw new SwarmError('a swarm in another window or terminal owns this task; retry it there', 'busy');
    const st = (await this.state.readTask(taskId)) ?? { id: taskId, status: task.status, rounds: [], attempts: 0, updatedAt: nowIso() };
    st.attempts = 0;
    await this.flow(this.run ? (e) => this.publish(e) : this.decisionJournal()).returnToPending(task, st, 'retried by you', { fresh: false });
    (this.run as Run | undefined)?.poke();
  }

  async needsYou(): Promise<NeedsYouItem[]> {
    const listing = await this.tasks.list();
    const items: NeedsYouItem[] = [];
    for (const t of listing.current) {
      const st = await this.state.readTask(t.id);
      const since = st?.updatedAt ?? nowIso();
      const kind = STATUS[t.status].needsYou;
      if (kind === 'review')
        items.push({ kind, taskId: t.id, title: t.title, sha: st?.headSha, since, approvable: approvability(t.id, st?.rounds, st?.headSha) });
      else if (kind === 'local_changes') items.push({ kind, taskId: t.id, title: t.title, sha: st?.headSha, since });
      else if (kind === 'base')
        items.push({
          kind,
          taskId: t.id,
          title: t.title,
          sha: st?.headSha,
          question: typeof t.meta.waiting_for === 'string' ? t.meta.waiting_for : undefined,
          since,
        });
      else if (kind === 'question')
        items.push({
          kind: hasFailed(st?.attempts, this.config.limits.maxAttempts) ? 'failed' : 'question',
          taskId: t.id,
          title: t.title,
          question: t.question,
          sha: st?.headSha,
          since,
        });
    }
    return items.sort((a, b) => b.since.localeCompare(a.since));
  }

  async reviewDetails(taskId: string): Promise<ReviewDetails> {
    const task = await this.tasks.find(taskId);
    if (!task) throw new SwarmError(`no task "${taskId}"`, 'not_found');
    const st = await this.state.readTask(taskId);
    const baseRef = `refs/heads/${this.base}`;
    let sha = st?.headSha;
    if (task.folder === 'current' && st?.branch) {
      const tip = await this.git.readBranch(st.branch);
      if (tip && (!sha || !(await this.git.isAncestor(tip, sha)))) sha = tip;
    }
    let diff = '';
    let baseSha: string | undefined;
    if (sha) {
      baseSha = task.folder === 'complete' ? st?.rounds[st.rounds.length - 1]?.baseSha : await this.git.mergeBase(baseRef, sha);
      if (baseSha) diff = await this.git.diff(baseSha, sha, { findRenames: true }).catch(() => '');
    }
    const canDecide = task.folder === 'current' && !!sha && STATUS[task.status].decidable && !!st?.headSha;
    const details: ReviewDetails = {
      task,
      state: st,
      base: this.base,
      sha,
      baseSha,
      diff,
      rounds: st?.rounds ?? [],
      canDecide,
      approvable: approvability(taskId, st?.rounds, sha),
    };
    if (task.folder === 'current' && STATUS[task.status].needsYou === 'question' && hasFailed(st?.attempts, this.config.limits.maxAttempts))
      details.failed = true;
    // A fix round: what changed since the last round that looked at another commit (the interdiff).
    const prev = sha && task.folder === 'current' ? [...(st?.rounds ?? [])].reverse().find((r) => typeof r.sha === 'string' && r.sha !== sha) : undefined;
    // Only an object name reaches git: state.json is a file an agent could edit (no `--output=…`).
    if (prev && sha && /^[0-9a-f]{7,64}$/.test(prev.sha)) {
      const text = await this.git.diff(prev.sha, sha, { findRenames: true }).catch(() => undefined);
      if (text !== undefined) details.interdiff = { fromSha: prev.sha, fromRound: prev.round, diff: text };
    }
    return details;
  }

  async decide(req: DecisionRequest): Promise<DecisionResult> {
    if (!TASK_ID_RE.test(req.taskId)) return { ok: false, reason: 'invalid', detail: 'bad task id' };
    // Not a wall (an agent can unset these), but a prompt-injected agent that runs `swarm review
    // approve` in its turn is told no. The wall is the decision key: docs/security.md.
    if (process.env.SWARM_ROLE && process.env.SWARM_RUN_ID)
      return { ok: false, reason: 'invalid', detail: `decisions come from the user, not from an agent turn (SWARM_ROLE=${process.env.SWARM_ROLE})` };
    if (this.run) return (this.run as Run).applyDecision(req.taskId, req.kind, req.sha, req.text, req.by);
    const other = this.state.liveLock();
    if (other) {
      const st = await this.state.readTask(req.taskId);
      if (st?.headSha && st.headSha !== req.sha && !(req.sha.length >= 7 && st.headSha.startsWith(req.sha)))
        return { ok: false, reason: 'stale_sha', currentSha: st.headSha };
      // The running swarm checks again; refusing here says so now instead of in its journal.
      if (req.kind === 'approve') {
        const a = approvability(req.taskId, st?.rounds, st?.headSha);
        if (!a.approvable) return { ok: false, reason: 'needs_override', detail: a.message ?? 'only Override merges this change' };
      }
      // Signed with the decision key: the running swarm applies no decision file without it.
      await this.state.writeDecision(signDecision({ taskId: req.taskId, kind: req.kind, sha: req.sha, text: req.text, by: req.by }));
      return { ok: true, applied: 'queued', detail: `handed to the swarm running in process ${other.pid}` };
    }
    // No swarm runs: apply it here, holding the run lock so no swarm starts meanwhile.
    const id = `${runIdNow()}-manual`;
    const lock = this.state.acquireLock(id);
    if (!lock.ok) return { ok: false, reason: 'invalid', detail: `a swarm (pid ${lock.holder.pid}) just started; try again` };
    try {
      const r = await this.flow(this.decisionJournal()).decide(req.taskId, req.kind, req.sha, req.text, req.by);
      return r;
    } finally {
      this.state.releaseLock(id);
    }
  }

  async acceptBase(sha?: string): Promise<AcceptBaseResult> {
    const watch = this.merges.watch!;
    const r = await watch.accept(sha);
    if (!r.ok) return r;
    const emit = this.run ? (e: SwarmEvent) => this.publish(e) : this.decisionJournal();
    emit({
      type: 'log',
      level: 'info',
      message: `you accepted the base ${this.base} as it is, at ${r.sha}${r.from && r.from !== r.sha ? ` (the swarm expected ${r.from})` : ''}`,
    });
    // Reviews held for work built on the moved base go back to a worker, which reviews them.
    const flow = this.flow(emit);
    const resumed: string[] = [];
    const merges: string[] = [];
    for (const t of (await this.tasks.list()).current.filter((x) => STATUS[x.status].needsYou === 'base')) {
      const st = await this.state.readTask(t.id);
      if (!st) continue;
      if (st.resumeStep === 'review') {
        await flow.transition(st, 'baseAccepted', { waiting_for: undefined }, 'the base was accepted: its review goes on');
        resumed.push(t.id);
      } else merges.push(t.id);
    }
    if (this.run) {
      (this.run as Run).poke();
      return { ok: true, sha: r.sha, resumed, merged: [] };
    }
    if (this.state.liveLock()) return { ok: true, sha: r.sha, resumed, merged: [] }; // that swarm retries its waiting merges
    // No swarm runs: merge what waited for the base now, holding the run lock.
    const merged: string[] = [];
    const id = `${runIdNow()}-manual`;
    if (!this.state.acquireLock(id).ok) return { ok: true, sha: r.sha, resumed, merged };
    try {
      for (const tid of merges) {
        const task = await this.tasks.read(tid, 'current').catch(() => undefined);
        const st = await this.state.readTask(tid);
        if (task && st && (await flow.merge(task, st)) === 'merged') merged.push(tid);
      }
    } finally {
      this.state.releaseLock(id);
    }
    return { ok: true, sha: r.sha, resumed, merged };
  }

  showFile(rev: string, path: string): Promise<string | undefined> {
    return this.git.showFile(rev, path);
  }

  async listWorktrees(): Promise<WorktreeInfo[]> {
    return listWorktrees(this.worktreeScope());
  }

  /**
   * Remove worktrees and branches the swarm no longer needs: merged or abandoned ones whose task is
   * not in flight. Work not on the base is archived under refs/swarm/archive/ first.
   */
  async cleanup(options: { dryRun: boolean; worktree?: string }): Promise<CleanupReport> {
    return cleanupWorktrees(this.worktreeScope(), options);
  }

  private worktreeScope(): WorktreeScope {
    return { git: this.git, tasks: this.tasks, state: this.state, worktrees: this.worktrees, base: this.base, runActive: !!this.run };
  }

  async agentLog(taskId: string): Promise<string | undefined> {
    const st = await this.state.readTask(taskId);
    return st?.logFile && existsSync(st.logFile) ? st.logFile : undefined;
  }

  async latestRunDir(): Promise<string | undefined> {
    const id = this.run?.runId ?? (await this.state.latestRunId());
    return id ? this.state.runDir(id) : undefined;
  }

  dispose(): void {
    this.listeners.clear();
  }
}

export function isInside(root: string, p: string): boolean {
  const rel = relative(root, isAbsolute(p) ? p : join(root, p));
  return !rel.startsWith('..') && !isAbsolute(rel);
}
