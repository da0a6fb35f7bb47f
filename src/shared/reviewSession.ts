// The host half of one review panel, without vscode: it validates each page message with the
// protocol guards, turns actions into `workspace.decide` calls tied to the sha the page sent,
// pushes state and results back, and refreshes on the engine's events for its task. The vscode
// shell (src/extension/reviewPanel.ts) only supplies `post` and `openNativeDiff`, which keeps
// this logic unit-testable against a fake or a real engine.

import type { DecisionRequest, Workspace } from '../swarm/api';
import type { SwarmEvent } from '../swarm/types';
import { decisionTextWithComments, type LineComment } from './lineComments';
import { buildReviewViewModel, DEFAULT_RENDER_LIMITS, type ReviewRenderLimits } from './reviewModel';
import { DecidedResponse, ErrorNotification, FileDiffNotification, StateNotification, parseReviewCommand, type ReviewNotification } from './reviewProtocol';
import {
  ACTION_TO_DECISION,
  isActionOutcome,
  resultStillApplies,
  type ActionOutcome,
  type ActionResultView,
  type ReviewAction,
  type ReviewViewModel,
} from './reviewViewModel';

export type WorkspaceSource = () => Workspace | undefined | Promise<Workspace | undefined>;

export interface NativeDiffRequest {
  /** Path on the right (after the change); for deletions, the removed path. */
  path: string;
  /** Path on the left when it differs (renames, copies). */
  oldPath?: string;
  status: ReviewViewModel['files'][number]['status'];
  /** Left side: the merge-base the diff was taken against. */
  leftRev: string;
  /** Right side: the commit on screen. */
  rightRev: string;
}

export interface ReviewSessionPort {
  post(msg: ReviewNotification): void | Promise<unknown> | PromiseLike<unknown>;
  openNativeDiff(req: NativeDiffRequest): void | Promise<unknown> | PromiseLike<unknown>;
  /** Open the review of another task in place of this one (the page's "Next review"). */
  openNext?(taskId: string): void | Promise<unknown> | PromiseLike<unknown>;
  /** Where the session reports messages it refused or failures it could not show (optional). */
  log?(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface ReviewSessionOptions {
  limits?: ReviewRenderLimits;
  /** Coalesces bursts of engine events into one refresh (ms). 0 refreshes on the next tick. */
  refreshDelayMs?: number;
  /** Recorded as DecisionRequest.by. */
  decidedBy?: string;
  now?: () => Date;
}

/** The task an engine event is about, if any. */
export function eventTaskId(e: SwarmEvent): string | undefined {
  return 'taskId' in e && typeof e.taskId === 'string' ? e.taskId : undefined;
}

// Events that change what the panel shows. Agent output events are frequent and change nothing here.
const REFRESHING_EVENTS = new Set<SwarmEvent['type']>([
  'task_claimed',
  'task_status',
  'task_blocked',
  'task_answered',
  'review_started',
  'review_finished',
  'human_review_requested',
  'human_decision',
  'merge_started',
  'merge_waiting',
  'merge_conflict',
  'conflict_predicted',
  'task_merged',
  'task_returned',
  'task_failed',
  'worktree_created',
]);

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 10_000 ? `${text.slice(0, 10_000)}…` : text;
}

export class ReviewSession {
  private model: ReviewViewModel | undefined;
  private fileDiffs = new Map<string, string>();
  private busy: ReviewAction | undefined;
  private lastResult: ActionResultView | undefined;
  /** Reviews of other tasks waiting for the user, oldest first (the page's "Next review"). */
  private waitingIds: string[] = [];
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** The refresh running now, and whether another was asked for meanwhile (coalesced into one). */
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private disposed = false;
  private readonly limits: ReviewRenderLimits;
  private readonly refreshDelayMs: number;

  constructor(
    readonly taskId: string,
    private readonly workspace: WorkspaceSource,
    private readonly port: ReviewSessionPort,
    private readonly options: ReviewSessionOptions = {},
  ) {
    this.limits = options.limits ?? DEFAULT_RENDER_LIMITS;
    this.refreshDelayMs = options.refreshDelayMs ?? 150;
  }

