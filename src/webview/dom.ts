// Small DOM builders for the review page: every string goes in through textContent or
// setAttribute, never through an HTML parser (agent-written text stays text).

export class Dom {
  constructor(readonly doc: Document) {}

  el(tag: string, cls?: string): HTMLElement {
    const e = this.doc.createElement(tag);
    if (cls) e.className = cls;
    return e;
  }

  text(tag: string, text: string, cls?: string): HTMLElement {
    const e = this.el(tag, cls);
    e.textContent = text;
    return e;
  }

  icon(name: string): HTMLElement {
    const i = this.el('span', `codicon codicon-${name}`);
    i.setAttribute('aria-hidden', 'true');
    return i;
  }

  fileList(items: readonly string[]): HTMLElement {
    const ul = this.el('ul', 'paths');
    for (const p of items) ul.appendChild(this.path('li', p, 'mono'));
    return ul;
  }

  /**
   * A repository path that wraps only after a `/` (a <wbr> after each), so narrow panels break
   * `src/webview/app.ts` between folders, never inside a name.
   */
  path(tag: string, path: string, cls?: string): HTMLElement {
    const e = this.el(tag, cls);
    const parts = path.split('/');
    parts.forEach((part, i) => {
      e.append(i < parts.length - 1 ? `${part}/` : part);
      if (i < parts.length - 1) e.appendChild(this.doc.createElement('wbr'));
    });
    return e;
  }

  /**
   * A vscode-button. Unavailable buttons are `aria-disabled` rather than `disabled`: a disabled
   * button leaves the tab order and a keyboard user never learns why it is off; this one stays
   * reachable, reads its reason (aria-describedby) and does nothing when pressed.
   */
  button(label: string, icon: string, secondary: boolean, onClick: () => void): HTMLElement {
    const b = this.doc.createElement('vscode-button');
    b.textContent = label;
    b.setAttribute('icon', icon);
    if (secondary) b.setAttribute('secondary', '');
    b.addEventListener('click', (ev) => {
      ev.stopPropagation();
      if (b.getAttribute('aria-disabled') === 'true' || b.hasAttribute('disabled')) return;
      onClick();
    });
    return b;
  }
}

/** Marks a button available or not, with the reason element it points to. */
export function setAvailable(b: HTMLElement, why: string | undefined, reasonId?: string): void {
  b.setAttribute('aria-disabled', String(why !== undefined));
  b.classList.toggle('unavailable', why !== undefined);
  if (why) {
    b.setAttribute('title', why);
    if (reasonId) b.setAttribute('aria-describedby', reasonId);
  } else {
    b.removeAttribute('title');
    b.removeAttribute('aria-describedby');
  }
}
