// Every id the extension shares with package.json: commands, views, context keys, settings.
// test/unit/extension-manifest.test.ts checks these against package.json 1:1, so a rename here
// without the manifest (or the other way round) fails the build instead of a user's click.

export const VIEW_CONTAINER_ID = 'swarm';

export const Views = {
  tasks: 'swarm.tasks',
  worktrees: 'swarm.worktrees',
  workers: 'swarm.workers',
  mergeQueue: 'swarm.mergeQueue',
} as const;
export type ViewId = (typeof Views)[keyof typeof Views];

/** Command ids and their titles (category "Swarm" is added in the manifest). */
export const Commands = {
  startSwarm: 'swarm.start',
  startSwarmWithWorkers: 'swarm.startWithWorkers',
  stopSwarm: 'swarm.stop',
  pauseSwarm: 'swarm.pause',
  resumeSwarm: 'swarm.resume',
  newTask: 'swarm.newTask',
  openReview: 'swarm.openReview',
  openNextReview: 'swarm.openNextReview',
  approve: 'swarm.approve',
  override: 'swarm.override',
  requestChanges: 'swarm.requestChanges',
  answerQuestion: 'swarm.answerQuestion',
  retryTask: 'swarm.retryTask',
  acceptBase: 'swarm.acceptBase',
  moveToPending: 'swarm.moveToPending',
  cleanUpWorktrees: 'swarm.cleanUpWorktrees',
  showRunLog: 'swarm.showRunLog',
  openConfig: 'swarm.openConfig',
  initialize: 'swarm.initialize',
  refresh: 'swarm.refresh',
  openTask: 'swarm.openTask',
  showAgentLog: 'swarm.showAgentLog',
  revealWorktree: 'swarm.revealWorktree',
  openWorktreeInNewWindow: 'swarm.openWorktreeInNewWindow',
  revealWorktreeInExplorer: 'swarm.revealWorktreeInExplorer',
  revealWorktreeInOS: 'swarm.revealWorktreeInOS',
  openWorktreeInTerminal: 'swarm.openWorktreeInTerminal',
  cleanUpWorktree: 'swarm.cleanUpWorktree',
  openChangedFile: 'swarm.openChangedFile',
  restoreQuarantined: 'swarm.restoreQuarantined',
  showLiveOutput: 'swarm.showLiveOutput',
  showWorkerOutput: 'swarm.showWorkerOutput',
  showTimeline: 'swarm.showTimeline',
  pauseWorker: 'swarm.pauseWorker',
  resumeWorker: 'swarm.resumeWorker',
  stopWorker: 'swarm.stopWorker',
} as const;
export type CommandId = (typeof Commands)[keyof typeof Commands];

/** Commands registered by setupCommands.ts (not by commands.ts), with their titles. */
export const SetupCommands = {
  checkSetup: 'swarm.checkSetup',
} as const;
export const SetupCommandTitles: Record<(typeof SetupCommands)[keyof typeof SetupCommands], string> = {
  [SetupCommands.checkSetup]: 'Check setup',
};

/** Commands registered by engineReattach.ts (a run that outlived its window), with their titles. */
export const EngineCommands = {
  stopEngineProcess: 'swarm.stopEngineProcess',
} as const;
export const EngineCommandTitles: Record<(typeof EngineCommands)[keyof typeof EngineCommands], string> = {
  [EngineCommands.stopEngineProcess]: 'Stop the swarm process this window does not show',
};

export const CommandTitles: Record<CommandId, string> = {
  [Commands.startSwarm]: 'Start swarm',
  [Commands.startSwarmWithWorkers]: 'Start selected workers…',
  [Commands.stopSwarm]: 'Stop swarm',
  [Commands.pauseSwarm]: 'Pause swarm',
  [Commands.resumeSwarm]: 'Resume swarm',
  [Commands.newTask]: 'New task',
  [Commands.openReview]: 'Open review',
  [Commands.openNextReview]: 'Open next review',
  [Commands.approve]: 'Approve',
  [Commands.override]: 'Override…',
  [Commands.requestChanges]: 'Request changes',
  [Commands.answerQuestion]: 'Answer question',
  [Commands.retryTask]: 'Retry task',
  [Commands.acceptBase]: 'Accept the base branch as it is',
  [Commands.moveToPending]: 'Move back to pending',
  [Commands.cleanUpWorktrees]: 'Clean up worktrees',
  [Commands.showRunLog]: 'Show run log',
  [Commands.openConfig]: 'Open config',
  [Commands.initialize]: 'Initialize swarm',
  [Commands.refresh]: 'Refresh',
  [Commands.openTask]: 'Open task',
  [Commands.showAgentLog]: 'Show agent log',
  [Commands.revealWorktree]: 'Reveal worktree',
  [Commands.openWorktreeInNewWindow]: 'Open worktree in new window',
  [Commands.revealWorktreeInExplorer]: 'Reveal worktree in Explorer view',
  [Commands.revealWorktreeInOS]: 'Reveal worktree in file manager',
  [Commands.openWorktreeInTerminal]: 'Open worktree in terminal',
  [Commands.cleanUpWorktree]: 'Clean up worktree',
  [Commands.openChangedFile]: 'Open changes',
  [Commands.restoreQuarantined]: 'Move back to pending (fixed)',
  [Commands.showLiveOutput]: 'Show live agent output',
  [Commands.showWorkerOutput]: 'Show worker agent output',
  [Commands.showTimeline]: 'Show run timeline',
  [Commands.pauseWorker]: 'Pause worker',
  [Commands.resumeWorker]: 'Resume worker',
  [Commands.stopWorker]: 'Stop worker',
};

/** Context keys the manifest's `when` clauses read. */
export const ContextKeys = {
  /** FolderState of the first (or only) repository, for the welcome views. */
  folderState: 'swarm.folderState',
  running: 'swarm.running',
  paused: 'swarm.paused',
  needsYouCount: 'swarm.needsYouCount',
  multipleRepositories: 'swarm.multipleRepositories',
} as const;

export type FolderState = 'noFolder' | 'untrusted' | 'loading' | 'noGit' | 'noConfig' | 'configError' | 'ready';

/** The keybinding of Open next review (package.json contributes it; the review toast names it). */
// No `when` clause: a context key set from the snapshot lags the toast (the key did nothing for a
// moment after the notification showed); with nothing waiting the command says so.
export const OPEN_NEXT_REVIEW_KEY = { key: 'ctrl+alt+r', label: 'Ctrl+Alt+R' } as const;

export const SETTINGS_SECTION = 'swarm';
/** Setting keys below the `swarm.` section. */
export const Settings = {
  configPath: 'configPath',
  cliClaude: 'cli.claude',
  cliCodex: 'cli.codex',
  cliOpencode: 'cli.opencode',
  cliGemini: 'cli.gemini',
  maxConcurrentWorkers: 'maxConcurrentWorkers',
  reviewMode: 'review.mode',
  notifications: 'notifications',
  engineProcess: 'engineProcess',
} as const;

export const CLI_HARNESSES = ['claude', 'codex', 'opencode', 'gemini'] as const;
export type CliHarness = (typeof CLI_HARNESSES)[number];

export type NotificationLevel = 'all' | 'needsYou' | 'none';
export type ReviewModeSetting = 'config' | 'agent' | 'human' | 'agent+human';

export const OUTPUT_CHANNEL_NAME = 'Swarm';