  /** The view model last sent to the page. */
  get current(): ReviewViewModel | undefined {
    return this.model;
  }

  get isBusy(): boolean {
    return this.busy !== undefined;
  }

  /** Entry point for every message from the page. Invalid messages are dropped (and logged). */
  async handleMessage(msg: unknown): Promise<void> {
    if (this.disposed) return;
    const cmd = parseReviewCommand(msg);
    if (!cmd) {
      const method = typeof msg === 'object' && msg !== null && 'method' in msg ? String((msg as { method: unknown }).method).slice(0, 80) : typeof msg;
      this.port.log?.('warn', `review panel ${this.taskId}: ignored an invalid message (${method})`);
      return;
    }
    switch (cmd.method) {
      case 'review/ready':
      case 'review/refresh':
        return this.refresh();
      case 'review/decide': {
        const { id, action, sha, text, comments } = cmd.params;
        return this.decide(id, action, sha, text?.trim() || undefined, comments ?? []);
      }
      case 'review/next':
        return this.openNext();
      case 'review/openNativeDiff':
        return this.openNativeDiff(cmd.params.path);
      case 'review/loadFile':
        return this.loadFile(cmd.params.path);
    }
  }

  /** Engine events: refresh (debounced) when one is about this panel's task. */
  onEvent(e: SwarmEvent): void {
    if (this.disposed || eventTaskId(e) !== this.taskId || !REFRESHING_EVENTS.has(e.type)) return;
    this.scheduleRefresh();
  }

  scheduleRefresh(): void {
    if (this.disposed || this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, this.refreshDelayMs);
  }

