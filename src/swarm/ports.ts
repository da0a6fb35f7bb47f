// Port ranges (README "Worktree environment"): each live worktree gets `count` ports of its own,
// SWARM_PORT (the first) and SWARM_PORT_COUNT in the environment of its setup command and agent
// turns, so two dev servers never fight over one port. Ranges are disjoint among live worktrees
// (tasks in current, plus checkouts reserved by id), start at config `worktree.port_base` (4100)
// and stay with a task across rounds: the range is kept in its state (`ports`) and reused unless
// another live worktree has taken it meanwhile.

import { Mutex } from './util';

export interface PortRange {
  first: number;
  count: number;
}

export function portEnv(r: PortRange): Record<string, string> {
  return { SWARM_PORT: String(r.first), SWARM_PORT_COUNT: String(r.count) };
}

export function formatPorts(r: PortRange): string {
  return r.count === 1 ? `port ${r.first}` : `ports ${r.first}–${r.first + r.count - 1}`;
}

function overlaps(a: PortRange, b: PortRange): boolean {
  return a.first < b.first + b.count && b.first < a.first + a.count;
}

export class PortAllocator {
  private readonly lock = new Mutex();
  /** Ranges given out in this process, by task id (counted while the task is live). */
  private readonly given = new Map<string, PortRange>();
  /** Ranges reserved for checkouts that are not tasks (a merge check's scratch worktree), until released. */
  private readonly reserved = new Map<string, PortRange>();

  /**
   * @param settings config `worktree`: the first port and the ports per worktree.
   * @param live the live tasks (in current) and the range each has in its state.
   */
  constructor(
    private readonly settings: { portBase: number; portCount: number },
    private readonly live: () => Promise<{ id: string; ports?: PortRange }[]>,
  ) {}

  /**
   * The range of task `id`: `previous` (from its state) when no other live worktree holds any of
   * it and it has the configured size, else the lowest free one.
   */
  ensure(id: string, previous?: PortRange): Promise<PortRange> {
    return this.lock.run(async () => {
      const taken: PortRange[] = [...this.reserved.entries()].filter(([k]) => k !== id).map(([, r]) => r);
      for (const t of await this.live()) {
        if (t.id === id) continue;
        const r = this.given.get(t.id) ?? t.ports;
        if (r) taken.push(r);
      }
      const range = previous && previous.count === this.settings.portCount && !taken.some((t) => overlaps(t, previous)) ? previous : this.lowestFree(taken, id);
      this.given.set(id, range);
      return range;
    });
  }

  /** A range for a checkout that is not a task, held until release(id). */
  async reserve(id: string): Promise<PortRange> {
    const r = await this.ensure(id);
    this.reserved.set(id, r);
    return r;
  }

  release(id: string): void {
    this.reserved.delete(id);
    this.given.delete(id);
  }

  private lowestFree(taken: PortRange[], id: string): PortRange {
    const { portBase, portCount } = this.settings;
    for (let first = portBase; first + portCount <= 65536; first += portCount) {
      const r = { first, count: portCount };
      if (!taken.some((t) => overlaps(t, r))) return r;
    }
    throw new Error(
      `no free range of ${portCount} ports from ${portBase} for ${id}: ${taken.length} live worktrees hold them (config worktree.port_base / port_count)`,
    );
  }
}
