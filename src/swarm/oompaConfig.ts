// The seed's oompa.json, read into the same ResolvedConfig as swarm.json (config.ts).

import { z } from 'zod';
import { ConfigError } from './errors';
import { BUILTIN_HARNESSES, posInt, resolveConfig, swarmConfigSchema, type ResolvedConfig, type SwarmConfigInput } from './config';
import { toIssues } from './configIssues';

const oompaWorker = z
  .object({
    model: z.string().min(1).optional(),
    harness: z.string().optional(),
    iterations: posInt.optional(),
    count: posInt.optional(),
    prompt: z.union([z.string(), z.array(z.string())]).optional(),
    can_plan: z.boolean().optional(),
    max_pending: posInt.optional(),
  })
  .passthrough();

const oompaSchema = z
  .object({
    review_model: z.string().optional(),
    reviewer: z
      .object({ model: z.string().optional(), prompt: z.union([z.string(), z.array(z.string())]).optional() })
      .passthrough()
      .optional(),
    planner: z
      .object({
        model: z.string().optional(),
        prompt: z.union([z.string(), z.array(z.string())]).optional(),
        max_pending: posInt.optional(),
        iterations: posInt.optional(),
      })
      .passthrough()
      .optional(),
    workers: z.array(oompaWorker).min(1, 'at least one worker'),
  })
  .passthrough();

/** "claude:opus-4.5" → { harness: "claude", model: "opus-4.5" }; "opus" → { harness: default, model }. */
export function parseModelSpec(spec: string | undefined, fallbackHarness = 'claude'): { harness: string; model?: string } {
  if (!spec) return { harness: fallbackHarness };
  const m = /^(claude|codex|opencode|gemini|demo):(.*)$/.exec(spec);
  if (m) return { harness: m[1], model: m[2] || undefined };
  if (BUILTIN_HARNESSES.includes(spec as (typeof BUILTIN_HARNESSES)[number])) return { harness: spec };
  return { harness: fallbackHarness, model: spec };
}

function firstPrompt(p: string | string[] | undefined): string | undefined {
  return Array.isArray(p) ? p[0] : p;
}

function roleFromPrompt(prompt: string | undefined, canPlan: boolean | undefined): 'worker' | 'executor' | 'planner' {
  if (prompt && /planner/i.test(prompt)) return 'planner';
  if (prompt && /executor/i.test(prompt)) return 'executor';
  return canPlan === false ? 'executor' : 'worker';
}

export function parseOompaConfig(raw: unknown, display = 'oompa.json', file?: string): ResolvedConfig {
  const r = oompaSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(toIssues(display, r.error, raw));
  const o = r.data;
  const workers: SwarmConfigInput['workers'] = [];
  if (o.planner) {
    const { harness, model } = parseModelSpec(o.planner.model);
    workers.push({
      role: 'planner',
      harness,
      model,
      count: 1,
      iterations: o.planner.iterations ?? 5,
      prompt: firstPrompt(o.planner.prompt),
      max_pending: o.planner.max_pending,
    });
  }
  for (const w of o.workers) {
    const { harness, model } = w.harness ? { harness: w.harness, model: w.model } : parseModelSpec(w.model);
    const prompt = firstPrompt(w.prompt);
    workers.push({
      role: roleFromPrompt(prompt, w.can_plan),
      harness,
      model,
      count: w.count ?? 1,
      iterations: w.iterations ?? 5,
      prompt,
      max_pending: w.max_pending,
    });
  }
  const rev = parseModelSpec(o.reviewer?.model ?? o.review_model);
  const cfg: SwarmConfigInput = { workers, review: { mode: 'agent', harness: rev.harness, model: rev.model, prompt: firstPrompt(o.reviewer?.prompt) } };
  const parsed = swarmConfigSchema.safeParse(cfg);
  if (!parsed.success) throw new ConfigError(toIssues(display, parsed.error, cfg));
  return resolveConfig(parsed.data, file, 'oompa', display);
}
