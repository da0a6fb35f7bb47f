// An in-memory engine Workspace for the extension's unit tests: holds tasks, runtime states,
// needs-you items and worktrees the test sets, records every call, and emits the events the
// test asks for. The extension is tested against it first, then against the real engine.

import type {
  AcceptBaseResult,
  Approvability,
  PreflightProblem,
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
} from '../../src/swarm/api';
import { parseSwarmConfig, type ResolvedConfig } from '../../src/swarm/config';
import type { ReviewRound, RunSummary, SwarmEvent, Task, TaskFolder, TaskRuntimeState, TaskStatus, WorkerInfo, WorktreeInfo } from '../../src/swarm/types';

/**
 * The engine's approvability (src/swarm/approval.ts) for fixture rounds, which carry no seals: the
 * latest reviewer verdict decides. Fixtures of the extension and the panel use it; the engine's own
 * function (with seals) is tested in test/integration/engine-decisions.test.ts.
 */
export function fixtureApprovability(rounds: readonly ReviewRound[] = []): Approvability {
  const r = [...rounds].reverse().find((x) => x.by !== 'human');
  const verdict = r?.verdict ?? null;
  if (verdict === 'NEEDS_CHANGES' || verdict === 'REJECTED')
    return {
      approvable: false,
      verdict,
      verdictSha: r?.sha,
      message: `The reviewer said ${verdict} in round ${r?.round}. A plain Approve does not merge it: use Override… and give a reason.`,
    };
  return { approvable: true, verdict, verdictSha: r?.sha };
}

export function makeTask(id: string, folder: TaskFolder, status: TaskStatus = folder === 'current' ? 'running' : folder, extra: Partial<Task> = {}): Task {
  return {
    id,
    title: extra.title ?? `Task ${id}`,
    folder,
    status,
    file: `/repo/tasks/${folder}/${id}.md`,
    body: 'Do it.',
    priority: 0,
    dependsOn: [],
    ...extra,
    meta: { id, title: extra.title ?? `Task ${id}`, ...(extra.meta ?? {}) },
  };
}

export function makeState(id: string, status: TaskStatus, extra: Partial<TaskRuntimeState> = {}): TaskRuntimeState {
  return { id, status, rounds: [], attempts: 0, updatedAt: new Date(0).toISOString(), ...extra };
}

export function makeConfig(root: string, overrides: Partial<ResolvedConfig> = {}): ResolvedConfig {
  // The engine's own defaults, so the fake keeps up with config fields added later.
  return { ...parseSwarmConfig({ base: 'main', workers: [{ role: 'worker', harness: 'demo', count: 1 }] }), file: `${root}/swarm.json`, ...overrides };
}

export class FakeRun implements SwarmRun {
  readonly runId: string;
  paused = false;
  stopped: string | undefined;
  private finish!: (s: RunSummary) => void;
  readonly done: Promise<RunSummary>;
  constructor(
    private readonly ws: FakeSwarmWorkspace,
    private readonly workerList: WorkerInfo[],
    runId = 'run-1',
  ) {
    this.runId = runId;
    this.done = new Promise((resolve) => (this.finish = resolve));
  }
  workers(): WorkerInfo[] {
    return this.workerList;
  }
  pause(): void {
    this.paused = true;
    this.ws.emit({ type: 'run_paused' });
  }
  resume(): void {
    this.paused = false;
    this.ws.emit({ type: 'run_resumed' });
  }
  /** Calls of pauseWorker / resumeWorker / stopWorker, in order. */
  readonly workerCalls: [string, string][] = [];
  private workerChange(action: 'pause' | 'resume' | 'stop', id: string, patch: Partial<WorkerInfo>): boolean {
    this.workerCalls.push([action, id]);
    const w = this.workerList.find((x) => x.id === id);
    if (!w) throw new Error(`no worker "${id}" in this run`);
    Object.assign(w, patch);
    this.ws.emit({ type: 'worker_state', worker: { ...w } });
    return true;
  }
  pauseWorker(id: string): boolean {
    return this.workerChange('pause', id, { paused: true });
  }
  resumeWorker(id: string): boolean {
    return this.workerChange('resume', id, { paused: undefined });
  }
  stopWorker(id: string): boolean {
    return this.workerChange('stop', id, { state: 'stopped', stoppedReason: 'stopped by you', paused: undefined });
  }
  async stop(reason?: string): Promise<RunSummary> {
    this.stopped = reason ?? 'stopped';
    return this.end(this.stopped);
  }
  end(reason?: string): RunSummary {
    const summary: RunSummary = {
      runId: this.runId,
      startedAt: new Date(0).toISOString(),
      finishedAt: new Date().toISOString(),
      reason,
      workers: [],
      merged: [],
      waitingForHuman: [],
      blocked: [],
      failed: [],
    };
    if (this.ws.activeRun === this) this.ws.activeRun = undefined;
    this.ws.emit({ type: 'run_finished', summary });
    this.finish(summary);
    return summary;
  }
}

