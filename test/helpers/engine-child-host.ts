// A stand-in extension host for the engine-process tests (test/integration/extension-engine-child.test.ts):
// the extension (sources) activated in the fake `vscode` on the repository given as argv[2], a
// swarm started with "Start swarm" (the engine then runs in its child process), and one JSON line
// on stdout once an agent runs: { hostPid, childPid, agentPid, runId }. Then it waits to be killed.
import { fake, createFakeExtensionContext } from './fake-vscode';
import { activate } from '../../src/extension/extension';
import { Commands } from '../../src/extension/constants';
import type { ChildRun } from '../../src/extension/engineChild';

async function main(): Promise<void> {
  fake.setFolders([process.argv[2]]);
  const ext = activate(createFakeExtensionContext() as never, {
    agentPath: async () => process.env.PATH,
    refreshDelayMs: 10,
    refreshMaxWaitMs: 50,
    startTimeoutMs: 20_000,
  });
  await ext.openSessions();
  const session = ext.registry.sessions[0];
  await session.settled();
  const agent = new Promise<number>((resolve) =>
    session.onEvent((e) => {
      if (e.type === 'agent_started') resolve(e.pid);
    }),
  );
  if ((await fake.commands.get(Commands.startSwarm)!()) !== true) throw new Error(`Start swarm refused: ${fake.messages.map((m) => m.text).join(' | ')}`);
  const run = session.activeRun as ChildRun;
  const agentPid = await agent;
  process.stdout.write(`${JSON.stringify({ hostPid: process.pid, childPid: run.pid, agentPid, runId: run.runId })}\n`);
  setInterval(() => undefined, 60_000);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
