// The words of a conflict warning (conflicts.ts), the same in every view, the CLI and the panel.
// Pure: no I/O, no node imports.

import type { ConflictWarning } from './types';

export function describeConflict(c: ConflictWarning): string {
  const files = c.files.length > 3 ? `${c.files.slice(0, 3).join(', ')} and ${c.files.length - 3} more` : c.files.join(', ');
  return `may conflict with ${c.kind === 'base' ? `the base ${c.with}` : c.with} in ${files}`;
}