export class FakeSwarmWorkspace implements Workspace {
  readonly root: string;
  readonly base = 'main';
  config: ResolvedConfig;
  tasks: TaskList = { pending: [], current: [], complete: [], quarantined: [] };
  states = new Map<string, TaskRuntimeState>();
  needs: NeedsYouItem[] = [];
  worktrees: WorktreeInfo[] = [];
  activeRun: FakeRun | undefined;
  elsewhere: { pid: number; runId: string } | undefined;
  workerInfos: WorkerInfo[] = [{ id: 'w1', role: 'worker', harness: 'demo', state: 'idle', iteration: 0, iterations: 5 }];
  decideResult: (req: DecisionRequest) => DecisionResult = () => ({ ok: true, applied: 'merged', commit: 'c0ffee0000000000000000000000000000000000' });
  cleanupPlan: CleanupReport = { dryRun: true, actions: [], freedBytes: 0 };
  logs = new Map<string, string>();
  /** Every call: [method, ...args]. */
  readonly calls: unknown[][] = [];
  /** listTasks calls (refresh counting). */
  listCount = 0;
  disposed = false;
  /** Emit run_started synchronously inside startRun (as an engine would soon after). */
  emitRunStarted = true;
  private listeners = new Set<(e: SwarmEvent) => void>();

  constructor(
    readonly options: OpenWorkspaceOptions,
    root = options.repo,
  ) {
    this.root = root;
    this.config = makeConfig(root);
  }

