// Routes behind the inspector: the conversation list, a conversation's deliveries, and sending a conversation's
// events to an n8n test URL.
import type { LightMyRequestResponse } from 'fastify';
import { addApiKey, createWorkspace } from '../store/workspaces';
import { buildTestApp, startReceiver, type TestApp } from '../testing/harness';

const TEST_URL = 'http://127.0.0.1:5678/webhook-test/agent-bridge-lead';
const LIVE_URL = 'http://127.0.0.1:5678/webhook/agent-bridge-lead';

let t: TestApp;
afterEach(async () => t?.close());

async function chat(text: string, extra: Record<string, unknown> = {}) {
	const res = await t.call('POST', '/v1/chat', { agentId: 'test-agent', text, ...extra });
	expect(res.statusCode).toBe(200);
	return res.json();
}

async function subscribe(url: string, events = ['agent.action.triggered'], filters?: Record<string, unknown>): Promise<string> {
	const res = await t.call('POST', '/v1/subscriptions', { url, events, ...(filters ? { filters } : {}) });
	expect(res.statusCode).toBe(201);
	return res.json().id;
}

async function deliveryCount(): Promise<number> {
	return (await t.call('GET', '/v1/deliveries/summary')).json().deliveries;
}

async function otherWorkspace(): Promise<(method: 'GET' | 'POST', url: string, body?: unknown) => Promise<LightMyRequestResponse>> {
	const ws = await createWorkspace(t.app.agentBridge.store.db, 'Other');
	await addApiKey(t.app.agentBridge.store.db, ws.id, 'ab_other_workspace_key');
	return (method, url, body) =>
		t.app.inject({ method, url, headers: { authorization: 'Bearer ab_other_workspace_key' }, ...(body !== undefined ? { payload: body as object } : {}) });
}

describe('GET /v1/conversations', () => {
	test('lists recent conversations newest first with their last message, filtered by agent, status and channel', async () => {
		t = await buildTestApp();
		const a = await chat('hello');
		const b = await chat('hi there', { agentId: 'other-agent', channel: 'web' });
		await t.call('POST', `/v1/conversations/${a.conversation.id}/end`);

		const all = (await t.call('GET', '/v1/conversations')).json().data;
		expect(all.map((c: { id: string }) => c.id)).toEqual([a.conversation.id, b.conversation.id]);
		expect(all[1]).toMatchObject({ agentId: 'other-agent', channel: 'web', status: 'active', turns: 1, lastMessage: { role: 'agent', text: 'You said: hi there' } });

		const byAgent = (await t.call('GET', '/v1/conversations?agentId=other-agent')).json().data;
		expect(byAgent.map((c: { id: string }) => c.id)).toEqual([b.conversation.id]);
		expect((await t.call('GET', '/v1/conversations?status=ended')).json().data.map((c: { id: string }) => c.id)).toEqual([a.conversation.id]);
		expect((await t.call('GET', '/v1/conversations?channel=web')).json().data).toHaveLength(1);
		expect((await t.call('GET', '/v1/conversations?limit=1')).json().data).toHaveLength(1);
	});

	test.each(['status=open', 'limit=0', 'limit=101', 'limit=x', 'unknown=1'])('bad query %s is a 400', async (query) => {
		t = await buildTestApp();
		const res = await t.call('GET', `/v1/conversations?${query}`);
		expect(res.statusCode).toBe(400);
		expect(res.json().message).toMatch(/^querystring/);
	});

	test('another workspace sees none of them', async () => {
		t = await buildTestApp();
		await chat('hello');
		const other = await otherWorkspace();
		expect((await other('GET', '/v1/conversations')).json().data).toEqual([]);
	});
});

describe('GET /v1/conversations/:id/deliveries', () => {
	test("lists the deliveries of the conversation's events with their destination and status", async () => {
		t = await buildTestApp();
		const sub = await subscribe(TEST_URL);
		const turn = await chat('fire:lead_scoring');
		await chat('unrelated'); // another conversation's events stay out
		const res = await t.call('GET', `/v1/conversations/${turn.conversation.id}/deliveries`);
		expect(res.statusCode).toBe(200);
		expect(res.json().data).toEqual([
			expect.objectContaining({ eventId: turn.actions[0].eventId, eventType: 'agent.action.triggered', subscriptionId: sub, url: TEST_URL, status: 'pending', attempts: 0, testUrl: true }),
		]);
	});

	test("an unknown or another workspace's conversation is a 404", async () => {
		t = await buildTestApp();
		const turn = await chat('hello');
		expect((await t.call('GET', '/v1/conversations/conv_nope/deliveries')).statusCode).toBe(404);
		const other = await otherWorkspace();
		expect((await other('GET', `/v1/conversations/${turn.conversation.id}/deliveries`)).statusCode).toBe(404);
	});
});

