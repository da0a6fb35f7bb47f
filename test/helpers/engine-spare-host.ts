// A stand-in extension host for the spare engine process test (test/integration/extension-engine-spare.test.ts):
// the extension (sources) activated in the fake `vscode` on the repository given as argv[2], which
// forks its spare engine process (src/extension/engineSpare.ts) at once; one JSON line on stdout
// with { hostPid, sparePid } once the spare is up. Then it waits to be killed.
import { fake, createFakeExtensionContext } from './fake-vscode';
import { activate } from '../../src/extension/extension';

async function main(): Promise<void> {
  fake.setFolders([process.argv[2]]);
  const ext = activate(createFakeExtensionContext() as never, { agentPath: async () => process.env.PATH, spareDelayMs: 0 });
  await ext.openSessions();
  for (;;) {
    const spare = ext.spare?.current;
    if (spare?.pid) {
      process.stdout.write(`${JSON.stringify({ hostPid: process.pid, sparePid: spare.pid })}\n`);
      break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  setInterval(() => undefined, 60_000);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
