// Per-test isolated state for the real agent CLIs, pointed at the fake model server: a throwaway
// HOME plus each CLI's own config dir, the env vars and config files agent-clis.md verified, and
// the CLIs' own retries capped so a 429 storm takes seconds. Returns the swarm.json-style harness
// settings (command / env / args) the adapters take.

import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export const AGENTS_DIR = __dirname;
export const BIN = join(AGENTS_DIR, 'node_modules', '.bin');
export const CLI_NAMES = ['claude', 'codex', 'opencode', 'gemini'] as const;
export type CliName = (typeof CLI_NAMES)[number];

export function cliInstalled(name: CliName): boolean {
  return existsSync(join(BIN, name));
}

export interface CliSetup {
  /** Executable (test/agents/node_modules/.bin/<name>). */
  command: string[];
  env: Record<string, string>;
  args: string[];
  /** The model the tests pass (one the CLI knows, so it offers its usual tools). */
  model: string;
}

export interface CliSetupOptions {
  /** Base URL of the fake server, optionally with a mode/tag prefix: http://127.0.0.1:P/r429 */
  baseUrl: string;
  /** Throwaway folder for this test's HOME and config. */
  home: string;
  /** Retries the CLI itself makes on 429/5xx (default 0: fail fast, the swarm backs off). */
  retries?: number;
  /** OpenCode provider package: openai-compatible (Chat), anthropic (Messages) or openai (Responses). */
  opencodeSdk?: 'openai-compatible' | 'anthropic' | 'openai';
}

/** The fake model's price in OpenCode's config (US$ per million tokens): OpenCode reports a cost from it. */
export const OPENCODE_PRICE = { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 };

const COMMON = { NO_COLOR: '1', CI: '1', npm_config_registry: 'http://127.0.0.1:9/', npm_config_update_notifier: 'false' };

export function cliSetup(name: CliName, o: CliSetupOptions): CliSetup {
  const home = join(o.home, name);
  mkdirSync(home, { recursive: true });
  const retries = o.retries ?? 0;
  const command = [join(BIN, name)];
  const base = o.baseUrl.replace(/\/$/, '');
  switch (name) {
    case 'claude': {
      return {
        command,
        model: 'claude-opus-4-5',
        args: [],
        env: {
          ...COMMON,
          HOME: home,
          CLAUDE_CONFIG_DIR: join(home, '.claude'),
          ANTHROPIC_BASE_URL: base,
          ANTHROPIC_API_KEY: 'sk-ant-fake-key',
          DISABLE_TELEMETRY: '1',
          DISABLE_ERROR_REPORTING: '1',
          DISABLE_AUTOUPDATER: '1',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          CLAUDE_CODE_MAX_RETRIES: String(retries),
        },
      };
    }
    case 'codex': {
      const codexHome = join(home, '.codex');
      mkdirSync(codexHome, { recursive: true });
      writeFileSync(
        join(codexHome, 'config.toml'),
        [
          'model = "gpt-5.5"',
          'model_provider = "fake"',
          'model_reasoning_effort = "low"',
          'check_for_update_on_startup = false',
          '',
          '[model_providers.fake]',
          'name = "Fake local"',
          `base_url = "${base}/v1"`,
          'env_key = "FAKE_OPENAI_API_KEY"',
          'wire_api = "responses"',
          `request_max_retries = ${retries}`,
          `stream_max_retries = ${retries}`,
          '',
          '[analytics]',
          'enabled = false',
          '[otel]',
          'exporter = "none"',
          '[history]',
          'persistence = "none"',
          '',
        ].join('\n'),
      );
      return {
        command,
        model: 'gpt-5.5',
        args: ['--disable', 'plugins', '--disable', 'apps'],
        env: { ...COMMON, HOME: home, CODEX_HOME: codexHome, FAKE_OPENAI_API_KEY: 'sk-fake' },
      };
    }
    case 'opencode': {
      const sdk = o.opencodeSdk ?? 'openai-compatible';
      const cfgFile = join(home, 'opencode.json');
      writeFileSync(
        cfgFile,
        JSON.stringify(
          {
            $schema: 'https://opencode.ai/config.json',
            autoupdate: false,
            share: 'disabled',
            snapshot: false,
            model: 'fake/fake-model',
            small_model: 'fake/fake-model',
            provider: {
              fake: {
                npm: `@ai-sdk/${sdk}`,
                name: 'Fake local',
                options: { baseURL: `${base}/v1`, apiKey: 'sk-fake' },
                models: { 'fake-model': { name: 'Fake model', tool_call: true, limit: { context: 200000, output: 8192 }, cost: OPENCODE_PRICE } },
              },
            },
          },
          null,
          2,
        ),
      );
      return {
        command,
        model: 'fake/fake-model',
        args: [],
        env: {
          ...COMMON,
          HOME: home,
          XDG_CONFIG_HOME: join(home, '.config'),
          XDG_DATA_HOME: join(home, '.local', 'share'),
          XDG_CACHE_HOME: join(home, '.cache'),
          XDG_STATE_HOME: join(home, '.local', 'state'),
          OPENCODE_CONFIG: cfgFile,
          OPENCODE_DISABLE_AUTOUPDATE: '1',
          OPENCODE_DISABLE_SHARE: '1',
          OPENCODE_DISABLE_MODELS_FETCH: '1',
          OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
          OPENCODE_DISABLE_CLAUDE_CODE: '1',
        },
      };
    }
    case 'gemini': {
      const gdir = join(home, '.gemini');
      mkdirSync(gdir, { recursive: true });
      writeFileSync(
        join(gdir, 'settings.json'),
        JSON.stringify({
          general: { enableAutoUpdate: false, enableAutoUpdateNotification: false, maxAttempts: Math.max(1, retries + 1) },
          privacy: { usageStatisticsEnabled: false },
          telemetry: { enabled: false },
          security: { auth: { selectedType: 'gemini-api-key' } },
        }),
      );
      return {
        command,
        model: 'gemini-2.5-pro',
        args: [],
        env: {
          ...COMMON,
          HOME: home,
          GEMINI_CLI_HOME: home,
          GOOGLE_GEMINI_BASE_URL: base,
          GEMINI_API_KEY: 'fake-gemini-key',
          GEMINI_CLI_TRUST_WORKSPACE: 'true',
          GEMINI_CLI_NO_RELAUNCH: 'true',
        },
      };
    }
  }
}
