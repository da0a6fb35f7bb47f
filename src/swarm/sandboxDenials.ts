// What the agent sandbox refused, kept with the task (issue 13 "UI"): each sandboxed turn's
// refusals (src/swarm/harness/command.ts runTurnProcess, from the proxy in netproxy.ts) come back
// with the turn's result; turn.ts adds them to the task's state, and review.ts hands what the
// turns since the last round collected to the round it records. The review panel shows the count
// and the first few. Pure (no node imports): the webview formats with `describeDenials` too.

/** How many refusals a task or a round keeps verbatim (the count keeps counting). */
export const DENIAL_SAMPLE = 5;
/** Longest refusal kept (a host name and a reason fit many times over). */
const DENIAL_CHARS = 300;

export interface SandboxDenials {
  /** Refusals counted. */
  count: number;
  /** The first few, as the sandbox wrote them (`network: host:port — reason`), distinct. */
  sample: string[];
}

/** `prev` plus one turn's refusals. */
export function addDenials(prev: SandboxDenials | undefined, denied: readonly string[]): SandboxDenials | undefined {
  if (!denied.length) return prev;
  const sample = [...(prev?.sample ?? [])];
  for (const d of denied) {
    const s = d.slice(0, DENIAL_CHARS);
    if (sample.length < DENIAL_SAMPLE && !sample.includes(s)) sample.push(s);
  }
  return { count: (prev?.count ?? 0) + denied.length, sample };
}

/** A well-formed record (state.json and the webview's messages are read, not trusted). */
export function isSandboxDenials(v: unknown): v is SandboxDenials {
  if (!v || typeof v !== 'object') return false;
  const d = v as Record<string, unknown>;
  return (
    Object.keys(d).every((k) => k === 'count' || k === 'sample') &&
    Number.isSafeInteger(d.count) &&
    (d.count as number) > 0 &&
    Array.isArray(d.sample) &&
    d.sample.length <= DENIAL_SAMPLE &&
    d.sample.every((s) => typeof s === 'string' && s.length <= DENIAL_CHARS)
  );
}

/** What was refused, without the reason: `evil.example:443` for a network refusal. */
function target(d: string): string {
  return d.replace(/^network:\s*/, '').replace(/\s+—\s.*$/, '');
}

/** "The agent's sandbox refused 3 network connections: evil.example:443, 10.0.0.1:22 …" */
export function describeDenials(d: SandboxDenials): string {
  const network = d.sample.every((s) => s.startsWith('network:'));
  const what = network ? (d.count === 1 ? 'network connection' : 'network connections') : d.count === 1 ? 'action' : 'actions';
  const more = d.count > d.sample.length ? ' …' : '';
  return `The agent's sandbox refused ${d.count} ${what}: ${d.sample.map(target).join(', ')}${more}`;
}
