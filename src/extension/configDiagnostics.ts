// Config errors as errors in the editor: the engine's reasons for refusing swarm.json (one per
// line, "swarm.json: workers[0].role: expected …") become Error diagnostics on the file, at the
// field they name, in the Problems panel too. (The JSON schema's own checks show as warnings;
// these are what actually stops the swarm.)

import * as vscode from 'vscode';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { SessionRegistry } from './sessions';

export class ConfigDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('swarm');
  private readonly subscription: vscode.Disposable;
  private readonly last = new Map<string, string>();

  constructor(private readonly registry: SessionRegistry) {
    this.subscription = registry.onDidChange(() => this.update());
    this.update();
  }

  update(): void {
    for (const session of this.registry.sessions) {
      const file = session.configFile;
      const error = session.state === 'configError' ? (session.error ?? '') : '';
      const key = `${file}\u0000${error}`;
      if (this.last.get(session.root) === key) continue;
      const previous = this.last.get(session.root)?.split('\u0000')[0];
      if (previous && previous !== file) this.collection.delete(vscode.Uri.file(previous));
      this.last.set(session.root, key);
      this.collection.set(vscode.Uri.file(file), error ? diagnosticsFor(file, error) : []);
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.collection.dispose();
  }
}

/** One Error diagnostic per error line about `file`, placed at the field it names (else the first line). */
export function diagnosticsFor(file: string, error: string): vscode.Diagnostic[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // no file: the diagnostics go on its first line
  }
  const name = basename(file);
  const out: vscode.Diagnostic[] = [];
  for (const line of error
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    const m = /^(.+?): ([^:]+): (.+)$/.exec(line);
    if (m && basename(m[1]) !== name) continue;
    const field = m ? m[2] : '';
    const d = new vscode.Diagnostic(rangeOf(text, field), m ? `${field}: ${m[3]}` : line, vscode.DiagnosticSeverity.Error);
    d.source = 'swarm';
    out.push(d);
  }
  return out;
}

/** Where `workers[0].role` is in the text: each key found after the previous one (a heuristic, never wrong by much). */
function rangeOf(text: string, field: string): vscode.Range {
  let at = 0;
  let found = -1;
  let length = 0;
  for (const key of field
    .split('.')
    .map((k) => k.replace(/\[\d+\]$/, ''))
    .filter(Boolean)) {
    const i = text.indexOf(`"${key}"`, at);
    if (i < 0) break;
    found = i;
    length = key.length + 2;
    at = i + length;
  }
  if (found < 0) return new vscode.Range(0, 0, 0, 0);
  const before = text.slice(0, found);
  const line = before.split('\n').length - 1;
  const character = found - (before.lastIndexOf('\n') + 1);
  return new vscode.Range(line, character, line, character + length);
}
