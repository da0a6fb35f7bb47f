// The `swarm.*` settings, read in one place and typed. The engine gets them as options of
// openWorkspace; nothing else in the extension reads the configuration directly.

import * as vscode from 'vscode';
import type { ReviewMode } from '../swarm/api';
import { CLI_HARNESSES, SETTINGS_SECTION, Settings, type NotificationLevel, type ReviewModeSetting } from './constants';

export interface SwarmSettings {
  configPath: string | undefined;
  cliPaths: Record<string, string>;
  maxConcurrentWorkers: number | undefined;
  reviewMode: ReviewMode | undefined;
  notifications: NotificationLevel;
  /** Where a run started here runs (engineChild.ts): a child process (default) or this extension host. */
  engineProcess: 'child' | 'host';
}

export function readSettings(scope?: vscode.Uri): SwarmSettings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
  const cliPaths: Record<string, string> = {};
  for (const harness of CLI_HARNESSES) {
    const value = config.get<string>(`cli.${harness}`);
    if (value && value.trim()) cliPaths[harness] = value.trim();
  }
  const configPath = config.get<string>(Settings.configPath)?.trim();
  const max = config.get<number>(Settings.maxConcurrentWorkers);
  const mode = config.get<ReviewModeSetting>(Settings.reviewMode) ?? 'config';
  const level = config.get<NotificationLevel>(Settings.notifications) ?? 'needsYou';
  return {
    configPath: configPath || undefined,
    cliPaths,
    // 0 (the default) means "as many as the config asks for".
    maxConcurrentWorkers: typeof max === 'number' && max > 0 ? Math.floor(max) : undefined,
    reviewMode: mode === 'config' ? undefined : mode,
    notifications: level === 'all' || level === 'none' ? level : 'needsYou',
    engineProcess: config.get<string>(Settings.engineProcess) === 'host' ? 'host' : 'child',
  };
}

/** Does a configuration change touch settings the engine was opened with? */
export function affectsEngineSettings(e: vscode.ConfigurationChangeEvent, scope?: vscode.Uri): boolean {
  return [Settings.configPath, 'cli', Settings.maxConcurrentWorkers, Settings.reviewMode].some((key) =>
    e.affectsConfiguration(`${SETTINGS_SECTION}.${key}`, scope),
  );
}
