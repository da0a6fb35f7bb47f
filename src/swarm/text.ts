// Text that came from an agent, a diff or a task file, shown on a terminal: control characters
// (ESC sequences that recolour, move the cursor, rewrite the title or the clipboard; \r that
// overwrites a line; BEL; C1 controls; bidirectional overrides that reorder what is read) are
// shown escaped, so what the person approving reads is what is there (docs/security.md).

/** C0 controls but \t and \n, DEL, C1 controls, and the Unicode bidi / direction marks. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_OR_NEWLINE = /[\u0000-\u0008\n\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escapeOne(c: string): string {
  if (c === '\r') return '\\r';
  if (c === '\n') return '\\n';
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every control character escaped (`\x1b`, `\r`, `\u202e`). With `multiline`, line
 * breaks stay (a diff, feedback); without, they are escaped too (a title, a one-line event).
 */
export function terminalSafe(text: string, multiline = false): string {
  return text.replace(multiline ? CONTROL : CONTROL_OR_NEWLINE, escapeOne);
}

/** JSON for a terminal: JSON.stringify escapes C0 controls already; C1 and bidi marks too here. */
export function terminalSafeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
