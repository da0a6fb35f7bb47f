// The engine pieces the benchmarks drive directly, bundled by bench/run.mjs (esbuild) into
// bench/.build/engine.cjs so the scenarios run the same compiled code as dist/cli.js.
export { MergeQueue } from '../../src/swarm/merge';
export { Git } from '../../src/swarm/git';
export { runAgentProcess } from '../../src/swarm/proc';
export { openWorkspace } from '../../src/swarm/workspace';
export { TaskStore } from '../../src/swarm/tasks';
export { parseTask } from '../../src/swarm/taskFile';
export { MergeChecker } from '../../src/swarm/mergeCheck';
export { WorktreeManager } from '../../src/swarm/worktrees';
export { prepareWorktreeEnv } from '../../src/swarm/worktreeEnv';
