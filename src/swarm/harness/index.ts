// Harness registry: a name from swarm.json → a Harness. Built in: demo, command-style custom
// harnesses (any name with a `command`), and the CLI adapters (claude, codex, opencode, gemini).

import type { ResolvedConfig } from '../config';
import { SwarmError } from '../errors';
import { CommandHarness } from './command';
import type { HarnessContext } from './context';
import type { Harness } from './types';

export type AdapterFactory = (ctx: HarnessContext, cfg: ResolvedConfig['harnesses'][string] | undefined) => Harness;

/** CLI adapters register here (src/swarm/harness/adapters.ts). */
export const cliAdapters: Record<string, AdapterFactory> = {};

/** A harness name comes from swarm.json or a task's `agent:` field: only own entries count. */
function own<T>(table: Record<string, T>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

export function createHarness(name: string, config: ResolvedConfig, ctx: HarnessContext): Harness {
  const hc = own(config.harnesses, name);
  if (name === 'demo' && !hc?.command) {
    return new CommandHarness('demo', [ctx.nodePath, ctx.demoAgentPath], ctx, { env: { ELECTRON_RUN_AS_NODE: '1', ...hc?.env } });
  }
  const adapter = own(cliAdapters, name);
  if (adapter) return adapter(ctx, hc);
  if (hc?.command) return new CommandHarness(name, hc.command, ctx, { env: hc.env, resume: hc.resume });
  throw new SwarmError(`unknown harness "${name}": it has no command in swarm.json "harnesses" and no built-in adapter`, 'config');
}

export function harnessTimeoutMs(name: string, config: ResolvedConfig): number {
  return (own(config.harnesses, name)?.timeoutS ?? config.timeoutS) * 1000;
}
