// Every setting the server reads from its environment, as one zod schema: checked once at start, one message per wrong value.
//
// A setting is an environment variable name mapped to a zod schema of its text (an unset or blank variable is
// undefined) that turns it into the typed value. Settings come in groups (a record of such entries); a module with
// settings of its own exports its group and adds it to `settingsSchema` below.
import path from 'node:path';
import { z } from 'zod';
import { trustProxyFromEnv, type TrustProxy } from './api/proxy';
import { modelSettingsFrom, type ModelSettings } from './engine/model-settings';
import { PROVIDERS, REASONING_EFFORTS } from './engine/providers';
import { DEFAULT_SHUTDOWN_DRAIN_MS } from './util/drain';

/** The server's folder (agent-server/), from src/ and from dist/ alike. */
export const SERVER_DIR = path.resolve(__dirname, '..');
/** Where the server keeps what it writes to disk, unless DATA_DIR says otherwise. */
export const DEFAULT_DATA_DIR = path.join(SERVER_DIR, 'data');
export const SQLITE_FILE_NAME = 'agent-bridge.db';

// Building blocks: each takes the variable's text and says what was expected when it does not fit.
const text = () => z.string().trim().min(1);
const wholeNumber = (what = 'a whole number (0 or more)') =>
	z.string().trim().regex(/^\d+$/, `must be ${what}`).transform(Number);
const milliseconds = () => wholeNumber('a whole number of milliseconds');
const wholeNumberIn = (min: number, max: number, unit: string) =>
	wholeNumber(`a whole number of ${unit} from ${min} to ${max}`).refine((n) => n >= min && n <= max, `must be a whole number of ${unit} from ${min} to ${max}`);
const decimalIn = (min: number, max: number) =>
	z
		.string()
		.trim()
		.regex(/^\d+(\.\d+)?$/, `must be a number from ${min} to ${max}`)
		.transform(Number)
		.refine((n) => n >= min && n <= max, `must be a number from ${min} to ${max}`);
const url = (schemes: string[]) =>
	z
		.string()
		.trim()
		.refine((value) => {
			try {
				return schemes.includes(new URL(value).protocol.replace(/:$/, ''));
			} catch {
				return false;
			}
		}, `must be a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}`);
const commaList = () =>
	z
		.string()
		.transform((value) => value.split(',').map((s) => s.trim()).filter(Boolean))
		.refine((list) => list.length > 0, 'must list at least one value, separated by commas');
const oneOf = <T extends string>(values: readonly [T, ...T[]]) =>
	z
		.string()
		.trim()
		.refine((v): v is T => (values as readonly string[]).includes(v), `must be one of ${values.join(', ')}`)
		.transform((v) => v as T);

/** Fastify's trustProxy: true/false, a number of hops, or addresses and CIDR ranges of the proxies. */
const trustProxy = () =>
	z
		.string()
		.trim()
		.transform((value, ctx): TrustProxy | undefined => {
			try {
				return trustProxyFromEnv(value);
			} catch (err) {
				ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^TRUST_PROXY: /, '') });
				return z.NEVER;
			}
		});

export const serverSettings = {
	PORT: wholeNumber('a port number (0-65535)')
		.refine((n) => n <= 65535, 'must be a port number (0-65535)')
		.default(3000),
	HOST: text().default('127.0.0.1'),
	/** The address browsers and workflows reach the server at: links to the console in `conversation.handoff`. */
	PUBLIC_URL: url(['http', 'https']).optional(),
	LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
	/** Unset: human-readable lines on a terminal, JSON lines otherwise. */
	LOG_FORMAT: oneOf(['json', 'pretty']).optional(),
	TRUST_PROXY: trustProxy().optional(),
	METRICS_TOKEN: text().optional(),
	/** Serve /metrics without a token (totals only). */
	METRICS_PUBLIC: oneOf(['true', 'false'])
		.transform((v) => v === 'true')
		.optional(),
	RATE_LIMIT_PER_MINUTE: wholeNumber('a whole number of requests (0 turns the limit off)').optional(),
	/** On SIGTERM, how long running requests may take; under a container runtime's 10 s stop timeout by default. */
	SHUTDOWN_DRAIN_MS: milliseconds().default(DEFAULT_SHUTDOWN_DRAIN_MS),
};

