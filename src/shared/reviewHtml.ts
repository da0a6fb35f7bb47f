// The review panel's HTML shell, built by the host. Pure so its security properties are tested
// without VS Code: a CSP that only runs the one bundled script carrying a fresh nonce (no
// 'unsafe-inline', no eval), loads styles and fonts only from the extension's own resources,
// and no other network or frame access. The page's content is rendered by that script from the
// protocol's messages; this shell carries no task data besides the (validated) id and root.

export interface ReviewHtmlParts {
  /** `webview.cspSource`. */
  cspSource: string;
  /** A fresh random nonce per HTML load. */
  nonce: string;
  scriptUri: string;
  styleUri: string;
  codiconUri: string;
  taskId: string;
  root?: string;
}

/** Escapes text for an HTML attribute value or text node. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function reviewCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/**
 * A webview page of the extension: the CSP above (one script with `nonce`, styles from the
 * extension), its stylesheets, title and body, and the one bundled script. Every value is escaped
 * here; `body` is markup the caller built (and escaped) itself.
 */
export function webviewPage(p: {
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styles: { href: string; id?: string }[];
  title: string;
  body: string;
}): string {
  const a = escapeHtml;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${a(reviewCsp(p.cspSource, p.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
${p.styles.map((l) => `<link rel="stylesheet" href="${a(l.href)}"${l.id ? ` id="${a(l.id)}"` : ''}>`).join('\n')}
<title>${a(p.title)}</title>
</head>
<body>
${p.body}
<script nonce="${a(p.nonce)}" src="${a(p.scriptUri)}"></script>
</body>
</html>`;
}

export function buildReviewHtml(p: ReviewHtmlParts): string {
  const a = escapeHtml;
  return webviewPage({
    cspSource: p.cspSource,
    nonce: p.nonce,
    scriptUri: p.scriptUri,
    styles: [{ href: p.codiconUri, id: 'vscode-codicon-stylesheet' }, { href: p.styleUri }],
    title: `Review ${p.taskId}`,
    body: `<div id="app" data-task-id="${a(p.taskId)}"${p.root !== undefined ? ` data-root="${a(p.root)}"` : ''}></div>`,
  });
}
