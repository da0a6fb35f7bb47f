// `swarm review ...`: what waits for you, a task's diff and rounds, and your decisions.

import type { Workspace, DecisionResult } from '../swarm/api';
import type { HumanDecisionKind } from '../swarm/types';
import { EXIT, HELP, errOut, one, short, type Out } from './output';

function printDecision(out: Out, r: DecisionResult, taskId: string): number {
  if (out.json) {
    out.data(r);
    return r.ok ? EXIT.ok : EXIT.error;
  }
  if (r.ok) {
    if (r.applied === 'merged') out.print(`merged as ${r.commit}`);
    else if (r.applied === 'queued') out.print(`recorded: ${r.detail}`);
    else out.print(r.applied.replace(/_/g, ' '));
    return EXIT.ok;
  }
  if (r.reason === 'stale_sha') process.stderr.write(`refused: the branch moved since; its head is now ${r.currentSha} (look again: swarm review show)\n`);
  else if (r.reason === 'conflict') errOut(`not merged: conflicts in ${r.files.join(', ')}; sent back for a fix round\n`);
  else if (r.reason === 'waiting_local_changes')
    process.stderr.write('not merged yet: your uncommitted changes on the base branch are in the way; it merges once they are committed or gone\n');
  else if (r.reason === 'needs_override')
    errOut(`refused: ${r.detail}\nto merge it anyway: swarm review override ${taskId} --reason "why" (the reason is recorded)\n`);
  else if (r.reason === 'waiting_base') errOut(`not merged yet: ${r.detail}\n`);
  else errOut(`refused: ${r.detail}\n`);
  return EXIT.error;
}

export async function cmdReview(ws: Workspace, out: Out, args: string[], values: Record<string, unknown>): Promise<number> {
  const [sub, taskId, ...rest] = args;
  if (!sub || sub === 'list') {
    const items = await ws.needsYou();
    if (out.json) {
      out.data(items);
      return EXIT.ok;
    }
    if (!items.length) out.print('nothing waits for you');
    for (const n of items)
      out.print(
        `${n.kind.padEnd(13)} ${n.taskId.padEnd(28)} ${n.sha ? short(n.sha) : ''.padEnd(10)}  ${one(n.question ?? n.title)}${n.approvable?.approvable === false ? `  [${n.approvable.verdict ?? 'not approvable'}: override only]` : ''}`,
      );
    return EXIT.ok;
  }
  if (sub === 'accept-base') {
    const r = await ws.acceptBase(values.sha === undefined ? undefined : String(values.sha));
    if (out.json) {
      out.data(r);
      return r.ok ? EXIT.ok : EXIT.error;
    }
    if (!r.ok) {
      process.stderr.write(`refused: ${r.detail}\n`);
      return EXIT.error;
    }
    out.print(
      `accepted ${ws.base} at ${r.sha}${r.resumed.length ? `; reviews go on: ${r.resumed.join(', ')}` : ''}${r.merged.length ? `; merged: ${r.merged.join(', ')}` : ''}`,
    );
    return EXIT.ok;
  }
  if (!taskId) {
    process.stderr.write(`swarm review ${sub}: which task?\n`);
    return EXIT.usage;
  }
  if (sub === 'answer') {
    const text = rest.join(' ') || String(values.message ?? '');
    if (!text.trim()) {
      process.stderr.write('swarm review answer TASK TEXT: the answer is missing\n');
      return EXIT.usage;
    }
    await ws.answer(taskId, text);
    out.print(`answered ${taskId}; a worker continues it${(await ws.runningElsewhere()) ? '' : ' when the swarm runs'}`);
    return EXIT.ok;
  }
  const details = await ws.reviewDetails(taskId);
  if (sub === 'show') {
    if (out.json) {
      out.data(details);
      return EXIT.ok;
    }
    out.print(`task ${details.task.id}: ${one(details.task.title)} [${details.task.status}] @ ${short(details.sha)} against ${details.base}`);
    for (const r of details.rounds)
      out.print(`--- round ${r.round} by ${r.by}: ${r.verdict ?? 'no verdict'}${r.decision ? ` (${r.decision})` : ''} on ${short(r.sha)}\n${r.feedback}`);
    out.print(details.diff);
    return EXIT.ok;
  }
  const kinds: Record<string, HumanDecisionKind> = { approve: 'approve', override: 'override', changes: 'request_changes', reject: 'reject' };
  const kind = kinds[sub];
  if (!kind) {
    process.stderr.write(`unknown review command "${sub}"\n${HELP}`);
    return EXIT.usage;
  }
  const sha = String(values.sha ?? details.state?.headSha ?? details.sha ?? '');
  const text = kind === 'override' ? (values.reason as string | undefined) : (values.message as string | undefined);
  if (kind === 'override' && !text) {
    process.stderr.write('swarm review override needs --reason TEXT (it is recorded)\n');
    return EXIT.usage;
  }
  if (kind === 'request_changes' && !text) {
    process.stderr.write('swarm review changes needs --message TEXT (what should change)\n');
    return EXIT.usage;
  }
  return printDecision(out, await ws.decide({ taskId, kind, sha, text, by: 'cli' }), taskId);
}