  emit(e: SwarmEvent): void {
    for (const l of [...this.listeners]) l(e);
  }
  onEvent(listener: (e: SwarmEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  get listenerCount(): number {
    return this.listeners.size;
  }
  async runningElsewhere() {
    this.calls.push(['runningElsewhere']);
    return this.elsewhere;
  }
  /** What preflight() reports (none: the start goes on). */
  preflightProblems: PreflightProblem[] = [];
  async preflight(): Promise<PreflightProblem[]> {
    this.calls.push(['preflight']);
    return this.preflightProblems;
  }
  startRun(options?: StartRunOptions): SwarmRun {
    this.calls.push(['startRun', options]);
    const run = new FakeRun(this, this.workerInfos);
    this.activeRun = run;
    if (this.emitRunStarted) this.emit({ type: 'run_started', runId: run.runId, workers: this.workerInfos, base: 'main' });
    return run;
  }
  async listTasks(): Promise<TaskList> {
    this.listCount++;
    return structuredClone(this.tasks);
  }
  async taskState(taskId: string) {
    return this.states.get(taskId);
  }
  async createTask(input: NewTaskInput): Promise<Task> {
    this.calls.push(['createTask', input]);
    const id = input.title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    const task = makeTask(id, 'pending', 'pending', { title: input.title, file: `${this.root}/tasks/pending/${id}.md` });
    this.tasks.pending.push(task);
    this.emit({ type: 'task_created', taskId: id, by: 'user' });
    return task;
  }
  async restoreQuarantined(file: string): Promise<Task> {
    this.calls.push(['restoreQuarantined', file]);
    const i = this.tasks.quarantined.findIndex((q) => q.file === file || q.file.endsWith(`/${file}`));
    if (i < 0) throw new Error(`${file}: not in quarantine any more`);
    const [q] = this.tasks.quarantined.splice(i, 1);
    const id = q.file.split('/').pop()!.replace(/\.md$/, '');
    const task = makeTask(id, 'pending', 'pending', { file: `${this.root}/tasks/pending/${id}.md` });
    this.tasks.pending.push(task);
    this.emit({ type: 'task_created', taskId: id, by: 'user' });
    return task;
  }
  async answer(taskId: string, text: string) {
    this.calls.push(['answer', taskId, text]);
    this.emit({ type: 'task_answered', taskId, answer: text });
  }
  async retry(taskId: string) {
    this.calls.push(['retry', taskId]);
    const i = this.tasks.current.findIndex((t) => t.id === taskId);
    if (i < 0) throw new Error(`${taskId} is not in current`);
    const [task] = this.tasks.current.splice(i, 1);
    this.tasks.pending.push({ ...task, folder: 'pending', status: 'pending' });
    this.emit({ type: 'task_returned', taskId, reason: 'retry' });
  }
  async needsYou() {
    // Like the engine (workspace.ts needsYou): every review carries its approvability.
    return structuredClone(this.needs).map((n) =>
      n.kind === 'review' && !n.approvable ? { ...n, approvable: fixtureApprovability(this.states.get(n.taskId)?.rounds) } : n,
    );
  }
  async reviewDetails(taskId: string): Promise<ReviewDetails> {
    this.calls.push(['reviewDetails', taskId]);
    const task = [...this.tasks.current, ...this.tasks.pending, ...this.tasks.complete].find((t) => t.id === taskId);
    if (!task) throw new Error(`no task ${taskId}`);
    const state = this.states.get(taskId);
    return {
      task,
      state,
      base: 'main',
      sha: state?.headSha,
      baseSha: 'base000',
      diff: 'diff --git a/a.txt b/a.txt\nnew file mode 100644\n--- /dev/null\n+++ b/a.txt\n@@ -0,0 +1 @@\n+hi\n',
      rounds: state?.rounds ?? [],
      canDecide: state?.status === 'awaiting_human',
      approvable: fixtureApprovability(state?.rounds),
    };
  }
  async acceptBase(): Promise<AcceptBaseResult> {
    return { ok: false, detail: 'not in the fake' };
  }

  async decide(req: DecisionRequest): Promise<DecisionResult> {
    this.calls.push(['decide', req]);
    return this.decideResult(req);
  }
  async showFile(rev: string, path: string) {
    this.calls.push(['showFile', rev, path]);
    return rev === 'missing' ? undefined : `${path}@${rev}`;
  }
  async listWorktrees() {
    return structuredClone(this.worktrees);
  }
  async cleanup(options: { dryRun: boolean; worktree?: string }): Promise<CleanupReport> {
    this.calls.push(['cleanup', options]);
    return { ...this.cleanupPlan, dryRun: options.dryRun };
  }
  async agentLog(taskId: string) {
    return this.logs.get(taskId);
  }
  async latestRunDir() {
    return undefined;
  }
  dispose(): void {
    this.disposed = true;
  }
}

/** A fake engine: openWorkspace hands out FakeSwarmWorkspaces (or throws what the test says). */
export class FakeEngine {
  readonly workspaces: FakeSwarmWorkspace[] = [];
  readonly opened: OpenWorkspaceOptions[] = [];
  readonly initialized: string[] = [];
  failWith: Error | undefined;
  /** Called on each new workspace so the test can seed it. */
  setup: (ws: FakeSwarmWorkspace) => void = () => undefined;
  openWorkspace = async (options: OpenWorkspaceOptions): Promise<Workspace> => {
    this.opened.push(options);
    if (this.failWith) throw this.failWith;
    const ws = new FakeSwarmWorkspace(options);
    this.setup(ws);
    this.workspaces.push(ws);
    return ws;
  };
  /** What initRepo returns (the engine's `{ choice }` of initConfig.ts), and the options it got. */
  initResult: unknown = undefined;
  initOptions: unknown[] = [];
  initRepo = async (root: string, options?: unknown): Promise<unknown> => {
    this.initialized.push(root);
    this.initOptions.push(options);
    this.failWith = undefined;
    return this.initResult;
  };
  get last(): FakeSwarmWorkspace {
    const ws = this.workspaces[this.workspaces.length - 1];
    if (!ws) throw new Error('no workspace opened yet');
    return ws;
  }
}