  /** Reload the task's details from the engine and push them. Concurrent calls coalesce. */
  async refresh(): Promise<void> {
    if (this.disposed) return;
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.refreshAgain = false;
          await this.loadAndPost();
        } while (this.refreshAgain && !this.disposed);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  dispose(): void {
    this.disposed = true;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  private async loadAndPost(): Promise<void> {
    const ws = await this.workspace();
    if (!ws) {
      await this.post(ErrorNotification.create({ message: 'No swarm workspace is open (no swarm.json in this folder, or it failed to load).' }));
      return;
    }
    let built;
    try {
      built = buildReviewViewModel(await ws.reviewDetails(this.taskId), this.limits);
    } catch (err) {
      await this.post(ErrorNotification.create({ message: `Cannot load the review of task ${this.taskId}: ${errorText(err)}` }));
      return;
    }
    // Other reviews waiting (best effort: the panel works without the count).
    const waiting = await Promise.resolve()
      .then(() => ws.needsYou())
      .catch(() => []);
    if (this.disposed) return;
    this.waitingIds = waiting
      .filter((n) => n.kind === 'review' && n.taskId !== this.taskId)
      .sort((a, b) => a.since.localeCompare(b.since))
      .map((n) => n.taskId);
    // A result about another commit no longer applies once that commit waits for a decision
    // again (a fix round came back): the page would otherwise show the old round's outcome.
    if (this.lastResult && !resultStillApplies(this.lastResult, built.model)) this.lastResult = undefined;
    this.model = built.model;
    this.fileDiffs = built.fileDiffs;
    await this.postState();
  }

  private async postState(): Promise<void> {
    if (!this.model) return;
    const params: Parameters<typeof StateNotification.create>[0] = { model: this.model, waiting: this.waitingIds.length };
    if (this.busy) params.pending = this.busy;
    if (this.lastResult) params.lastResult = this.lastResult;
    if (this.focusNext) {
      params.focus = true;
      this.focusNext = false;
    }
    await this.post(StateNotification.create(params));
  }

  /** The next state the page gets asks it to put the keyboard on the decision (opened from the keyboard). */
  private focusNext = false;
  async requestFocus(): Promise<void> {
    this.focusNext = true;
    await this.postState();
  }

  private async decide(id: number, action: ReviewAction, sha: string, text: string | undefined, comments: readonly LineComment[]): Promise<void> {
    if (this.busy) {
      // One decision at a time per panel: a second click while merging must not queue another.
      const busy: ActionOutcome = { ok: false, reason: 'busy', detail: `Still working on "${this.busy}".` };
      await this.post(DecidedResponse.create({ id, result: { action, sha, outcome: busy, at: this.now() } }));
      return;
    }
    // Claimed before the first await: two messages handled concurrently must not both get past
    // the check above.
    this.busy = action;
    let outcome: ActionOutcome;
    try {
      const ws = await this.workspace();
      if (!ws) outcome = { ok: false, reason: 'error', detail: 'No swarm workspace is open.' };
      else {
        const req: DecisionRequest = { taskId: this.taskId, kind: ACTION_TO_DECISION[action], sha };
        // Line comments go into the decision's text (lineComments.ts): the path every decision takes.
        const full = decisionTextWithComments(text, comments);
        if (full !== undefined) req.text = full;
        if (this.options.decidedBy) req.by = this.options.decidedBy;
        outcome = await ws.decide(req);
      }
    } catch (err) {
      outcome = { ok: false, reason: 'error', detail: errorText(err) };
    } finally {
      this.busy = undefined;
    }
    if (!isActionOutcome(outcome)) {
      // The page drops results that fail its guard; say what came back instead of nothing.
      this.port.log?.('warn', `review panel ${this.taskId}: unexpected decision result ${JSON.stringify(outcome).slice(0, 300)}`);
      outcome = {
        ok: false,
        reason: 'error',
        detail: `The engine answered in an unexpected form: ${JSON.stringify(outcome).slice(0, 500)}. The panel was refreshed; check the task's state.`,
      };
    }
    // The result is part of the state too, so a page reloaded right after still shows it.
    this.lastResult = { action, sha, outcome, at: this.now() };
    await this.post(DecidedResponse.create({ id, result: this.lastResult }));
    // Always re-read: after a decision the task moved on; after stale_sha the page must show the new
    // commit (and nothing was done: the user decides again on what they now see).
    await this.refresh();
  }

  /** The page's "Next review": the oldest other review waiting, re-checked now. */
  private async openNext(): Promise<void> {
    await this.refresh();
    const next = this.waitingIds[0];
    if (!next || !this.port.openNext) return;
    try {
      await this.port.openNext(next);
    } catch (err) {
      this.port.log?.('error', `review panel ${this.taskId}: cannot open the next review (${next}): ${errorText(err)}`);
    }
  }

  private async openNativeDiff(path: string): Promise<void> {
    const file = this.model?.files.find((f) => f.path === path);
    const { sha, baseSha } = this.model ?? {};
    // Only files of the diff on screen: the page cannot make the host read arbitrary paths.
    if (!file || !sha || !baseSha) {
      this.port.log?.('warn', `review panel ${this.taskId}: openNativeDiff for a path not in the diff`);
      return;
    }
    const req: NativeDiffRequest = { path: file.path, status: file.status, leftRev: baseSha, rightRev: sha };
    if (file.oldPath) req.oldPath = file.oldPath;
    try {
      await this.port.openNativeDiff(req);
    } catch (err) {
      this.port.log?.('error', `review panel ${this.taskId}: cannot open the diff of ${path}: ${errorText(err)}`);
    }
  }

  private async loadFile(path: string): Promise<void> {
    const diff = this.fileDiffs.get(path);
    const sha = this.model?.sha;
    if (diff === undefined || !sha) {
      this.port.log?.('warn', `review panel ${this.taskId}: loadFile for a path not in the diff`);
      return;
    }
    await this.post(FileDiffNotification.create({ sha, path, diff }));
  }

  private async post(msg: ReviewNotification): Promise<void> {
    if (this.disposed) return;
    try {
      await this.port.post(msg);
    } catch (err) {
      // A panel closed mid-flight: nothing to show it on.
      this.port.log?.('info', `review panel ${this.taskId}: post failed: ${errorText(err)}`);
    }
  }

  private now(): string {
    return (this.options.now?.() ?? new Date()).toISOString();
  }
}
