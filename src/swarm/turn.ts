// One agent turn, whatever the role (worker, executor, reviewer, planner): the prompt file, the
// SWARM_* environment, the log file, the agent's pid journaled in the task's state while it runs
// (recovery kills an agent that outlived its run), the task file kept in current, usage counted.

import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { harnessTimeoutMs } from './harness';
import type { AgentRole, AgentTurnResult, Harness } from './harness/types';
import type { RunContext } from './runContext';
import { processStartTime, storageFailureReason } from './state';
import { sumUsage } from './cost';
import type { Task, TaskRuntimeState } from './types';
import { portEnv } from './ports';
import type { WorkerControl } from './workerControl';
import { addDenials } from './sandboxDenials';

export interface TurnOptions {
  task?: Task;
  /** SWARM_TASK_FILE for this turn (the reviewer gets the text as claimed), else the task's file in current/. */
  taskFile?: string;
  cwd: string;
  round: number;
  /** The task's state: gets the log file, the agent's pid while it runs, and resumes its session. */
  st?: TaskRuntimeState;
  model?: string;
  /** The task whose cost this turn counts towards when `st` is not given (the reviewer's turn). */
  account?: TaskRuntimeState;
}

export class AgentTurns {
  private promptSeq = 0;
  /** Agent turns running right now. */
  running = 0;

  constructor(
    private readonly run: Pick<RunContext, 'runId' | 'runDir' | 'deps' | 'signal' | 'emit' | 'metrics' | 'stop' | 'budget'> & {
      readonly control?: WorkerControl;
    },
  ) {}

  /** One agent turn: prompt file, SWARM_* environment, log file, pid journaled while it runs. */
  async turn(workerId: string, harness: Harness, role: AgentRole, prompt: string, o: TurnOptions): Promise<AgentTurnResult> {
    const { deps, runDir } = this.run;
    const seq = ++this.promptSeq;
    const label = `${o.task?.id ?? workerId}-${role}-r${o.round}-${seq}`;
    const promptFile = join(runDir, 'prompts', `${label}.md`);
    const logFile = join(runDir, 'logs', `${label}.log`);
    await fs.mkdir(join(runDir, 'prompts'), { recursive: true });
    await fs.writeFile(promptFile, prompt);
    const env: Record<string, string> = {
      SWARM_ROLE: role,
      SWARM_TASK_ID: o.task?.id ?? '',
      SWARM_TASK_FILE: o.taskFile ?? (o.task ? deps.tasks.fileFor(o.task.id, 'current') : ''),
      SWARM_TASKS_DIR: deps.tasks.dir,
      SWARM_WORKTREE: o.cwd,
      SWARM_BASE: deps.base,
      SWARM_RUN_ID: this.run.runId,
      SWARM_WORKER_ID: workerId,
      SWARM_ROUND: String(o.round),
      ...(o.st?.ports ? portEnv(o.st.ports) : {}), // the worktree's own ports (ports.ts)
    };
    if (o.st) {
      o.st.logFile = logFile;
    }
    const harnessName = o.st?.harness ?? harness.name;
    await deps.merges.watch?.turnStarted(); // base moves during agent turns cannot be told apart from the agent's (base.ts)
    let res: AgentTurnResult;
    this.running++;
    try {
      res = await harness.runTurn({
        role,
        prompt,
        promptFile,
        cwd: o.cwd,
        env,
        model: o.model,
        resumeSessionId: harness.supportsResume ? o.st?.sessionId : undefined,
        branch: role === 'worker' || role === 'executor' ? o.st?.branch : undefined, // the one ref a sandboxed turn may move
        timeoutMs: harnessTimeoutMs(harnessName, deps.config),
        logFile,
        signal: this.run.control?.signalFor(workerId) ?? this.run.signal, // a stopped worker's turn ends (workerControl.ts)
        onLogError: (e) => void this.run.stop(storageFailureReason(e, logFile)), // a log that cannot be written ends the run cleanly
        onSpawn: ({ pid, pgid }) => {
          this.run.emit({ type: 'agent_started', taskId: o.task?.id, workerId, role, round: o.round, pid, pgid, logFile });
          if (o.st) {
            o.st.agent = { pid, pgid, procStart: processStartTime(pid) };
            void deps.state.writeTask(o.st);
          }
        },
      });
    } finally {
      this.running--;
      await deps.merges.watch?.turnEnded();
    }
    if (o.st) {
      o.st.agent = undefined;
      // What the sandbox refused, kept for the next review round (sandboxDenials.ts; review.ts records it).
      if (res.sandboxDenied?.length) o.st.sandboxDenied = addDenials(o.st.sandboxDenied, res.sandboxDenied);
      await deps.state.writeTask(o.st);
    }
    if (o.task && role !== 'planner') {
      const kept = await deps.tasks.keepInCurrent(o.task).catch(() => 'present' as const);
      if (kept !== 'present')
        this.run.emit({
          type: 'log',
          level: 'warn',
          message: `the ${role} of ${o.task.id} ${kept === 'moved_back' ? 'moved' : 'deleted'} its task file; it is back in ${deps.config.tasksDir}/current (the swarm moves tasks when they merge)`,
        });
    }
    const m = this.run.metrics.get(workerId);
    if (m && res.usage) m.usage = sumUsage(m.usage, res.usage);
    const account = o.st ?? o.account;
    this.run.budget.count(res.usage, account, { harness: harnessName, failure: res.failure?.kind }); // the run's and the task's cost (budget.ts)
    if (account && res.usage && account !== o.st) await deps.state.writeTask(account);
    this.run.emit({
      type: 'agent_finished',
      taskId: o.task?.id,
      workerId,
      role,
      round: o.round,
      exitCode: res.exitCode,
      durationMs: res.durationMs,
      failure: res.failure?.message,
      failureKind: res.failure?.kind,
      usage: res.usage,
    });
    return res;
  }
}
