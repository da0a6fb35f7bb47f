// The Tasks view while a big run goes on beside it (issue 17 target 4): dist/extension.js activated
// in the fake `vscode` (test/helpers/fake-vscode.ts) on the repository a `swarm run` (another
// process, started by scale.mjs) is working in, as a VS Code window open on it would be.
// getChildren of every Tasks group is timed every 250 ms until the file STOP exists.
//   node --import tsx bench/scenarios/tasks-probe.ts REPO STOP OUT.json
import { fake, createFakeExtensionContext } from '../../test/helpers/fake-vscode';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const [repo, stop, out] = process.argv.slice(2);
type AnyNode = { getChildren(): AnyNode[] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  fake.setFolders([repo]);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(join(__dirname, '..', '..', 'dist', 'extension.js'));
  const ext = mod.activate(createFakeExtensionContext(), { agentPath: async () => undefined });
  await ext.openSessions();
  await ext.registry.sessions[0]?.settled();
  const provider = ext.tasks;
  const times: number[] = [];
  let maxNodes = 0;
  while (!existsSync(stop)) {
    const t = performance.now();
    let nodes = 0;
    for (const g of provider.getChildren() as AnyNode[]) nodes += (provider.getChildren(g) as AnyNode[]).length;
    times.push(performance.now() - t);
    maxNodes = Math.max(maxNodes, nodes);
    await sleep(250);
  }
  await mod.deactivate();
  const sorted = [...times].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  writeFileSync(
    out,
    JSON.stringify({
      samples: times.length,
      maxMs: r(sorted.at(-1) ?? 0),
      p99Ms: r(sorted[Math.floor(sorted.length * 0.99)] ?? 0),
      medianMs: r(sorted[Math.floor(sorted.length / 2)] ?? 0),
      maxNodes,
    }),
  );
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
