// The run timeline panel (README, "Watching the swarm work"): one webview panel that draws a run's
// journal (`.swarm/runs/<id>/events.jsonl`) as lanes of turns, reviews, merges and waits
// (src/shared/timelineModel.ts), the current run live, a past run picked in the panel. Only the
// vscode wiring is here: the model, the SVG and the messages are pure (src/shared/timeline*.ts),
// the page is src/webview/timeline.ts, with the review panel's CSP.

import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import type { JournalEntry } from '../swarm/types';
import { parseJournal } from '../swarm/state';
import { buildTimeline } from '../shared/timelineModel';
import { buildTimelineHtml, parseTimelineMessage, RUN_ID_RE, type TimelineRunRef, type TimelineToPage } from '../shared/timelineProtocol';
import { Commands } from './constants';
import type { SwarmSession } from './session';
import type { SessionRegistry } from './sessions';

export const TIMELINE_VIEW_TYPE = 'swarm.timeline';
/** Past runs offered in the picker (newest first). */
const MAX_RUNS = 50;
/** A live run's timeline is redrawn at most this often while events come in. */
const LIVE_REFRESH_MS = 1000;

/** The entries of a journal file (none when it cannot be read); a torn last line is skipped. */
export async function readJournal(file: string): Promise<JournalEntry[]> {
  return parseJournal(await fs.readFile(file, 'utf8').catch(() => ''));
}

export class TimelinePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private session: SwarmSession | undefined;
  private selected: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly registry: SessionRegistry,
  ) {
    this.disposables.push(
      registry.onEvent(({ session }) => {
        // The current run's timeline follows its events (at most once a second).
        if (!this.panel || session !== this.session || !this.selected || this.selected !== session.activeRun?.runId || this.timer) return;
        this.timer = setTimeout(() => {
          this.timer = undefined;
          void this.refresh();
        }, LIVE_REFRESH_MS);
      }),
    );
  }

  /** Opens (or reveals) the timeline of a repository's current run, else its latest. */
  async show(session: SwarmSession, runId?: string): Promise<void> {
    if (this.session !== session) this.selected = undefined;
    this.session = session;
    if (runId) this.selected = runId;
    if (this.panel) {
      this.panel.reveal();
      await this.refresh();
      return;
    }
    const panel = vscode.window.createWebviewPanel(TIMELINE_VIEW_TYPE, 'Swarm: Run timeline', vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      enableForms: false,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    });
    this.panel = panel;
    const webview = panel.webview;
    webview.html = buildTimelineHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'timeline.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'timeline.css')).toString(),
    });
    const subs = [
      webview.onDidReceiveMessage((raw: unknown) => void this.onMessage(raw)),
      panel.onDidDispose(() => {
        for (const d of subs) d.dispose();
        this.panel = undefined;
      }),
    ];
  }

  private async onMessage(raw: unknown): Promise<void> {
    const m = parseTimelineMessage(raw);
    if (!m || !this.session) return;
    if (m.type === 'timeline/ready') return this.refresh();
    if (m.type === 'timeline/selectRun') {
      // Only a run the panel offered.
      if (!(await this.runs()).some((r) => r.id === m.runId)) return;
      this.selected = m.runId;
      return this.refresh();
    }
    await vscode.commands.executeCommand(Commands.openReview, { root: this.session.root, taskId: m.taskId });
  }

  /** The folder of the repository's runs (`.swarm/runs`), when a run was ever made. */
  private async runsDir(): Promise<string | undefined> {
    const ws = await this.session?.requireWorkspace().catch(() => undefined);
    const latest = await ws?.latestRunDir();
    return latest ? dirname(latest) : undefined;
  }

  async runs(): Promise<TimelineRunRef[]> {
    const dir = await this.runsDir();
    if (!dir) return [];
    const live = this.session?.activeRun?.runId;
    const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => RUN_ID_RE.test(n));
    const withTimes = await Promise.all(
      names.map(async (id) => ({ id, mtime: (await fs.stat(join(dir, id, 'events.jsonl')).catch(() => undefined))?.mtimeMs })),
    );
    const runs = withTimes
      .filter((r) => r.mtime !== undefined)
      .sort((a, b) => b.mtime! - a.mtime!)
      .slice(0, MAX_RUNS);
    return Promise.all(
      runs.map(async (r) => {
        const summary = await fs
          .readFile(join(dir, r.id, 'summary.json'), 'utf8')
          .then((t) => JSON.parse(t) as { merged?: unknown[]; reason?: string })
          .catch(() => undefined);
        const when = new Date(r.mtime!).toLocaleString();
        const label =
          r.id === live ? `${r.id} (running now)` : `${r.id} · ${when}${Array.isArray(summary?.merged) ? ` · ${summary!.merged.length} merged` : ''}`;
        return { id: r.id, label, live: r.id === live };
      }),
    );
  }

  async refresh(): Promise<void> {
    const panel = this.panel;
    if (!panel || !this.session) return;
    const runs = await this.runs();
    const selected = runs.find((r) => r.id === this.selected) ?? runs.find((r) => r.live) ?? runs[0];
    this.selected = selected?.id;
    const dir = await this.runsDir();
    const msg: TimelineToPage = { type: 'timeline/show', runs, selected: selected?.id, model: undefined };
    if (selected && dir) msg.model = buildTimeline(await readJournal(join(dir, selected.id, 'events.jsonl')), { live: selected.live });
    else msg.note = 'No run yet: start the swarm, and its timeline shows here.';
    await panel.webview.postMessage(msg);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