export const storageSettings = {
	DATA_DIR: text()
		.transform((dir) => path.resolve(dir))
		.default(DEFAULT_DATA_DIR),
	DATABASE_URL: url(['postgres', 'postgresql', 'sqlite', 'file']).optional(),
	/** Relative to DATA_DIR; unset: DATA_DIR/agent-bridge.db. */
	SQLITE_FILE: text().optional(),
	AGENTS_DIR: text().optional(),
	AGENT_BRIDGE_API_KEY: text().optional(),
};

/** The model engine's endpoint and behaviour; neither OPENAI_BASE_URL nor OPENAI_API_KEY: the offline engine answers. */
export const modelSettings = {
	OPENAI_BASE_URL: url(['http', 'https']).optional(),
	OPENAI_API_KEY: text().optional(),
	OPENAI_MODEL: text().optional(),
	MODEL_PROVIDER: oneOf(PROVIDERS).optional(),
	MODEL_REASONING: oneOf(['true', 'false']).optional(),
	MODEL_REASONING_EFFORT: oneOf(REASONING_EFFORTS).optional(),
	MODEL_TIMEOUT_MS: wholeNumberIn(100, 600_000, 'milliseconds').optional(),
	MODEL_MAX_RETRIES: wholeNumberIn(0, 10, 'retries').optional(),
	MODEL_TURN_DEADLINE_MS: wholeNumberIn(100, 600_000, 'milliseconds').optional(),
	MODEL_TEMPERATURE: decimalIn(0, 2).optional(),
	MODEL_MAX_TOKENS: wholeNumberIn(16, 200_000, 'tokens').optional(),
	MODEL_BUDGET: wholeNumber('a whole number of model calls').optional(),
};

export const deliverySettings = {
	WEBHOOK_ALLOWED_HOSTS: commaList().optional(),
	RELAY_RETRY_SCHEDULE_MS: commaList()
		.refine((list) => list.every((s) => /^\d+$/.test(s)), 'must be whole numbers of milliseconds, separated by commas')
		.transform((list) => list.map(Number))
		.optional(),
	RELAY_ATTEMPT_TIMEOUT_MS: milliseconds().optional(),
	RELAY_POLL_INTERVAL_MS: milliseconds().optional(),
	/** The probe of a destination that is down: first wait, longest wait, and how long to probe before the long schedule. */
	RELAY_PROBE_BASE_MS: milliseconds().optional(),
	RELAY_PROBE_MAX_MS: milliseconds().optional(),
	RELAY_PROBE_FOR_MS: milliseconds().optional(),
	/** With an n8n connection: how long after its claim a delivery with no execution in n8n is lost, and how often to look. */
	RELAY_EXECUTION_LOST_AFTER_MS: milliseconds().optional(),
	RELAY_EXECUTION_CHECK_MS: milliseconds().optional(),
	/** Fault tests only. */
	AGENT_BRIDGE_FAULT_PAUSE: oneOf(['before-send', 'after-send']).optional(),
};

export const settingsSchema = z.object({
	...serverSettings,
	...storageSettings,
	...modelSettings,
	...deliverySettings,
});

export type Settings = z.output<typeof settingsSchema>;

/** Checks between settings, run once every value is valid on its own. */
const settingsChecks = settingsSchema.superRefine((s, ctx) => {
	if (s.MODEL_TIMEOUT_MS !== undefined && s.MODEL_TURN_DEADLINE_MS !== undefined && s.MODEL_TIMEOUT_MS > s.MODEL_TURN_DEADLINE_MS) {
		ctx.addIssue({ code: 'custom', path: ['MODEL_TIMEOUT_MS'], message: 'must not be longer than MODEL_TURN_DEADLINE_MS (one request cannot outlast the whole turn)' });
	}
});

export class SettingsError extends Error {
	constructor(readonly problems: string[]) {
		super(`invalid settings:\n${problems.map((p) => `  ${p}`).join('\n')}`);
	}
}

/** Reads and checks every setting; throws a SettingsError naming each wrong variable, its value and what it must be. */
export function loadSettings(env: NodeJS.ProcessEnv): Settings {
	const known = Object.keys(settingsSchema.shape);
	// A blank variable counts as unset, as a shell's `VAR=` means.
	const input = Object.fromEntries(known.filter((key) => env[key]?.trim()).map((key) => [key, env[key]]));
	const result = settingsChecks.safeParse(input);
	if (result.success) return result.data;
	const problems = result.error.issues.map((issue) => {
		const key = String(issue.path[0]);
		const shown = key.includes('KEY') || key.includes('TOKEN') || key === 'DATABASE_URL' ? '' : ` (got "${input[key]}")`;
		return `${key}: ${issue.message}${shown}`;
	});
	throw new SettingsError(problems);
}

