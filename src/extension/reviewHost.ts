// What "Open review" needs from the review panel (reviewPanel.ts's ReviewPanels implements it):
// show the review of one task. The commands depend on this, not on the webview, so their tests
// run with a fake.

import type * as vscode from 'vscode';
import type { TaskRef } from './treeNode';

export interface ReviewHost extends vscode.Disposable {
  openReview(session: { root: string }, ref: TaskRef): Promise<void>;
}
