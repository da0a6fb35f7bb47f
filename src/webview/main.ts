// Entry of the review panel's browser bundle (dist/webview.js, see esbuild.mjs). Registers the
// @vscode-elements components the page uses and starts the app on the real window. The
// stylesheets (media/review.css and the codicons) are linked by the host page under its CSP.

import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import { startReviewApp, type VsCodeApi } from './app';

declare function acquireVsCodeApi(): VsCodeApi;

startReviewApp(document, acquireVsCodeApi(), window);
