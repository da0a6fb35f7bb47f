// A fake `vscode` module for unit tests of src/extension. Importing this file installs a
// module-resolution hook (unit tests only) so that `import * as vscode from 'vscode'` in the
// extension's modules gets this file. It implements the part of the API the extension uses,
// records what the extension did (commands run, context keys, messages, documents opened,
// progress, tree views, status bar) and answers prompts from a script the test sets:
//
//   import { fake, reply } from '../helpers/fake-vscode';   // first import of the test file
//   fake.replies.push(reply.input('Add a flag'), reply.button('Clean up'));
//
// Prompts (input boxes, quick picks, messages with buttons) each take the next reply; with no
// reply left they are dismissed (undefined), like a user pressing Escape.

import Module from 'node:module';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import picomatch from 'picomatch';

// ---- resolution hook: 'vscode' → this file ------------------------------------------------
type ResolveFilename = (request: string, parent: unknown, ...rest: unknown[]) => string;
const moduleInternals = Module as unknown as { _resolveFilename: ResolveFilename };
const originalResolve = moduleInternals._resolveFilename;
moduleInternals._resolveFilename = function (this: unknown, request: string, parent: unknown, ...rest: unknown[]): string {
  if (request === 'vscode') return __filename;
  return originalResolve.call(this, request, parent, ...rest);
};

// ---- basic types ---------------------------------------------------------------------------

export class Disposable {
  private disposed = false;
  constructor(private readonly callOnDispose: () => unknown) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.callOnDispose();
  }
}

export type Event<T> = (listener: (e: T) => unknown, thisArgs?: unknown, disposables?: Disposable[]) => Disposable;