describe('POST /v1/conversations/:id/events/send', () => {
	test("queues new signed deliveries of the conversation's matching events to the test URL", async () => {
		const receiver = await startReceiver();
		try {
			t = await buildTestApp({ relay: { pollIntervalMs: 20 } });
			// The test webhook is registered after the conversation happened, as when n8n starts listening.
			const turn = await chat('fire:lead_scoring budget:5000');
			await chat('fire:booked', { conversationId: turn.conversation.id });
			const testUrl = receiver.url.replace('/webhook', '/webhook-test/lead');
			const sub = await subscribe(testUrl, ['agent.action.triggered'], { actionId: 'lead_scoring' });

			const res = await t.call('POST', `/v1/conversations/${turn.conversation.id}/events/send`, { subscriptionId: sub });
			expect(res.statusCode).toBe(202);
			const body = res.json();
			expect(body.queued).toBe(1);
			expect(body.deliveries).toEqual([{ id: expect.stringMatching(/^dlv_/), eventId: turn.actions[0].eventId, eventType: 'agent.action.triggered' }]);

			await receiver.waitFor(1);
			const [request] = receiver.received;
			expect(request.url).toBe('/webhook-test/lead');
			expect(request.headers['webhook-id']).toBe(body.deliveries[0].id);
			expect(request.headers['webhook-signature']).toMatch(/^v1,/);
			expect(JSON.parse(request.body)).toMatchObject({ id: turn.actions[0].eventId, action: { id: 'lead_scoring' } });

			// Sending again makes new deliveries (new webhook-ids), so the test webhook runs again.
			const again = (await t.call('POST', `/v1/conversations/${turn.conversation.id}/events/send`, { subscriptionId: sub })).json();
			expect(again.deliveries[0].id).not.toBe(body.deliveries[0].id);

			const timeline = (await t.call('GET', `/v1/conversations/${turn.conversation.id}`)).json().timeline;
			expect(timeline.filter((e: { kind: string }) => e.kind === 'events.sent_to_test')).toHaveLength(2);
		} finally {
			await t.close();
			await receiver.close();
		}
	});

	test('bad input is refused and queues nothing', async () => {
		t = await buildTestApp();
		const live = await subscribe(LIVE_URL);
		const endedOnly = await subscribe(TEST_URL, ['conversation.ended']);
		const test = await subscribe(TEST_URL);
		const quiet = await chat('hello');
		const fired = await chat('fire:lead_scoring');
		const before = await deliveryCount();
		const send = (conversationId: string, body: unknown) => t.call('POST', `/v1/conversations/${conversationId}/events/send`, body);

		const cases: [LightMyRequestResponse, number, string][] = [
			[await send('conv_nope', { subscriptionId: test }), 404, 'conversation conv_nope not found'],
			[await send(fired.conversation.id, { subscriptionId: 'sub_nope' }), 404, 'subscription sub_nope not found'],
			[await send(fired.conversation.id, {}), 400, 'body/subscriptionId: is required'],
			[await send(fired.conversation.id, { subscriptionId: test, extra: true }), 400, 'body'],
			[await send(fired.conversation.id, { subscriptionId: live }), 400, 'is not an n8n test URL'],
			[await send(quiet.conversation.id, { subscriptionId: test }), 409, 'has no events yet'],
			[await send(fired.conversation.id, { subscriptionId: endedOnly }), 409, 'none of the 1 events'],
		];
		for (const [res, status, message] of cases) {
			expect(res.statusCode).toBe(status);
			expect(res.json().message).toContain(message);
		}
		await t.call('DELETE', `/v1/subscriptions/${test}`);
		expect((await send(fired.conversation.id, { subscriptionId: test })).statusCode).toBe(404);
		expect(await deliveryCount()).toBe(before);
	});

	test("another workspace's conversation or subscription is a 404", async () => {
		t = await buildTestApp();
		const sub = await subscribe(TEST_URL);
		const fired = await chat('fire:lead_scoring');
		const before = await deliveryCount();
		const other = await otherWorkspace();
		const theirSub = (await other('POST', '/v1/subscriptions', { url: TEST_URL, events: ['agent.action.triggered'] })).json().id;
		expect((await other('POST', `/v1/conversations/${fired.conversation.id}/events/send`, { subscriptionId: theirSub })).statusCode).toBe(404);
		expect((await t.call('POST', `/v1/conversations/${fired.conversation.id}/events/send`, { subscriptionId: theirSub })).statusCode).toBe(404);
		expect(await deliveryCount()).toBe(before);
		expect((await t.call('POST', `/v1/conversations/${fired.conversation.id}/events/send`, { subscriptionId: sub })).statusCode).toBe(202);
	});
});
