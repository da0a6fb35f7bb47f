// `swarm init` (the CLI) and "Initialize" (the extension): the files a repository needs to run a
// swarm, never overwriting one that exists; and the repository root a folder is in (also for
// openWorkspace in workspace.ts).

import { existsSync, promises as fs } from 'node:fs';
import { join, dirname } from 'node:path';
import { Git } from './git';
import { WorktreeManager } from './worktrees';
import { DEFAULT_PROMPTS } from './defaultPrompts';
import { chooseHarness, starterConfig, type InitChoice, type InitOptions } from './initConfig';
import { SwarmError } from './errors';

/** The repository root that contains `dir`. */
export async function findRepoRoot(dir: string): Promise<string> {
  const r = await new Git(dir).topLevel().catch((e: Error) => ({ error: e.message }));
  if ('error' in r) throw new SwarmError(`${dir} is not inside a git repository (${r.error})`, 'not_a_repo');
  return r.path;
}

/** The demo starter config (initConfig.ts writes the one for the CLIs installed here). */
export const STARTER_CONFIG = starterConfig();

/** `swarm init`: a commented swarm.json using the agent CLIs installed here (initConfig.ts), tasks/{pending,current,complete}, the default prompts. Never overwrites. */
export async function initRepo(dir: string, options: InitOptions = {}): Promise<{ root: string; created: string[]; kept: string[]; choice?: InitChoice }> {
  const root = await findRepoRoot(dir);
  const choice = existsSync(join(root, 'swarm.json')) ? undefined : chooseHarness(root, options);
  const created: string[] = [];
  const kept: string[] = [];
  const write = async (rel: string, text: string) => {
    const file = join(root, rel);
    if (existsSync(file)) {
      kept.push(rel);
      return;
    }
    await fs.mkdir(dirname(file), { recursive: true });
    await fs.writeFile(file, text, { flag: 'wx' });
    created.push(rel);
  };
  await write('swarm.json', starterConfig(choice));
  for (const f of ['pending', 'current', 'complete']) {
    const d = join(root, 'tasks', f);
    if (!existsSync(d)) {
      await fs.mkdir(d, { recursive: true });
      created.push(`tasks/${f}/`);
    }
  }
  for (const [name, text] of Object.entries(DEFAULT_PROMPTS)) await write(`prompts/${name}.md`, text);
  await write(
    'tasks/pending/example.md',
    `---\ntitle: Say hello\npriority: 10\n---\nCreate \`hello.txt\` with a greeting.\n\n## Acceptance criteria\n- \`hello.txt\` exists and contains exactly \`Hello, world!\`\n\n\`\`\`swarm-demo\nfile: hello.txt\ncontent: Hello, world!\n\`\`\`\n`,
  );
  await new WorktreeManager(new Git(root), root, '.swarm/worktrees').ensureExcluded();
  return { root, created, kept, ...(choice && created.includes('swarm.json') ? { choice } : {}) };
}
