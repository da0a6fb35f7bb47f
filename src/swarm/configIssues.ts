// How a bad config field is reported: zod issues turned into ConfigIssues (the file, the field,
// what was expected and what was found), and keys that would change a prototype. Used by
// config.ts (swarm.json) and oompaConfig.ts.

import type { z } from 'zod';
import type { ConfigIssue } from './errors';

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(top level)';
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/** Turn zod issues into ConfigIssues: one per bad field, with what was expected and what was found. */
export function toIssues(file: string, error: z.ZodError, raw: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const iss of error.issues) {
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys)
        issues.push({ file, field: fieldPath([...iss.path, key]), message: 'unknown field (check the spelling; see the JSON schema)' });
      continue;
    }
    const found = valueAt(raw, iss.path);
    let expected = iss.message;
    if (iss.code === 'invalid_type') expected = `expected ${iss.expected === 'int' ? 'a whole number' : iss.expected}`;
    else if (iss.code === 'invalid_value') expected = `expected one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
    else if (!/^expected /.test(expected)) expected = `expected ${expected}`;
    issues.push({ file, field: fieldPath(iss.path), message: `${expected}, found ${describeValue(found)}` });
  }
  return issues;
}

/** Keys a parser would turn into a prototype change instead of an entry: named as bad fields. */
export function prototypeKeys(raw: unknown, display: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const walk = (v: unknown, path: string, depth: number) => {
    if (!v || typeof v !== 'object' || depth > 4) return;
    for (const k of Object.keys(v)) {
      const field = path ? `${path}.${k}` : k;
      if (k === '__proto__' || k === 'constructor' || k === 'prototype')
        issues.push({ file: display, field, message: 'expected a name, found a reserved word' });
      else walk((v as Record<string, unknown>)[k], field, depth + 1);
    }
  };
  walk(raw, '', 0);
  return issues;
}
