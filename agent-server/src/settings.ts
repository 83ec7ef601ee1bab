// Every setting the server reads from its environment, as one zod schema: checked once at start, one message per wrong value.
//
// A setting is an environment variable name mapped to a zod schema of its text (an unset or blank variable is
// undefined) that turns it into the typed value. Settings come in groups (a record of such entries); a module with
// settings of its own exports its group and adds it to `settingsSchema` below.
import { trustProxyFromEnv, type TrustProxy } from './api/proxy';
import path from 'node:path';
import { z } from 'zod';

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

export const modelEndpointSettings = {
	OPENAI_BASE_URL: url(['http', 'https']).optional(),
	OPENAI_API_KEY: text().optional(),
	OPENAI_MODEL: text().optional(),
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
	...modelEndpointSettings,
	...deliverySettings,
});

export type Settings = z.output<typeof settingsSchema>;

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
	const result = settingsSchema.safeParse(input);
	if (result.success) return result.data;
	const problems = result.error.issues.map((issue) => {
		const key = String(issue.path[0]);
		const shown = key.includes('KEY') || key.includes('TOKEN') || key === 'DATABASE_URL' ? '' : ` (got "${input[key]}")`;
		return `${key}: ${issue.message}${shown}`;
	});
	throw new SettingsError(problems);
}

/** The SQLite file: SQLITE_FILE (relative to DATA_DIR), else DATA_DIR/agent-bridge.db. */
export function sqliteFileOf(settings: Pick<Settings, 'DATA_DIR' | 'SQLITE_FILE'>): string {
	return path.resolve(settings.DATA_DIR, settings.SQLITE_FILE ?? SQLITE_FILE_NAME);
}
