// Commands on one task: open it, open its review, decide (Approve / Override… / Request
// changes), answer its question, retry it or move it back to pending, accept the base it waits
// for, show its agent log, reveal its worktree; and New task. The target (the clicked item, a
// notification's TaskRef, or a pick) is resolved by commandTarget.ts before a handler runs. No
// swarm logic: the engine decides whether a decision still applies and says why not.

import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import type { DecisionResult, Workspace } from '../swarm/api';
import { STATUS } from '../swarm/status';
import { command, fits, sessionFromArg, type CommandDef, type CommandDeps, type ResolvedTask } from './commandTarget';
import { Commands, type CommandId } from './constants';
import { errorMessage, type SwarmSession } from './session';
import { QuarantinedNode } from './tasksTree';
import { findTask } from './sessions';
import { reviewsInSnapshots } from './notifications';
import type { TaskRef } from './treeNode';

type DecisionKind = 'approve' | 'override' | 'request_changes';

export function taskCommands(deps: CommandDeps): Partial<Record<CommandId, CommandDef>> {
  const decideOn = (kind: DecisionKind) => {
    const verb = kind === 'approve' ? 'Approve' : kind === 'override' ? 'Override' : 'Request changes for';
    return command(
      {
        kind: 'task',
        pick: `${verb} which task?`,
        filter: (_t, status, n) => n?.kind === 'review' || STATUS[status]?.needsYou === 'review' || (kind !== 'approve' && STATUS[status]?.reviewable),
      },
      (t) => decide(t, kind),
      { trusted: true },
    );
  };

  const decide = async ({ session, ref }: ResolvedTask, kind: DecisionKind): Promise<DecisionResult | undefined> => {
    const ws = await session.requireWorkspace();
    // A decision is tied to the commit the user saw: the sha carried by the tree item or the
    // panel; from the palette, the one the engine shows now (the engine refuses a stale one).
    const sha = ref.sha ?? (await ws.reviewDetails(ref.taskId)).sha;
    if (!sha) {
      void vscode.window.showWarningMessage(`Swarm: ${ref.taskId} has no commit to decide on yet.`);
      return undefined;
    }
    let text: string | undefined;
    if (kind === 'override') {
      text = await vscode.window.showInputBox({
        title: `Swarm: Override review of ${ref.taskId}`,
        prompt: `Merge ${sha.slice(0, 12)} despite the reviewer. Why? (kept with the task)`,
        validateInput: (v) => (v.trim() ? undefined : 'A reason is required'),
      });
      if (!text?.trim()) return undefined;
    } else if (kind === 'request_changes') {
      text = await vscode.window.showInputBox({
        title: `Swarm: Request changes to ${ref.taskId}`,
        prompt: 'What should the worker change?',
        validateInput: (v) => (v.trim() ? undefined : 'Say what to change'),
      });
      if (!text?.trim()) return undefined;
    }
    const result = await session.ops.run({ kind: 'decide', target: ref.taskId }, () =>
      session.decide(ws, { taskId: ref.taskId, kind, sha, text: text?.trim(), by: 'vscode' }),
    );
    session.scheduleRefresh({ worktrees: true });
    if (!result.ok && result.reason === 'needs_override') {
      // The engine's rule (the reviewer did not approve): say why in its words, offer Override…,
      // which asks for the reason. Whatever menu showed ✓, nothing merges without it.
      const pick = await vscode.window.showWarningMessage(`Swarm: ${ref.taskId} was not merged. ${result.detail}`, 'Override…');
      if (pick === 'Override…') return decide({ session, ref: { ...ref, sha }, task: undefined }, 'override');
      return result;
    }
    await reportDecision(session, ref.taskId, result);
    return result;
  };

  const retry = (confirm: boolean) =>
    command(
      { kind: 'task', pick: confirm ? 'Move which task back to pending?' : 'Retry which task?', filter: fits.current },
      async ({ session, ref }) => {
        if (confirm) {
          const ok = await vscode.window.showWarningMessage(
            `Move ${ref.taskId} back to pending? Its branch is kept for the next worker.`,
            { modal: true },
            'Move back to pending',
          );
          if (!ok) return false;
        }
        const ws = await session.requireWorkspace();
        await session.ops.run({ kind: 'retry', target: ref.taskId }, () => retryIn(session, ws, ref.taskId));
        session.scheduleRefresh({ worktrees: true });
        vscode.window.setStatusBarMessage(`Swarm: ${ref.taskId} is back in pending`, 5000);
        return true;
      },
      { trusted: true },
    );

  return {
    [Commands.newTask]: command(
      { kind: 'session', pick: 'Add the task to which repository?' },
      async (session) => {
        const ws = await session.requireWorkspace();
        const title = await vscode.window.showInputBox({
          title: 'Swarm: New task',
          prompt: 'Title of the task (you write what to do and the acceptance criteria in the file that opens)',
          placeHolder: 'e.g. Add a --json flag to the status command',
          validateInput: (v) => (v.trim() ? undefined : 'A title is required'),
        });
        if (!title?.trim()) return undefined;
        const task = await session.ops.run({ kind: 'createTask', target: title }, () => ws.createTask({ title: title.trim() }));
        session.scheduleRefresh();
        await vscode.window.showTextDocument(vscode.Uri.file(task.file), { preview: false });
        return task;
      },
      { trusted: true },
    ),

    [Commands.openTask]: command({ kind: 'task', pick: 'Open which task?', filter: fits.any }, async ({ session, ref, task: known }) => {
      let task = known;
      // The file moves between folders as the task progresses: re-read once if it is gone.
      if (!task || !existsSync(task.file)) {
        await session.refreshNow();
        task = findTask(session.snapshot.tasks, ref.taskId);
      }
      if (!task) {
        void vscode.window.showWarningMessage(`Swarm: task ${ref.taskId} is not in the task folders any more.`);
        return;
      }
      await vscode.window.showTextDocument(vscode.Uri.file(task.file), { preview: true });
    }),

    [Commands.openReview]: command(
      { kind: 'task', pick: 'Open the review of which task?', filter: (t, status, n) => n?.kind === 'failed' || fits.review(t, status, n) },
      ({ session, ref }) => deps.reviewHost().openReview(session, ref),
    ),
    // The keyboard's way in (issue 15 item 9): the review waiting longest that is not on screen
    // already (the notifications' next one: it knows a review requested a moment ago, before the
    // snapshot has it), else the one on screen; its panel opens with the keyboard on the decision.
    [Commands.openNextReview]: command({ kind: 'none' }, async () => {
      const host = deps.reviewHost();
      const waiting = reviewsInSnapshots(deps.registry.sessions);
      const next = deps.nextReview?.() ?? waiting.find((r) => !host.isShowing?.(r.session.root, r.ref.taskId)) ?? waiting[0];
      if (!next) {
        void vscode.window.showInformationMessage('Swarm: no review is waiting for you.');
        return false;
      }
      await host.openReview(next.session, next.ref, { focus: true });
      return true;
    }),
    [Commands.approve]: decideOn('approve'),
    [Commands.override]: decideOn('override'),
    [Commands.requestChanges]: decideOn('request_changes'),

    [Commands.answerQuestion]: command(
      {
        kind: 'task',
        pick: 'Answer which question?',
        filter: (t, status, n) =>
          n?.kind === 'question' || (n?.kind !== 'failed' && (STATUS[status]?.needsYou === 'question' || Boolean(t.question && !t.answer))),
      },
      async ({ session, ref, task }, [, givenText]) => {
        const ws = await session.requireWorkspace();
        const known = () => findTask(session.snapshot.tasks, ref.taskId)?.question ?? session.snapshot.needsYou.find((n) => n.taskId === ref.taskId)?.question;
        // The tree may have caught the task between "blocked" and its question being written: read again.
        if (!task?.question && !known()) await session.refreshNow();
        const question = task?.question ?? known() ?? '(no question recorded)';
        const text =
          typeof givenText === 'string'
            ? givenText
            : await vscode.window.showInputBox({
                title: `Swarm: ${ref.taskId} asks`,
                prompt: question,
                placeHolder: 'Your answer (given to the agent when it resumes)',
                ignoreFocusOut: true,
                validateInput: (v) => (v.trim() ? undefined : 'An answer is required'),
              });
        if (!text?.trim()) return false;
        await session.ops.run({ kind: 'answer', target: ref.taskId }, () => ws.answer(ref.taskId, text.trim()));
        session.scheduleRefresh();
        vscode.window.setStatusBarMessage(`Swarm: answered ${ref.taskId}`, 5000);
        return true;
      },
      { trusted: true },
    ),

    [Commands.retryTask]: retry(false),
    [Commands.moveToPending]: retry(true),

    // Issue 12 rule 2: the base moved outside the swarm; the user looked and accepts it as it is.
    [Commands.acceptBase]: command(
      { kind: 'task', pick: 'Which waiting task?', filter: (_t, status) => STATUS[status].needsYou === 'base' },
      async ({ session, ref, task }) => {
        const why = typeof task?.meta.waiting_for === 'string' ? task.meta.waiting_for : 'the base branch moved outside the swarm';
        const ok = await vscode.window.showWarningMessage(
          `Swarm: ${why}`,
          { modal: true, detail: 'Accept the base branch as it is now? Waiting merges and reviews go on on top of it.' },
          'Accept base',
        );
        if (!ok) return false;
        const ws = await session.requireWorkspace();
        const r = await session.ops.run({ kind: 'acceptBase', target: ref.taskId }, () => ws.acceptBase());
        session.scheduleRefresh({ worktrees: true });
        if (!r.ok) void vscode.window.showWarningMessage(`Swarm: not accepted: ${r.detail}`);
        else vscode.window.setStatusBarMessage(`Swarm: accepted ${ws.base} at ${r.sha.slice(0, 12)}`, 5000);
        return r.ok;
      },
      { trusted: true },
    ),

    [Commands.showAgentLog]: command(
      { kind: 'task', pick: 'Show the agent log of which task?', filter: fits.started, otherViews: true },
      async ({ session, ref }) => {
        const ws = await session.requireWorkspace();
        const file = await ws.agentLog(ref.taskId);
        if (!file) {
          void vscode.window.showInformationMessage(`Swarm: no agent has worked on ${ref.taskId} yet.`);
          return;
        }
        await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
      },
    ),

    // A quarantined task file the user fixed goes back to pending (the engine checks it parses now).
    [Commands.restoreQuarantined]: command(
      { kind: 'none' },
      async (_none, [arg]) => {
        const session = arg instanceof QuarantinedNode ? arg.session : sessionFromArg(deps.registry, arg);
        const file = arg instanceof QuarantinedNode ? arg.entry.file : (arg as { file?: unknown } | undefined)?.file;
        if (!session || typeof file !== 'string') return false;
        const ws = await session.requireWorkspace();
        try {
          const task = await session.ops.run({ kind: 'restoreQuarantined', target: file }, () => ws.restoreQuarantined(file));
          session.scheduleRefresh();
          vscode.window.setStatusBarMessage(`Swarm: ${task.id} is back in pending`, 5000);
          return true;
        } catch (e) {
          const pick = await vscode.window.showErrorMessage(`Swarm: still in quarantine: ${errorMessage(e)}`, 'Open file');
          if (pick) await vscode.window.showTextDocument(vscode.Uri.file(file));
          return false;
        }
      },
      { trusted: true },
    ),

    [Commands.revealWorktree]: command(
      { kind: 'task', pick: 'Reveal the worktree of which task?', filter: fits.current },
      async ({ session, ref, task, node }) => {
        const path = node?.worktree ?? task?.worktree ?? session.snapshot.worktrees.find((w) => w.taskId === ref.taskId)?.path;
        if (!path) {
          void vscode.window.showInformationMessage(`Swarm: ${ref.taskId} has no worktree.`);
          return;
        }
        await deps.revealWorktree(session, path);
      },
    ),
  };
}