export class EventEmitter<T> {
  private listeners = new Set<(e: T) => unknown>();
  readonly event: Event<T> = (listener, thisArgs, disposables) => {
    const bound = (e: T) => listener.call(thisArgs, e);
    this.listeners.add(bound);
    const d = new Disposable(() => this.listeners.delete(bound));
    disposables?.push(d);
    return d;
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  get listenerCount(): number {
    return this.listeners.size;
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query: string,
    readonly fragment: string,
  ) {}
  static file(path: string): Uri {
    return new Uri('file', '', path.replace(/\\/g, '/'), '', '');
  }
  static parse(value: string): Uri {
    const u = new URL(value);
    return new Uri(u.protocol.replace(/:$/, ''), u.host, decodeURIComponent(u.pathname), u.search.replace(/^\?/, ''), u.hash.replace(/^#/, ''));
  }
  static from(parts: { scheme: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
    return new Uri(parts.scheme, parts.authority ?? '', parts.path ?? '', parts.query ?? '', parts.fragment ?? '');
  }
  static joinPath(base: Uri, ...segments: string[]): Uri {
    return base.with({ path: [base.path.replace(/\/$/, ''), ...segments].join('/') });
  }
  get fsPath(): string {
    return this.path;
  }
  with(change: { scheme?: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
    return new Uri(
      change.scheme ?? this.scheme,
      change.authority ?? this.authority,
      change.path ?? this.path,
      change.query ?? this.query,
      change.fragment ?? this.fragment,
    );
  }
  toString(): string {
    if (this.scheme === 'file') return pathToFileURL(this.path).toString();
    return `${this.scheme}://${this.authority}${this.path}${this.query ? `?${encodeURIComponent(this.query)}` : ''}`;
  }
  toJSON(): unknown {
    return { scheme: this.scheme, path: this.path, query: this.query };
  }
}

export class ThemeColor {
  constructor(readonly id: string) {}
}
export class ThemeIcon {
  static readonly File = new ThemeIcon('file');
  static readonly Folder = new ThemeIcon('folder');
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}

export class MarkdownString {
  isTrusted = false;
  supportHtml = false;
  constructor(
    public value = '',
    public supportThemeIcons = false,
  ) {}
  appendText(text: string): this {
    this.value += text.replace(/[\\`*_{}[\]()#+\-.!<>]/g, '\\$&');
    return this;
  }
  appendMarkdown(md: string): this {
    this.value += md;
    return this;
  }
  appendCodeblock(code: string, language = ''): this {
    this.value += `\n\`\`\`${language}\n${code}\n\`\`\`\n`;
    return this;
  }
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}
export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}
export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}
export enum QuickPickItemKind {
  Separator = -1,
  Default = 0,
}
export enum ViewColumn {
  Active = -1,
  Beside = -2,
  One = 1,
}
export enum LogLevel {
  Off = 0,
  Trace = 1,
  Debug = 2,
  Info = 3,
  Warning = 4,
  Error = 5,
}
export enum ConfigurationTarget {
  Global = 1,
  Workspace = 2,
  WorkspaceFolder = 3,
}
export enum ExtensionMode {
  Production = 1,
  Development = 2,
  Test = 3,
}
export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}
export class Range {
  constructor(
    readonly startLine: number,
    readonly startCharacter: number,
    readonly endLine: number,
    readonly endCharacter: number,
  ) {}
}
export class Diagnostic {
  source?: string;
  constructor(
    readonly range: Range,
    readonly message: string,
    readonly severity: DiagnosticSeverity = DiagnosticSeverity.Error,
  ) {}
}
/** languages.createDiagnosticCollection: every collection's entries by file path. */
export const diagnostics = new Map<string, Diagnostic[]>();
export const languages = {
  createDiagnosticCollection(_name?: string) {
    return {
      set(uri: Uri, list: Diagnostic[]) {
        if (list.length) diagnostics.set(uri.fsPath, list);
        else diagnostics.delete(uri.fsPath);
      },
      delete(uri: Uri) {
        diagnostics.delete(uri.fsPath);
      },
      dispose() {
        diagnostics.clear();
      },
    };
  },
};

export class TreeItem {
  id?: string;
  description?: string | boolean;
  tooltip?: string | MarkdownString;
  iconPath?: ThemeIcon | Uri;
  contextValue?: string;
  command?: { command: string; title: string; arguments?: unknown[] };
  resourceUri?: Uri;
  label?: string;
  constructor(
    labelOrUri: string | Uri,
    public collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None,
  ) {
    if (typeof labelOrUri === 'string') this.label = labelOrUri;
    else this.resourceUri = labelOrUri;
  }
}

export class RelativePattern {
  readonly baseUri: Uri;
  readonly base: string;
  constructor(
    base: Uri | string | { uri: Uri },
    readonly pattern: string,
  ) {
    this.baseUri = typeof base === 'string' ? Uri.file(base) : base instanceof Uri ? base : base.uri;
    this.base = this.baseUri.fsPath;
  }
}

// ---- recorded state and scripted replies -------------------------------------------------

export interface Prompt {
  kind: 'message' | 'input' | 'quickPick';
  severity?: 'info' | 'warning' | 'error';
  text: string;
  items: unknown[];
  options?: unknown;
}
export type Reply = (prompt: Prompt) => unknown;

export const reply = {
  /** Press the message button with this title. */
  button:
    (title: string): Reply =>
    (p) => {
      if (p.kind !== 'message') throw new Error(`expected a message with buttons, got ${p.kind}: ${p.text}`);
      return p.items.find((i) => (typeof i === 'string' ? i : (i as { title: string }).title) === title);
    },
  /** Type this into the input box (runs its validateInput first, like the real box). */
  input:
    (text: string): Reply =>
    (p) => {
      if (p.kind !== 'input') throw new Error(`expected an input box, got ${p.kind}: ${p.text}`);
      const validate = (p.options as { validateInput?: (v: string) => unknown } | undefined)?.validateInput;
      const problem = validate?.(text);
      if (problem) throw new Error(`input "${text}" rejected: ${String(problem)}`);
      return text;
    },
  /** Pick the quick pick item whose label contains `label`. */
  pick:
    (label: string): Reply =>
    (p) => {
      if (p.kind !== 'quickPick') throw new Error(`expected a quick pick, got ${p.kind}: ${p.text}`);
      const item = p.items.find((i) => (typeof i === 'string' ? i : (i as { label: string }).label).includes(label));
      if (!item)
        throw new Error(`no quick pick item "${label}" in ${p.items.map((i) => (typeof i === 'string' ? i : (i as { label: string }).label)).join(', ')}`);
      return item;
    },
  /** Pick these items (by label) in a multi-select quick pick. */
  pickMany:
    (...labels: string[]): Reply =>
    (p) => {
      if (p.kind !== 'quickPick') throw new Error(`expected a quick pick, got ${p.kind}: ${p.text}`);
      return p.items.filter((i) => labels.includes(typeof i === 'string' ? i : (i as { label: string }).label));
    },
  /** Escape. */
  dismiss: (): Reply => () => undefined,
};

export class TabInputText {
  constructor(readonly uri: Uri) {}
}
export interface FakeTab {
  label: string;
  input: unknown;
  isActive: boolean;
  isDirty: boolean;
  isPreview: boolean;
}
export interface FakeTabGroup {
  viewColumn: number;
  isActive: boolean;
  tabs: FakeTab[];
}

export class FakeTreeView<T> {
  badge: { value: number; tooltip: string } | undefined;
  message?: string;
  title?: string;
  visible = true;
  readonly revealed: T[] = [];
  disposed = false;
  constructor(
    readonly id: string,
    readonly treeDataProvider: { getChildren(e?: T): unknown; getTreeItem(e: T): unknown },
  ) {}
  async reveal(element: T): Promise<void> {
    this.revealed.push(element);
  }
  dispose(): void {
    this.disposed = true;
  }
}

export class FakeStatusBarItem {
  text = '';
  tooltip: unknown;
  command: unknown;
  name?: string;
  visible = false;
  disposed = false;
  constructor(readonly id: string | undefined) {}
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  dispose(): void {
    this.disposed = true;
    this.visible = false;
  }
}

export class FakeLogOutputChannel {
  readonly lines: { level: string; message: string }[] = [];
  logLevel = LogLevel.Info;
  shown = 0;
  disposed = false;
  readonly onDidChangeLogLevel = new EventEmitter<LogLevel>().event;
  constructor(readonly name: string) {}
  private add(level: string, message: string): void {
    this.lines.push({ level, message });
  }
  trace(m: string): void {
    this.add('trace', m);
  }
  debug(m: string): void {
    this.add('debug', m);
  }
  info(m: string): void {
    this.add('info', m);
  }
  warn(m: string): void {
    this.add('warn', m);
  }
  error(m: string | Error): void {
    this.add('error', String(m instanceof Error ? m.message : m));
  }
  append(m: string): void {
    this.add('info', m);
  }
  appendLine(m: string): void {
    this.add('info', m);
  }
  replace(m: string): void {
    this.add('info', m);
  }
  clear(): void {
    this.lines.length = 0;
  }
  show(): void {
    this.shown++;
  }
  hide(): void {}
  dispose(): void {
    this.disposed = true;
  }
  text(): string {
    return this.lines.map((l) => `${l.level} ${l.message}`).join('\n');
  }
}

export class FakeFileSystemWatcher {
  readonly create = new EventEmitter<Uri>();
  readonly change = new EventEmitter<Uri>();
  readonly delete = new EventEmitter<Uri>();
  readonly onDidCreate = this.create.event;
  readonly onDidChange = this.change.event;
  readonly onDidDelete = this.delete.event;
  disposed = false;
  constructor(readonly pattern: RelativePattern | string) {}
  get base(): string {
    return typeof this.pattern === 'string' ? '' : this.pattern.base;
  }
  dispose(): void {
    this.disposed = true;
  }
}

interface FakeState {
  replies: Reply[];
  prompts: Prompt[];
  messages: Prompt[];
  commands: Map<string, (...args: unknown[]) => unknown>;
  executed: { command: string; args: unknown[] }[];
  contexts: Map<string, unknown>;
  treeViews: Map<string, FakeTreeView<unknown>>;
  statusBarItems: FakeStatusBarItem[];
  statusBarMessages: string[];
  outputChannels: FakeLogOutputChannel[];
  watchers: FakeFileSystemWatcher[];
  contentProviders: Map<string, { provideTextDocumentContent(uri: Uri): unknown }>;
  shownDocuments: string[];
  terminals: { name?: string; cwd?: string; shown: boolean }[];
  /** Every withProgress: `done` once its task ended, `cancel()` as the user's Cancel button. */
  progress: { title?: string; location: unknown; done: boolean; cancel(): void }[];
  config: Record<string, unknown>;
  workspaceFolders: { uri: Uri; name: string; index: number }[] | undefined;
  isTrusted: boolean;
  /** Built-in commands (not registered by the extension) that should do something. */
  builtins: Map<string, (...args: unknown[]) => unknown>;
  /** View types with a registered webview panel serializer. */
  serializers: string[];
  /** Editor groups and their tabs (window.tabGroups). */
  tabGroups: FakeTabGroup[];
  /** showTextDocument calls with their options. */
  shownOptions: { path: string; options: unknown }[];
}

function freshState(): FakeState {
  return {
    replies: [],
    prompts: [],
    messages: [],
    commands: new Map(),
    executed: [],
    contexts: new Map(),
    treeViews: new Map(),
    statusBarItems: [],
    statusBarMessages: [],
    outputChannels: [],
    watchers: [],
    contentProviders: new Map(),
    shownDocuments: [],
    terminals: [],
    progress: [],
    config: {},
    workspaceFolders: undefined,
    isTrusted: true,
    builtins: new Map(),
    serializers: [],
    tabGroups: [],
    shownOptions: [],
  };
}

export const fake: FakeState & {
  reset(): void;
  setFolders(paths: string[]): void;
  configChanged: EventEmitter<{ affectsConfiguration(section: string): boolean }>;
  foldersChanged: EventEmitter<unknown>;
  /** Fire every watcher whose base and glob match `path` (as if the file changed on disk); returns how many. */
  touch(path: string, kind?: 'create' | 'change' | 'delete'): number;
} = Object.assign(freshState(), {
  reset() {
    Object.assign(fake, freshState());
  },
  setFolders(paths: string[]) {
    fake.workspaceFolders = paths.map((p, index) => ({ uri: Uri.file(p), name: basename(p), index }));
    fake.foldersChanged.fire({});
  },
  configChanged: new EventEmitter<{ affectsConfiguration(section: string): boolean }>(),
  foldersChanged: new EventEmitter<unknown>(),
  touch(path: string, kind: 'create' | 'change' | 'delete' = 'change') {
    let n = 0;
    for (const w of fake.watchers) {
      if (w.disposed || !w.base || !path.startsWith(w.base + '/')) continue;
      const glob = typeof w.pattern === 'string' ? w.pattern : w.pattern.pattern;
      if (!picomatch(glob, { dot: true })(path.slice(w.base.length + 1))) continue;
      w[kind].fire(Uri.file(path));
      n++;
    }
    return n;
  },
});

function prompt(p: Prompt): unknown {
  fake.prompts.push(p);
  const next = fake.replies.shift();
  return next ? next(p) : undefined;
}

function message(severity: 'info' | 'warning' | 'error') {
  return async (text: string, ...rest: unknown[]): Promise<unknown> => {
    let options: unknown;
    if (rest.length && typeof rest[0] === 'object' && rest[0] !== null && !('title' in (rest[0] as object))) options = rest.shift();
    const p: Prompt = { kind: 'message', severity, text, items: rest, options };
    fake.messages.push(p);
    if (!rest.length) return undefined;
    return prompt(p);
  };
}

// ---- namespaces ----------------------------------------------------------------------------

const closeTerminal = new EventEmitter<unknown>();

/** Fire to tell the extension the tabs changed (window.tabGroups.onDidChangeTabs). */
export const tabsChanged = new EventEmitter<unknown>();

export const window = {
  showInformationMessage: message('info'),
  showWarningMessage: message('warning'),
  showErrorMessage: message('error'),
  async showInputBox(options: { prompt?: string; title?: string; validateInput?: (v: string) => unknown } = {}): Promise<string | undefined> {
    return prompt({ kind: 'input', text: `${options.title ?? ''} ${options.prompt ?? ''}`.trim(), items: [], options }) as string | undefined;
  },
  async showQuickPick(items: unknown[] | Promise<unknown[]>, options: { placeHolder?: string; title?: string } = {}): Promise<unknown> {
    const list = (await items).filter((i) => typeof i === 'string' || (i as { kind?: number }).kind !== QuickPickItemKind.Separator);
    return prompt({ kind: 'quickPick', text: options.placeHolder ?? options.title ?? '', items: list, options });
  },
  async showTextDocument(doc: Uri | { uri: Uri }, options?: unknown): Promise<unknown> {
    const uri = doc instanceof Uri ? doc : doc.uri;
    fake.shownDocuments.push(uri.fsPath);
    fake.shownOptions.push({ path: uri.fsPath, options });
    return { document: { uri } };
  },
  async withProgress<R>(
    options: { title?: string; location: unknown },
    task: (progress: { report(v: unknown): void }, token: { isCancellationRequested: boolean; onCancellationRequested: Event<void> }) => Promise<R>,
  ): Promise<R> {
    const cancelled = new EventEmitter<void>();
    const token = { isCancellationRequested: false, onCancellationRequested: cancelled.event };
    const entry = {
      title: options.title,
      location: options.location,
      done: false,
      cancel: () => {
        token.isCancellationRequested = true;
        cancelled.fire();
      },
    };
    fake.progress.push(entry);
    try {
      return await task({ report: () => undefined }, token);
    } finally {
      entry.done = true;
    }
  },
  createTreeView<T>(id: string, options: { treeDataProvider: { getChildren(e?: T): unknown; getTreeItem(e: T): unknown } }): FakeTreeView<T> {
    const view = new FakeTreeView<T>(id, options.treeDataProvider);
    fake.treeViews.set(id, view as FakeTreeView<unknown>);
    return view;
  },
  registerTreeDataProvider(id: string, provider: { getChildren(e?: unknown): unknown; getTreeItem(e: unknown): unknown }): Disposable {
    fake.treeViews.set(id, new FakeTreeView(id, provider));
    return new Disposable(() => fake.treeViews.delete(id));
  },
  createStatusBarItem(idOrAlignment?: string | StatusBarAlignment): FakeStatusBarItem {
    const item = new FakeStatusBarItem(typeof idOrAlignment === 'string' ? idOrAlignment : undefined);
    fake.statusBarItems.push(item);
    return item;
  },
  setStatusBarMessage(text: string): Disposable {
    fake.statusBarMessages.push(text);
    return new Disposable(() => undefined);
  },
  createOutputChannel(name: string): FakeLogOutputChannel {
    const channel = new FakeLogOutputChannel(name);
    fake.outputChannels.push(channel);
    return channel;
  },
  createTerminal(options: { name?: string; cwd?: string; pty?: { onDidWrite: Event<string>; open(d: unknown): void; close(): void } }) {
    // A pseudoterminal is opened at once; what it writes is kept in `output` (live agent output).
    const terminal = {
      name: options.name,
      cwd: options.cwd,
      shown: false,
      output: '',
      show() {
        terminal.shown = true;
      },
      dispose() {
        options.pty?.close();
        closeTerminal.fire(terminal);
      },
    };
    options.pty?.onDidWrite((t) => {
      terminal.output += t;
    });
    options.pty?.open(undefined);
    fake.terminals.push(terminal);
    return terminal;
  },
  onDidCloseTerminal: (listener: (t: unknown) => void) => closeTerminal.event(listener),
  registerWebviewPanelSerializer(viewType: string): Disposable {
    fake.serializers.push(viewType);
    return new Disposable(() => fake.serializers.splice(fake.serializers.indexOf(viewType), 1));
  },
  get tabGroups() {
    return {
      onDidChangeTabs: tabsChanged.event,
      get all() {
        return fake.tabGroups;
      },
      async close(tab: FakeTab): Promise<boolean> {
        for (const g of fake.tabGroups) g.tabs = g.tabs.filter((t) => t !== tab);
        return true;
      },
    };
  },
  get activeTextEditor(): undefined {
    return undefined;
  },
};

export const commands = {
  registerCommand(id: string, handler: (...args: unknown[]) => unknown): Disposable {
    if (fake.commands.has(id)) throw new Error(`command '${id}' already exists`);
    fake.commands.set(id, handler);
    return new Disposable(() => fake.commands.delete(id));
  },
  async executeCommand(id: string, ...args: unknown[]): Promise<unknown> {
    fake.executed.push({ command: id, args });
    if (id === 'setContext') {
      fake.contexts.set(args[0] as string, args[1]);
      return undefined;
    }
    const handler = fake.commands.get(id) ?? fake.builtins.get(id);
    return handler ? handler(...args) : undefined;
  },
  async getCommands(): Promise<string[]> {
    return [...fake.commands.keys()];
  },
};

export const workspace = {
  get workspaceFolders() {
    return fake.workspaceFolders;
  },
  get isTrusted() {
    return fake.isTrusted;
  },
  getConfiguration(section?: string) {
    const full = (key: string) => (section ? `${section}.${key}` : key);
    return {
      get<T>(key: string, defaultValue?: T): T | undefined {
        const k = full(key);
        return (k in fake.config ? fake.config[k] : defaultValue) as T | undefined;
      },
      has(key: string): boolean {
        return full(key) in fake.config;
      },
      async update(key: string, value: unknown): Promise<void> {
        fake.config[full(key)] = value;
        fake.configChanged.fire({ affectsConfiguration: (s: string) => full(key).startsWith(s) || s.startsWith(full(key)) });
      },
      inspect() {
        return undefined;
      },
    };
  },
  onDidChangeConfiguration: (listener: (e: { affectsConfiguration(section: string): boolean }) => unknown) => fake.configChanged.event(listener),
  onDidChangeWorkspaceFolders: (listener: (e: unknown) => unknown) => fake.foldersChanged.event(listener),
  onDidGrantWorkspaceTrust: new EventEmitter<void>().event,
  createFileSystemWatcher(pattern: RelativePattern | string): FakeFileSystemWatcher {
    const watcher = new FakeFileSystemWatcher(pattern);
    fake.watchers.push(watcher);
    return watcher;
  },
  registerTextDocumentContentProvider(scheme: string, provider: { provideTextDocumentContent(uri: Uri): unknown }): Disposable {
    if (fake.contentProviders.has(scheme)) throw new Error(`a content provider for '${scheme}' already exists`);
    fake.contentProviders.set(scheme, provider);
    return new Disposable(() => fake.contentProviders.delete(scheme));
  },
  async openTextDocument(uri: Uri) {
    return { uri, getText: () => '' };
  },
};

export const env = {
  appName: 'Fake VS Code',
  uiKind: 1,
  async openExternal(): Promise<boolean> {
    return true;
  },
};

export const l10n = {
  t: (message: string) => message,
};

// ---- helpers for tests -------------------------------------------------------------------

export function createFakeExtensionContext(extensionPath = '/fake/extension') {
  const memento = () => {
    const values = new Map<string, unknown>();
    return {
      get: <T>(k: string, d?: T) => (values.has(k) ? (values.get(k) as T) : d),
      update: async (k: string, v: unknown) => void values.set(k, v),
      keys: () => [...values.keys()],
    };
  };
  return {
    subscriptions: [] as { dispose(): unknown }[],
    extensionPath,
    extensionUri: Uri.file(extensionPath),
    globalState: memento(),
    workspaceState: memento(),
    extensionMode: ExtensionMode.Test,
    logUri: Uri.file(`${extensionPath}/log`),
    storageUri: undefined,
    globalStorageUri: Uri.file(`${extensionPath}/global`),
    asAbsolutePath: (p: string) => `${extensionPath}/${p}`,
  };
}

export interface RenderedItem {
  label: string;
  description?: string;
  contextValue?: string;
  icon?: string;
  id?: string;
  children?: RenderedItem[];
  node: unknown;
}

/** Walk a tree data provider the way VS Code does (expanding every collapsible item). */
export async function renderTree(
  provider: { getChildren(e?: unknown): unknown; getTreeItem(e: unknown): unknown },
  parent?: unknown,
  depth = 0,
): Promise<RenderedItem[]> {
  const children = ((await provider.getChildren(parent)) ?? []) as unknown[];
  const out: RenderedItem[] = [];
  for (const node of children) {
    const item = (await provider.getTreeItem(node)) as TreeItem;
    const rendered: RenderedItem = {
      label: item.label ?? '',
      description: typeof item.description === 'string' ? item.description : undefined,
      contextValue: item.contextValue,
      icon: item.iconPath instanceof ThemeIcon ? item.iconPath.id : undefined,
      id: item.id,
      node,
    };
    if (item.collapsibleState !== TreeItemCollapsibleState.None && depth < 5) rendered.children = await renderTree(provider, node, depth + 1);
    out.push(rendered);
  }
  return out;
}

/** The rendered tree as indented text lines ("label — description [contextValue]"). */
export function treeText(items: RenderedItem[], indent = ''): string {
  return items
    .map(
      (i) =>
        `${indent}${i.label}${i.description ? ` — ${i.description}` : ''}${i.contextValue ? ` [${i.contextValue}]` : ''}\n${i.children ? treeText(i.children, indent + '  ') : ''}`,
    )
    .join('');
}
