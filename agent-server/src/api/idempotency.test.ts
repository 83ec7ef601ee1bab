import { buildTestApp, type TestApp } from '../testing/harness';

describe('Idempotency-Key on POST /v1/chat', () => {
	let t: TestApp;
	beforeEach(async () => {
		t = await buildTestApp();
	});
	afterEach(() => t.close());

	const events = () => t.app.agentBridge.store.db.selectFrom('events').selectAll().execute();

	it('answers a retry with the first reply and fires nothing new', async () => {
		const body = { agentId: 'test-agent', text: 'fire:lead_scoring' };
		const first = await t.call('POST', '/v1/chat', body, { 'idempotency-key': 'k-1' });
		const retry = await t.call('POST', '/v1/chat', body, { 'idempotency-key': 'k-1' });
		expect(retry.statusCode).toBe(first.statusCode);
		expect(retry.json()).toEqual(first.json());
		expect(retry.headers['idempotent-replayed']).toBe('true');
		expect(await events()).toHaveLength(1);
		// Another key is another request.
		await t.call('POST', '/v1/chat', body, { 'idempotency-key': 'k-2' });
		expect(await events()).toHaveLength(2);
	});

	it('refuses the same key with a different body, and a bad key', async () => {
		await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' }, { 'idempotency-key': 'k' });
		expect((await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'other' }, { 'idempotency-key': 'k' })).statusCode).toBe(422);
		expect((await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' }, { 'idempotency-key': 'a b' })).statusCode).toBe(400);
	});

	it('does not replay a refusal: once its cause is fixed, the same request with the same key runs', async () => {
		const body = { agentId: 'later-agent', text: 'hi' };
		const bad = await t.call('POST', '/v1/chat', body, { 'idempotency-key': 'k-404' });
		expect(bad.statusCode).toBe(404);
		expect((await t.call('POST', '/v1/agents', { id: 'later-agent', name: 'Later' })).statusCode).toBe(201);
		const retry = await t.call('POST', '/v1/chat', body, { 'idempotency-key': 'k-404' });
		expect(retry.statusCode).toBe(200);
		expect(retry.headers['idempotent-replayed']).toBeUndefined();
		// The success is what is replayed from now on.
		const again = await t.call('POST', '/v1/chat', body, { 'idempotency-key': 'k-404' });
		expect(again.headers['idempotent-replayed']).toBe('true');
		expect(again.json()).toEqual(retry.json());
	});
});
