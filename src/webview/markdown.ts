// Markdown from agents (reviewer feedback, task bodies) rendered to DOM nodes without ever
// producing an HTML string: markdown-it parses (html: false, so `<script>` stays text), and this
// module builds elements from its token stream with createElement / textContent. A token this
// module does not know becomes text. Links keep only http(s) and mailto targets; images are shown
// as their alt text (the CSP blocks remote images anyway, and a review must not phone home).

import MarkdownIt from 'markdown-it';

type Token = MarkdownIt.Token;

const md = new MarkdownIt('default', { html: false, linkify: false, typographer: false, breaks: false });

// Block and inline containers markdown-it opens with `*_open` tokens, mapped to the tag we build.
// Headings move down three levels: the panel's own structure owns h1–h3.
const CONTAINER_TAGS: Record<string, string> = {
  paragraph: 'p',
  bullet_list: 'ul',
  ordered_list: 'ol',
  list_item: 'li',
  blockquote: 'blockquote',
  table: 'table',
  thead: 'thead',
  tbody: 'tbody',
  tr: 'tr',
  th: 'th',
  td: 'td',
  strong: 'strong',
  em: 'em',
  s: 'del',
};
const HEADING_TAGS: Record<string, string> = { h1: 'h4', h2: 'h5', h3: 'h6', h4: 'h6', h5: 'h6', h6: 'h6' };

const SAFE_LINK = /^(https?:|mailto:)/i;

function attr(t: Token, name: string): string | undefined {
  const v = t.attrGet(name);
  return v === null ? undefined : String(v);
}

function appendInline(doc: Document, parent: Node, tokens: readonly Token[]): void {
  const stack: Node[] = [parent];
  const top = () => stack[stack.length - 1];
  for (const t of tokens) {
    switch (t.type) {
      case 'text':
        top().appendChild(doc.createTextNode(t.content));
        break;
      case 'softbreak':
        top().appendChild(doc.createTextNode('\n'));
        break;
      case 'hardbreak':
        top().appendChild(doc.createElement('br'));
        break;
      case 'code_inline': {
        const code = doc.createElement('code');
        code.textContent = t.content;
        top().appendChild(code);
        break;
      }
      case 'link_open': {
        const href = attr(t, 'href') ?? '';
        let el: HTMLElement;
        if (SAFE_LINK.test(href)) {
          el = doc.createElement('a');
          el.setAttribute('href', href);
          el.setAttribute('title', href);
        } else {
          el = doc.createElement('span');
          el.className = 'md-link-unsafe';
        }
        top().appendChild(el);
        stack.push(el);
        break;
      }
      case 'image': {
        const span = doc.createElement('span');
        span.className = 'md-image';
        span.textContent = `[image: ${t.content || attr(t, 'src') || ''}]`;
        top().appendChild(span);
        break;
      }
      default:
        if (t.nesting === 1) {
          const tag = CONTAINER_TAGS[t.type.replace(/_open$/, '')] ?? 'span';
          const el = doc.createElement(tag);
          top().appendChild(el);
          stack.push(el);
        } else if (t.nesting === -1) {
          if (stack.length > 1) stack.pop();
        } else if (t.content) {
          // html_inline cannot appear with html: false; anything unknown is shown as its source text.
          top().appendChild(doc.createTextNode(t.content));
        }
    }
  }
}

/** Renders markdown into a fresh `div.markdown`. Never interprets HTML in the source. */
export function renderMarkdown(doc: Document, source: string): HTMLElement {
  const root = doc.createElement('div');
  root.className = 'markdown';
  let tokens: Token[];
  try {
    tokens = md.parse(source, {});
  } catch {
    // markdown-it does not throw on any input we know of; if it ever does, show the text.
    const pre = doc.createElement('pre');
    pre.textContent = source;
    root.appendChild(pre);
    return root;
  }
  const stack: Node[] = [root];
  const top = () => stack[stack.length - 1];
  for (const t of tokens) {
    if (t.type === 'inline') {
      appendInline(doc, top(), t.children ?? []);
      continue;
    }
    if (t.type === 'fence' || t.type === 'code_block') {
      const pre = doc.createElement('pre');
      const code = doc.createElement('code');
      code.textContent = t.content;
      pre.appendChild(code);
      top().appendChild(pre);
      continue;
    }
    if (t.type === 'hr') {
      top().appendChild(doc.createElement('hr'));
      continue;
    }
    if (t.nesting === 1) {
      const name = t.type.replace(/_open$/, '');
      const tag = name === 'heading' ? (HEADING_TAGS[t.tag] ?? 'h6') : (CONTAINER_TAGS[name] ?? 'div');
      const el = doc.createElement(tag);
      const start = name === 'ordered_list' ? Number(attr(t, 'start')) : NaN;
      if (Number.isSafeInteger(start) && start > 1) el.setAttribute('start', String(start));
      const align = /text-align:(left|center|right)/.exec(attr(t, 'style') ?? '');
      if (align) el.style.textAlign = align[1];
      top().appendChild(el);
      stack.push(el);
    } else if (t.nesting === -1) {
      if (stack.length > 1) stack.pop();
    } else if (t.content) {
      // html_block cannot appear with html: false; show anything unknown as text.
      const p = doc.createElement('p');
      p.textContent = t.content;
      top().appendChild(p);
    }
  }
  return root;
}