async function reportDecision(session: SwarmSession, taskId: string, result: DecisionResult): Promise<void> {
  const ref: TaskRef = { root: session.root, taskId };
  if (result.ok) {
    switch (result.applied) {
      case 'merged':
        void vscode.window.showInformationMessage(`Swarm: ${taskId} merged as ${result.commit.slice(0, 12)}.`);
        break;
      case 'queued':
        vscode.window.setStatusBarMessage(`Swarm: ${taskId}: ${result.detail}`, 8000);
        break;
      case 'fix_requested':
        vscode.window.setStatusBarMessage(`Swarm: changes requested for ${taskId}; its worker picks them up`, 8000);
        break;
      case 'returned_to_pending':
        vscode.window.setStatusBarMessage(`Swarm: ${taskId} returned to pending`, 8000);
        break;
      case 'rejected':
        vscode.window.setStatusBarMessage(`Swarm: ${taskId} rejected`, 8000);
        break;
      case 'completed_without_change':
        vscode.window.setStatusBarMessage(`Swarm: ${taskId} completed: no change was needed`, 8000);
        break;
    }
    return;
  }
  switch (result.reason) {
    case 'stale_sha': {
      const pick = await vscode.window.showWarningMessage(
        `Swarm: ${taskId} changed since you looked at it (now at ${result.currentSha.slice(0, 12)}). Nothing was decided: review it again.`,
        'Open review',
      );
      if (pick) await vscode.commands.executeCommand(Commands.openReview, { ...ref, sha: result.currentSha });
      break;
    }
    case 'conflict':
      void vscode.window.showWarningMessage(
        `Swarm: ${taskId} conflicts with the base in ${result.files.join(', ')}; nothing was merged and the task goes back to its worker.`,
      );
      break;
    case 'waiting_local_changes': {
      const pick = await vscode.window.showWarningMessage(
        `Swarm: ${taskId} is approved but waits for your local changes in ${result.files.join(', ')}; it merges once they are committed or undone.`,
        'Show my changes',
      );
      if (pick) await vscode.commands.executeCommand('workbench.view.scm');
      break;
    }
    default:
      void vscode.window.showWarningMessage(`Swarm: could not decide on ${taskId}: ${result.detail}`);
  }
}

/** A run in the engine process (engineChild.ts) owns the task files while it runs: retry there. */
function retryIn(session: SwarmSession, ws: Workspace, taskId: string): Promise<void> {
  const run = session.activeRun as { retryTask?(taskId: string): Promise<void> } | undefined;
  return run?.retryTask ? run.retryTask(taskId) : ws.retry(taskId);
}
