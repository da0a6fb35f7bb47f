// Reading the config file: JSONC (comments, trailing commas) parsed with jsonc-parser, then
// swarm.json or oompa.json validated (config.ts, oompaConfig.ts); built-in defaults without one.

import { readFileSync, existsSync } from 'node:fs';
import { join, isAbsolute, relative } from 'node:path';
import { parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import { ConfigError } from './errors';
import { parseSwarmConfig, type ResolvedConfig } from './config';
import { parseOompaConfig } from './oompaConfig';

/**
 * Parse swarm.json / oompa.json as JSONC (comments, trailing commas) with jsonc-parser: strings
 * are never altered (a hand-written stripper once rewrote `"echo a,}"`), and a syntax error names
 * its line and column. See docs/decisions.md (jsonc-parser).
 */
export function parseJsonc(text: string, display: string): unknown {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  if (errors.length || !tree) {
    if (!errors.length) errors.push({ error: 4 /* ValueExpected */, offset: 0, length: 0 });
    const at = (offset: number) => {
      const before = text.slice(0, offset);
      return `line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')}`;
    };
    const [first, ...rest] = errors;
    const more =
      rest
        .slice(0, 2)
        .map((e) => `; ${printParseErrorCode(e.error)} at ${at(e.offset)}`)
        .join('') + (rest.length > 2 ? ` (and ${rest.length - 2} more)` : '');
    throw new ConfigError([{ file: display, field: '(file)', message: `not valid JSON at ${at(first.offset)}: ${printParseErrorCode(first.error)}${more}` }]);
  }
  return jsonValue(tree);
}

/** A parse tree node as a value, with every key an own data property ("__proto__" included, as JSON.parse does). */
function jsonValue(node: JsonNode): unknown {
  if (node.type === 'array') return (node.children ?? []).map(jsonValue);
  if (node.type !== 'object') return node.value;
  const out: Record<string, unknown> = {};
  for (const prop of node.children ?? []) {
    const [key, value] = prop.children ?? [];
    if (key && value) Object.defineProperty(out, String(key.value), { value: jsonValue(value), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function parseJsonFile(file: string, display: string): unknown {
  return parseJsonc(readFileSync(file, 'utf8'), display);
}

/**
 * Load the repo's config: the given path, else swarm.json, else oompa.json, else built-in
 * defaults (two demo workers, demo reviewer).
 */
export function loadConfig(root: string, configPath?: string): ResolvedConfig {
  const candidates = configPath ? [isAbsolute(configPath) ? configPath : join(root, configPath)] : [join(root, 'swarm.json'), join(root, 'oompa.json')];
  for (const file of candidates) {
    if (!existsSync(file)) {
      if (configPath) throw new ConfigError([{ file: configPath, field: '(file)', message: 'file not found' }]);
      continue;
    }
    const display = relative(root, file) || file;
    const raw = parseJsonFile(file, display);
    return /oompa[^/]*\.json$/.test(file) ? parseOompaConfig(raw, display, file) : parseSwarmConfig(raw, display, file);
  }
  return { ...parseSwarmConfig({}, '(defaults)'), file: undefined, format: 'default' };
}
