import { addApiKey, createWorkspace } from '../store/workspaces';
import { buildTestApp, stubEngine, type TestApp } from '../testing/harness';

describe('GET /metrics', () => {
	let t: TestApp;
	afterEach(() => t.close());
	const scrape = (authorization?: string) => t.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });

	it('reports conversations, events and deliveries from the database, request latency, and per-workspace series to the operator', async () => {
		t = await buildTestApp({ engine: stubEngine(), metricsToken: 'ops-secret' });
		await t.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/hook', events: ['agent.action.triggered'] });
		await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' });
		const workspaceId = (await t.call('GET', '/v1/workspace')).json().id;
		const res = await scrape('Bearer ops-secret');
		expect(res.statusCode).toBe(200);
		expect(res.headers['content-type']).toContain('text/plain');
		expect(res.body).toMatch(/^agent_bridge_conversations\{status="active"\} 1$/m);
		expect(res.body).toMatch(/^agent_bridge_events\{type="agent\.action\.triggered"\} 1$/m);
		expect(res.body).toMatch(/^agent_bridge_deliveries\{status="pending"\} 1$/m);
		expect(res.body).toMatch(/^agent_bridge_pending_deliveries\{reason="new"\} 1$/m);
		expect(res.body).toMatch(/^agent_bridge_probed_destinations 0$/m);
		expect(res.body).toMatch(/^agent_bridge_http_request_duration_seconds_count\{method="POST",route="\/v1\/chat",status="200"\} 1$/m);
		expect(res.body).toContain(`agent_bridge_workspace_conversations{workspace="${workspaceId}",status="active"} 1`);
		expect(res.body).not.toContain(t.apiKey);
	});

	it('asks for the operator token, not an API key, and accepts any case of "bearer"', async () => {
		t = await buildTestApp({ engine: stubEngine(), metricsToken: 'ops-secret' });
		expect((await scrape()).statusCode).toBe(401);
		expect((await scrape(`Bearer ${t.apiKey}`)).statusCode).toBe(401);
		expect((await scrape('Bearer ops-secre')).statusCode).toBe(401);
		expect((await scrape('Bearer ops-secret')).statusCode).toBe(200);
		expect((await scrape('bearer ops-secret')).statusCode).toBe(200);
		expect((await scrape('BEARER  ops-secret ')).statusCode).toBe(200);
	});

	it('is closed when no token is configured, unless opened explicitly', async () => {
		t = await buildTestApp({ engine: stubEngine() });
		const closed = await scrape();
		expect(closed.json()).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(/METRICS_TOKEN.*METRICS_PUBLIC=true/) });
		expect((await scrape(`Bearer ${t.apiKey}`)).statusCode).toBe(401);
	});

	it('opened with metricsPublic shows totals across workspaces but no per-workspace series', async () => {
		t = await buildTestApp({ engine: stubEngine(), metricsPublic: true });
		const db = t.app.agentBridge.store.db;
		const other = await createWorkspace(db, 'Other');
		await addApiKey(db, other.id, 'ab_other_workspace_key');
		await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' });
		await t.app.inject({ method: 'POST', url: '/v1/chat', headers: { authorization: 'Bearer ab_other_workspace_key' }, payload: { agentId: 'test-agent', text: 'hi' } });
		const res = await scrape();
		expect(res.statusCode).toBe(200);
		expect(res.body).toMatch(/^agent_bridge_conversations\{status="active"\} 2$/m);
		expect(res.body).not.toContain('agent_bridge_workspace_');
		expect(res.body).not.toContain(other.id);
	});
});
