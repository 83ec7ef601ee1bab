import { buildTestApp, stubEngine, type TestApp } from '../testing/harness';

describe('GET /metrics', () => {
	let t: TestApp;
	afterEach(() => t.close());

	it('reports conversations, events and deliveries from the database, and request latency', async () => {
		t = await buildTestApp({ engine: stubEngine() });
		await t.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/hook', events: ['agent.action.triggered'] });
		await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' });
		const res = await t.app.inject({ method: 'GET', url: '/metrics' });
		expect(res.statusCode).toBe(200);
		expect(res.headers['content-type']).toContain('text/plain');
		expect(res.body).toMatch(/^agent_bridge_conversations\{status="active"\} 1$/m);
		expect(res.body).toMatch(/^agent_bridge_events\{type="agent\.action\.triggered"\} 1$/m);
		expect(res.body).toMatch(/^agent_bridge_deliveries\{status="pending"\} 1$/m);
		expect(res.body).toMatch(/^agent_bridge_pending_deliveries\{reason="new"\} 1$/m);
		expect(res.body).toMatch(/^agent_bridge_probed_destinations 0$/m);
		expect(res.body).toMatch(/^agent_bridge_http_request_duration_seconds_count\{method="POST",route="\/v1\/chat",status="200"\} 1$/m);
		expect(res.body).not.toContain(t.apiKey);
	});

	it('asks for the operator token when one is set', async () => {
		t = await buildTestApp({ engine: stubEngine(), metricsToken: 'ops-secret' });
		expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
		expect((await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${t.apiKey}` } })).statusCode).toBe(401);
		expect((await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer ops-secret' } })).statusCode).toBe(200);
	});
});
