// Cost reports for `swarm status` / `swarm tasks --json` and the views: a run's totals read from its
// journal (events.jsonl, streamed line by line: bounded memory whatever its size) and each task's
// cost from its state.json (every turn it ever had, across runs). The sums are in cost.ts.

import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { usageTotals, type UsageTotals } from './cost';
import type { AgentUsage } from './harness/types';
import type { SwarmEvent, TaskRuntimeState } from './types';

/** Totals of one run from its journal; lines that are not events (a torn last line) are skipped. */
export async function runUsageFromJournal(runDir: string): Promise<UsageTotals> {
  const file = join(runDir, 'events.jsonl');
  if (!existsSync(file)) return usageTotals([]);
  const finished: SwarmEvent[] = [];
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.includes('"agent_finished"')) continue; // only these carry usage; keep memory to them
    try {
      finished.push(JSON.parse(line) as SwarmEvent);
    } catch {
      /* a torn line */
    }
  }
  return usageTotals(finished);
}

export interface TaskCost {
  usage?: AgentUsage;
  budgetUsd?: number;
}

/** Each task's cost and budget from its state (tasks with neither are left out). */
export async function taskCosts(ids: string[], readState: (id: string) => Promise<TaskRuntimeState | undefined>): Promise<Record<string, TaskCost>> {
  const out: Record<string, TaskCost> = {};
  for (const id of ids) {
    const st = await readState(id).catch(() => undefined);
    if (st?.usage || st?.budgetUsd !== undefined)
      out[id] = { ...(st.usage ? { usage: st.usage } : {}), ...(st.budgetUsd !== undefined ? { budgetUsd: st.budgetUsd } : {}) };
  }
  return out;
}
