// Role prompts: the repo's prompts/<role>.md when present (or the config's path), else the
// built-in defaults shipped in the bundle. Placeholders are {{name}}; unknown ones stay as they are.

import { readFileSync, existsSync } from 'node:fs';
import { join, isAbsolute } from 'node:path';
import { DEFAULT_PROMPTS, type PromptName } from './defaultPrompts';

export function loadPrompt(root: string, name: PromptName, configured?: string): string {
  const candidates = configured ? [isAbsolute(configured) ? configured : join(root, configured)] : [join(root, 'prompts', `${name}.md`)];
  for (const f of candidates) if (existsSync(f)) return readFileSync(f, 'utf8');
  return DEFAULT_PROMPTS[name];
}

export function fillPrompt(template: string, vars: Record<string, string | number | undefined>): string {
  return template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (m, k: string) => (!Object.hasOwn(vars, k) || vars[k] === undefined ? m : String(vars[k])));
}
