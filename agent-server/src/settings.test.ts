import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_PROBE } from './delivery/resume';
import { MODEL_DEFAULTS } from './engine/model-settings';
import { DEFAULT_DATA_DIR, loadSettings, SERVER_DIR, SettingsError, settingsSchema, sqliteFileOf, unknownSettingWarnings } from './settings';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
	try {
		loadSettings(env);
	} catch (err) {
		if (err instanceof SettingsError) return err.problems;
		throw err;
	}
	throw new Error('the settings were accepted');
}

describe('settings', () => {
	it('starts with the documented defaults when nothing is set', () => {
		const s = loadSettings({});
		expect(s.PORT).toBe(3000);
		expect(s.HOST).toBe('127.0.0.1');
		expect(s.LOG_LEVEL).toBe('info');
		expect(s.DATABASE_URL).toBeUndefined();
		expect(s.MODEL_BUDGET).toBeUndefined();
	});

	it('refuses MODEL_BUDGET=abc, naming the variable, the value and what it must be', () => {
		expect(problemsOf({ MODEL_BUDGET: 'abc' })).toEqual(['MODEL_BUDGET: must be a whole number of model calls (got "abc")']);
	});

	it('reports every wrong value at once, one line each', () => {
		const problems = problemsOf({
			PORT: '70000',
			MODEL_BUDGET: '-1',
			RATE_LIMIT_PER_MINUTE: 'lots',
			LOG_LEVEL: 'loud',
			DATABASE_URL: 'mysql://db/agents',
			OPENAI_BASE_URL: 'not a url',
			RELAY_RETRY_SCHEDULE_MS: '1000,soon',
			AGENT_BRIDGE_FAULT_PAUSE: 'sometimes',
		});
		expect(problems).toHaveLength(8);
		expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(
			['AGENT_BRIDGE_FAULT_PAUSE', 'DATABASE_URL', 'LOG_LEVEL', 'MODEL_BUDGET', 'OPENAI_BASE_URL', 'PORT', 'RATE_LIMIT_PER_MINUTE', 'RELAY_RETRY_SCHEDULE_MS'],
		);
		expect(problems).toContain('PORT: must be a port number (0-65535) (got "70000")');
		expect(problems).toContain('LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")');
	});

	it('never repeats a secret in its message', () => {
		const [problem] = problemsOf({ DATABASE_URL: 'mysql://admin:hunter2@db/agents' });
		expect(problem).toMatch(/^DATABASE_URL: must be a URL starting with postgres:\/\//);
		expect(problem).not.toContain('hunter2');
	});

	it('takes a blank variable as unset', () => {
		const s = loadSettings({ MODEL_BUDGET: '', PORT: '  ', DATABASE_URL: '' });
		expect([s.PORT, s.MODEL_BUDGET, s.DATABASE_URL]).toEqual([3000, undefined, undefined]);
	});

	it('turns values into their types', () => {
		const s = loadSettings({
			PORT: '8080',
			MODEL_BUDGET: '250',
			WEBHOOK_ALLOWED_HOSTS: ' n8n.internal , 10.0.0.0/8,,',
			RELAY_RETRY_SCHEDULE_MS: '0, 1000,5000',
			TRUST_PROXY: '1',
		});
		expect(s).toMatchObject({ PORT: 8080, MODEL_BUDGET: 250, WEBHOOK_ALLOWED_HOSTS: ['n8n.internal', '10.0.0.0/8'], RELAY_RETRY_SCHEDULE_MS: [0, 1000, 5000], TRUST_PROXY: 1 });
		expect(loadSettings({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
		expect(loadSettings({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).TRUST_PROXY).toEqual(['10.0.0.0/8', '127.0.0.1']);
	});

	it('keeps data in an absolute folder under the server by default, whatever the current folder', () => {
		expect(path.isAbsolute(DEFAULT_DATA_DIR)).toBe(true);
		expect(DEFAULT_DATA_DIR).toBe(path.join(SERVER_DIR, 'data'));
		expect(path.basename(SERVER_DIR)).toBe('agent-server');
		expect(sqliteFileOf(loadSettings({}))).toBe(path.join(SERVER_DIR, 'data', 'agent-bridge.db'));
	});

	it('puts the SQLite file in DATA_DIR, and SQLITE_FILE relative to it', () => {
		expect(sqliteFileOf(loadSettings({ DATA_DIR: '/srv/agent-bridge' }))).toBe('/srv/agent-bridge/agent-bridge.db');
		expect(sqliteFileOf(loadSettings({ DATA_DIR: '/srv/agent-bridge', SQLITE_FILE: 'tenant.db' }))).toBe('/srv/agent-bridge/tenant.db');
		expect(sqliteFileOf(loadSettings({ DATA_DIR: '/srv/agent-bridge', SQLITE_FILE: '/var/db/x.db' }))).toBe('/var/db/x.db');
	});
});

describe('variables that are no setting', () => {
	it('warns about a misspelt setting by name, with the one it most likely meant', () => {
		expect(unknownSettingWarnings({ MODEL_NAME: 'gpt-4o', OPENAI_MODLE: 'x', RELAY_POLL_INTERVAL: '5', AGENT_BRIDGE_APIKEY: 'k' })).toEqual([
			'AGENT_BRIDGE_APIKEY: not a setting of this server, ignored; did you mean AGENT_BRIDGE_API_KEY? (every setting: docs/deploy.md)',
			'MODEL_NAME: not a setting of this server, ignored; did you mean OPENAI_MODEL? (every setting: docs/deploy.md)',
			'OPENAI_MODLE: not a setting of this server, ignored; did you mean OPENAI_MODEL? (every setting: docs/deploy.md)',
			'RELAY_POLL_INTERVAL: not a setting of this server, ignored; did you mean RELAY_POLL_INTERVAL_MS? (every setting: docs/deploy.md)',
		]);
	});

	it('names no setting when none is close', () => {
		expect(unknownSettingWarnings({ MODEL_COLOUR_SCHEME: 'blue' })).toEqual(['MODEL_COLOUR_SCHEME: not a setting of this server, ignored (every setting: docs/deploy.md)']);
	});

	it('leaves alone the settings, other programs\' variables and the OpenAI client\'s own', () => {
		expect(unknownSettingWarnings({ OPENAI_MODEL: 'x', PATH: '/bin', HOME: '/root', N8N_WEBHOOK_URL: 'http://n8n/', WEBHOOK_URL: 'http://n8n/', OPENAI_ORG_ID: 'org' })).toEqual([]);
	});
});

describe('model settings', () => {
	it('are checked in the same pass and wording as the others', () => {
		expect(problemsOf({ MODEL_BUDGET: 'abc', MODEL_TIMEOUT_MS: 'soon', MODEL_TEMPERATURE: '3', MODEL_PROVIDER: 'bard', MODEL_MAX_RETRIES: '11' }).sort()).toEqual([
			'MODEL_BUDGET: must be a whole number of model calls (got "abc")',
			'MODEL_MAX_RETRIES: must be a whole number of retries from 0 to 10 (got "11")',
			expect.stringMatching(/^MODEL_PROVIDER: must be one of openai, azure, .* \(got "bard"\)$/),
			'MODEL_TEMPERATURE: must be a number from 0 to 2 (got "3")',
			'MODEL_TIMEOUT_MS: must be a whole number of milliseconds from 100 to 600000 (got "soon")',
		]);
	});

	it('refuse a request timeout longer than the turn', () => {
		expect(problemsOf({ MODEL_TIMEOUT_MS: '30000', MODEL_TURN_DEADLINE_MS: '10000' })).toEqual([
			'MODEL_TIMEOUT_MS: must not be longer than MODEL_TURN_DEADLINE_MS (one request cannot outlast the whole turn) (got "30000")',
		]);
	});
});

describe('docs/deploy.md', () => {
	const deploy = readFileSync(path.join(SERVER_DIR, '..', 'docs', 'deploy.md'), 'utf8');
	const section = deploy.slice(deploy.indexOf('## Settings'), deploy.indexOf('\n## ', deploy.indexOf('## Settings') + 1));
	const rows = section.split('\n').filter((line) => /^\| `[A-Z_]+` \|/.test(line));

	it('has one row for every setting, and no row for anything else', () => {
		const documented = rows.map((line) => /^\| `([A-Z_]+)` \|/.exec(line)![1]);
		expect([...documented].sort()).toEqual(Object.keys(settingsSchema.shape).sort());
		expect(new Set(documented).size).toBe(documented.length);
	});

	it('gives the defaults the server uses', () => {
		const defaults = loadSettings({});
		const documentedDefault = (name: string) => rows.find((line) => line.startsWith(`| \`${name}\` |`))!.split('|')[2].trim();
		expect(documentedDefault('PORT')).toBe(`\`${defaults.PORT}\``);
		expect(documentedDefault('HOST')).toBe(`\`${defaults.HOST}\``);
		expect(documentedDefault('LOG_LEVEL')).toBe(`\`${defaults.LOG_LEVEL}\``);
		expect(documentedDefault('OPENAI_MODEL')).toBe(`\`${MODEL_DEFAULTS.model}\``);
		expect(documentedDefault('MODEL_TIMEOUT_MS')).toBe(`\`${MODEL_DEFAULTS.timeoutMs}\``);
		expect(documentedDefault('MODEL_MAX_RETRIES')).toBe(`\`${MODEL_DEFAULTS.maxRetries}\``);
		expect(documentedDefault('MODEL_TURN_DEADLINE_MS')).toBe(`\`${MODEL_DEFAULTS.turnDeadlineMs}\``);
		expect(documentedDefault('MODEL_MAX_TOKENS')).toBe(`\`${MODEL_DEFAULTS.maxTokens}\``);
		expect(documentedDefault('RELAY_PROBE_BASE_MS')).toBe(`\`${DEFAULT_PROBE.baseMs}\``);
		expect(documentedDefault('RELAY_PROBE_MAX_MS')).toBe(`\`${DEFAULT_PROBE.maxMs}\``);
		expect(documentedDefault('RELAY_PROBE_FOR_MS')).toBe(`\`${DEFAULT_PROBE.forMs}\``);
	});
});