// Unknown variables: a name with one of the server's prefixes that is no setting is most likely a misspelt one.
const SETTING_PREFIXES = ['AGENT_BRIDGE_', 'OPENAI_', 'MODEL_', 'RELAY_', 'WEBHOOK_', 'METRICS_', 'RATE_LIMIT_', 'LOG_', 'SQLITE_', 'TRUST_'];
/** Read by the openai SDK itself, or by n8n when both share one environment file: known, not ours. */
const READ_BY_OTHERS = new Set(['OPENAI_ORG_ID', 'OPENAI_PROJECT_ID', 'OPENAI_LOG', 'OPENAI_WEBHOOK_SECRET', 'WEBHOOK_URL']);
/** Names other tools give these settings. */
const OTHER_NAMES: Record<string, string> = {
	MODEL_NAME: 'OPENAI_MODEL',
	MODEL_ID: 'OPENAI_MODEL',
	OPENAI_MODEL_NAME: 'OPENAI_MODEL',
	OPENAI_API_BASE: 'OPENAI_BASE_URL',
	OPENAI_API_BASE_URL: 'OPENAI_BASE_URL',
	OPENAI_BASE: 'OPENAI_BASE_URL',
	OPENAI_URL: 'OPENAI_BASE_URL',
	OPENAI_KEY: 'OPENAI_API_KEY',
	OPENAI_TIMEOUT: 'MODEL_TIMEOUT_MS',
	OPENAI_MAX_RETRIES: 'MODEL_MAX_RETRIES',
	OPENAI_TEMPERATURE: 'MODEL_TEMPERATURE',
	OPENAI_MAX_TOKENS: 'MODEL_MAX_TOKENS',
	AGENT_BRIDGE_DATABASE_URL: 'DATABASE_URL',
	AGENT_BRIDGE_PORT: 'PORT',
	METRICS_AUTH_TOKEN: 'METRICS_TOKEN',
};

/** Edits (insert, delete, replace, swap two neighbours) from one name to the other. */
function editDistance(a: string, b: string): number {
	const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
	for (let i = 1; i <= a.length; i++) {
		for (let j = 1; j <= b.length; j++) {
			d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
			if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
		}
	}
	return d[a.length][b.length];
}

/** The setting an unknown name most likely meant: another tool's name for it, or a known name a few typos away. */
export function nearestSetting(name: string): string | undefined {
	if (OTHER_NAMES[name]) return OTHER_NAMES[name];
	const known = Object.keys(settingsSchema.shape);
	const [best] = known.map((k) => ({ k, d: editDistance(name, k) })).sort((x, y) => x.d - y.d);
	return best && best.d <= Math.max(2, Math.floor(name.length / 4)) ? best.k : undefined;
}

/** One warning per variable with a setting's prefix that no setting has (set but ignored), with the nearest known name. */
export function unknownSettingWarnings(env: NodeJS.ProcessEnv): string[] {
	const known = new Set(Object.keys(settingsSchema.shape));
	return Object.keys(env)
		.filter((name) => !known.has(name) && !READ_BY_OTHERS.has(name) && SETTING_PREFIXES.some((p) => name.startsWith(p)))
		.sort()
		.map((name) => {
			const nearest = nearestSetting(name);
			return `${name}: not a setting of this server, ignored${nearest ? `; did you mean ${nearest}?` : ''} (every setting: docs/deploy.md)`;
		});
}

/** The model engine's settings from the environment (every setting checked), or null when no model is configured. */
export function parseModelSettings(env: NodeJS.ProcessEnv): ModelSettings | null {
	return modelSettingsFrom(loadSettings(env));
}

/** The SQLite file: SQLITE_FILE (relative to DATA_DIR), else DATA_DIR/agent-bridge.db. */
export function sqliteFileOf(settings: Pick<Settings, 'DATA_DIR' | 'SQLITE_FILE'>): string {
	return path.resolve(settings.DATA_DIR, settings.SQLITE_FILE ?? SQLITE_FILE_NAME);
}
