// The per-workspace limit on /v1: trips at N+1 for one workspace, leaves another workspace and the exempt routes alone.
import { buildTestApp, type TestApp } from '../testing/harness';
import { addApiKey, createWorkspace } from '../store/workspaces';

const OTHER_KEY = 'ab_other_key_0123456789';
const LIMIT = 5;

describe('API rate limit', () => {
	let t: TestApp;
	beforeEach(async () => {
		t = await buildTestApp({ rateLimitPerMinute: LIMIT, metricsPublic: true });
		const db = t.app.agentBridge.store.db;
		const ws = await createWorkspace(db, 'Other');
		await addApiKey(db, ws.id, OTHER_KEY);
	});
	afterEach(() => t.close());

	const asOther = (url: string) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${OTHER_KEY}` } });

	it('answers 429 with retry-after at N+1 requests for one workspace while another workspace still passes', async () => {
		for (let i = 0; i < LIMIT; i++) expect((await t.call('GET', '/v1/workspace')).statusCode).toBe(200);
		const over = await t.call('GET', '/v1/conversations');
		expect(over.statusCode).toBe(429);
		expect(over.json()).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/rate limit of 5 requests/) });
		expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
		// The bucket is the workspace: another workspace's key is counted on its own.
		expect((await asOther('/v1/workspace')).statusCode).toBe(200);
		// Exempt: health, metrics.
		expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
		expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
	});

	it('does not count requests with a wrong key against the workspace', async () => {
		for (let i = 0; i < LIMIT + 2; i++) {
			const res = await t.app.inject({ method: 'GET', url: '/v1/workspace', headers: { authorization: 'Bearer ab_wrong_key_000000000' } });
			expect(res.statusCode).toBe(401);
		}
		expect((await t.call('GET', '/v1/workspace')).statusCode).toBe(200);
	});

	it('is off with 0 and checks the environment value', async () => {
		const open = await buildTestApp({ rateLimitPerMinute: 0 });
		try {
			for (let i = 0; i < 20; i++) expect((await open.call('GET', '/v1/workspace')).statusCode).toBe(200);
		} finally {
			await open.close();
		}
	});
});
