import path from 'node:path';
import { DEFAULT_DATA_DIR, loadSettings, SERVER_DIR, SettingsError, sqliteFileOf } from './settings';

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
