// What "Open review" needs from the review panel (reviewPanel.ts's ReviewPanels implements it):
// show the review of one task. The commands depend on this, not on the webview, so their tests
// run with a fake.

import * as vscode from 'vscode';
import type { TaskRef } from './treeNode';

export interface ReviewHost extends vscode.Disposable {
  /** `focus`: opened from the keyboard, the page puts the keyboard on the decision. */
  openReview(session: { root: string }, ref: TaskRef, opts?: { focus?: boolean }): Promise<void>;
  /** Is the review of this task visible now? (The notifications say nothing about what is on screen.) */
  isShowing?(root: string, taskId: string): boolean;
}

/** The view type of the review panel (reviewPanel.ts REVIEW_VIEW_TYPE; repeated to keep this file free of the webview code). */
const REVIEW_VIEW_TYPE = 'swarm.review';

/**
 * Without `isShowing`: a review panel tab that is visible in its editor group and titled for the
 * task ("Review: <id>" until it loads, "Review: <title>" after).
 */
export function reviewTabShowing(taskId: string, title: string | undefined): boolean {
  const groups =
    (vscode.window as { tabGroups?: { all: readonly { tabs: readonly { label: string; isActive: boolean; input: unknown }[] }[] } }).tabGroups?.all ?? [];
  for (const group of groups) {
    for (const tab of group.tabs) {
      const viewType = (tab.input as { viewType?: unknown } | undefined)?.viewType;
      if (!tab.isActive || typeof viewType !== 'string' || !viewType.endsWith(REVIEW_VIEW_TYPE)) continue;
      if (tab.label === `Review: ${taskId}` || (title && tab.label === `Review: ${title}`)) return true;
    }
  }
  return false;
}
