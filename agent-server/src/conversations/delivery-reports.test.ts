// A channel's delivery report on a message to the contact: on the message and the timeline, once per report, with a
// clear 4xx for anything else; concurrent reports of the same message record one entry (both databases).
import { buildTestApp, type TestApp } from '../testing/harness';

let t: TestApp;
beforeEach(async () => {
	t = await buildTestApp();
});
afterEach(async () => t.close());

async function conversationWithReply() {
	const chat = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hello', identity: { channel: 'telegram', address: '900200' } })).json();
	const reply = await t.call('POST', `/v1/conversations/${chat.conversation.id}/replies`, { text: 'A teammate will call you.' });
	expect(reply.statusCode).toBe(200);
	return { conversationId: chat.conversation.id as string, messageId: reply.json().message.id as string, contactMessageId: chat.message.id as string };
}

const report = (conversationId: string, messageId: string, body: unknown) =>
	t.call('POST', `/v1/conversations/${conversationId}/messages/${messageId}/delivery`, body);

async function detail(conversationId: string) {
	return (await t.call('GET', `/v1/conversations/${conversationId}`)).json();
}
const deliveryEntries = (d: any) => d.timeline.filter((e: any) => e.kind === 'message.delivery');

test('a delivered report shows on the message and once on the timeline, however often it is sent', async () => {
	const { conversationId, messageId } = await conversationWithReply();
	const first = await report(conversationId, messageId, { status: 'delivered' });
	expect(first.statusCode).toBe(200);
	expect(first.json()).toMatchObject({ recorded: true, message: { id: messageId, delivery: { status: 'delivered', reason: null } } });
	const again = await report(conversationId, messageId, { status: 'delivered' });
	expect(again.json()).toMatchObject({ recorded: false, message: { delivery: { status: 'delivered' } } });

	const d = await detail(conversationId);
	expect(d.messages.find((m: any) => m.id === messageId).delivery).toMatchObject({ status: 'delivered', reason: null });
	expect(deliveryEntries(d)).toEqual([expect.objectContaining({ detail: { messageId, status: 'delivered', channel: 'telegram' } })]);
});

test('a failed report keeps the reason; a later delivered report (a retry that got through) is recorded after it', async () => {
	const { conversationId, messageId } = await conversationWithReply();
	expect((await report(conversationId, messageId, { status: 'failed', reason: 'Bad Request: chat not found' })).statusCode).toBe(200);
	expect((await report(conversationId, messageId, { status: 'failed', reason: 'Bad Request: chat not found' })).json().recorded).toBe(false);
	const other = await report(conversationId, messageId, { status: 'failed', reason: 'Forbidden: bot was blocked by the user' });
	expect(other.statusCode).toBe(409);
	expect(other.json().message).toMatch(/already reported failed/);
	expect((await report(conversationId, messageId, { status: 'delivered' })).json().recorded).toBe(true);
	expect((await report(conversationId, messageId, { status: 'failed', reason: 'late' })).statusCode).toBe(409);

	const d = await detail(conversationId);
	expect(d.messages.find((m: any) => m.id === messageId).delivery.status).toBe('delivered');
	expect(deliveryEntries(d).map((e: any) => e.detail)).toEqual([
		{ messageId, status: 'failed', reason: 'Bad Request: chat not found', channel: 'telegram' },
		{ messageId, status: 'delivered', channel: 'telegram', previously: 'failed' },
	]);
});

test('bad reports get a clear 4xx and change nothing', async () => {
	const { conversationId, messageId, contactMessageId } = await conversationWithReply();
	const cases: Array<[string, string, unknown, number, RegExp]> = [
		[conversationId, messageId, { status: 'failed' }, 400, /failed delivery needs the reason/],
		[conversationId, messageId, { status: 'failed', reason: '   ' }, 400, /failed delivery needs the reason/],
		[conversationId, messageId, { status: 'delivered', reason: 'ok' }, 400, /only a failed delivery has a reason/],
		[conversationId, messageId, { status: 'sent' }, 400, /status/],
		[conversationId, messageId, { status: 'failed', reason: 'x'.repeat(501) }, 400, /reason/],
		[conversationId, messageId, { status: 'delivered', extra: 1 }, 400, /extra/],
		[conversationId, contactMessageId, { status: 'delivered' }, 400, /the contact's/],
		[conversationId, 'msg_missing', { status: 'delivered' }, 404, /message msg_missing not found/],
		['conv_missing', messageId, { status: 'delivered' }, 404, /conversation conv_missing not found/],
	];
	for (const [conversation, message, body, status, text] of cases) {
		const res = await report(conversation, message, body);
		expect({ body, status: res.statusCode }).toEqual({ body, status });
		expect(res.json().message).toMatch(text);
	}
	const d = await detail(conversationId);
	expect(deliveryEntries(d)).toEqual([]);
	expect(d.messages.every((m: any) => m.delivery === undefined)).toBe(true);
});

test('a message of another conversation is not found through this one', async () => {
	const a = await conversationWithReply();
	const b = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' })).json();
	expect((await report(b.conversation.id, a.messageId, { status: 'delivered' })).statusCode).toBe(404);
});

test('concurrent reports of one message record it once', async () => {
	const { conversationId, messageId } = await conversationWithReply();
	const results = await Promise.all(Array.from({ length: 8 }, () => report(conversationId, messageId, { status: 'delivered' })));
	expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
	expect(results.filter((r) => r.json().recorded)).toHaveLength(1);
	expect(deliveryEntries(await detail(conversationId))).toHaveLength(1);
});

test('a failed and a delivered report racing end with the message delivered and at most one entry each', async () => {
	const { conversationId, messageId } = await conversationWithReply();
	const results = await Promise.all([
		report(conversationId, messageId, { status: 'failed', reason: 'timeout' }),
		report(conversationId, messageId, { status: 'delivered' }),
		report(conversationId, messageId, { status: 'failed', reason: 'timeout' }),
		report(conversationId, messageId, { status: 'delivered' }),
	]);
	for (const r of results) expect([200, 409]).toContain(r.statusCode);
	const d = await detail(conversationId);
	const statuses = deliveryEntries(d).map((e: any) => e.detail.status);
	expect(statuses.filter((s: string) => s === 'delivered')).toHaveLength(1);
	expect(statuses.filter((s: string) => s === 'failed').length).toBeLessThanOrEqual(1);
	// Whatever the order, the entries end the way the message ends.
	expect(statuses.at(-1)).toBe(d.messages.find((m: any) => m.id === messageId).delivery.status);
});

describe('a refusal that will pass is sent again at the time the channel asked for', () => {
	const subscribe = () => t.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/hook', events: ['conversation.message.outgoing'] });
	async function outgoingDeliveries(messageId: string) {
		const db = t.app.agentBridge.store.db;
		const rows = await db
			.selectFrom('deliveries')
			.innerJoin('events', 'events.id', 'deliveries.event_id')
			.select(['events.id as eventId', 'events.envelope', 'deliveries.next_attempt_at as dueAt', 'deliveries.next_attempt_reason as why'])
			.where('events.type', '=', 'conversation.message.outgoing')
			.orderBy('events.id')
			.execute();
		return rows.filter((r) => JSON.parse(r.envelope).message.id === messageId);
	}

	test("a Telegram 429 leaves the message retrying and publishes it again, due after Telegram's retry_after", async () => {
		expect((await subscribe()).statusCode).toBe(201);
		const { conversationId, messageId } = await conversationWithReply();
		expect(await outgoingDeliveries(messageId)).toHaveLength(1);
		const before = Date.now();
		const res = await report(conversationId, messageId, { status: 'failed', reason: 'Too Many Requests: retry after 7' });
		expect(res.statusCode).toBe(200);
		const delivery = res.json().message.delivery;
		expect(delivery).toMatchObject({ status: 'retrying', reason: 'Too Many Requests: retry after 7', retries: 1 });
		expect(Date.parse(delivery.retryAt) - before).toBeGreaterThanOrEqual(7000);

		const resend = (await outgoingDeliveries(messageId))[1];
		expect(resend).toMatchObject({ dueAt: delivery.retryAt, why: 'retry-after' });
		expect(JSON.parse(resend.envelope)).toMatchObject({ message: { id: messageId, text: 'A teammate will call you.' }, identity: { channel: 'telegram', address: '900200' } });
		// The report of the send before the retry, repeated while the retry is due, changes nothing.
		expect((await report(conversationId, messageId, { status: 'failed', reason: 'Too Many Requests: retry after 7' })).json().recorded).toBe(false);
		expect(await outgoingDeliveries(messageId)).toHaveLength(2);

		// The resend got through.
		expect((await report(conversationId, messageId, { status: 'delivered' })).json().message.delivery).toMatchObject({ status: 'delivered', retries: 1 });
		const entries = deliveryEntries(await detail(conversationId)).map((e: any) => e.detail);
		expect(entries).toEqual([
			expect.objectContaining({ messageId, status: 'retrying', reason: 'Too Many Requests: retry after 7', retry: 1, waitSeconds: 7, outgoingEventId: resend.eventId }),
			{ messageId, status: 'delivered', channel: 'telegram', previously: 'retrying', retries: 1 },
		]);
	});

	test('a Retry-After the workflow read, and a 5xx without a time (the first backoff step), are honoured too', async () => {
		await subscribe();
		const a = await conversationWithReply();
		const asked = (await report(a.conversationId, a.messageId, { status: 'failed', reason: 'ratelimited', retryAfter: 30 })).json().message.delivery;
		expect(Date.parse(asked.retryAt) - Date.parse(asked.at)).toBeGreaterThanOrEqual(30_000);
		const b = await conversationWithReply();
		const busy = (await report(b.conversationId, b.messageId, { status: 'failed', reason: 'Bad Gateway' })).json().message.delivery;
		expect(busy.status).toBe('retrying');
		expect(Date.parse(busy.retryAt) - Date.parse(busy.at)).toBeGreaterThanOrEqual(5000);
	});

	test('a final refusal (blocked, chat not found) is failed at once and nothing is sent again', async () => {
		await subscribe();
		const { conversationId, messageId } = await conversationWithReply();
		const res = await report(conversationId, messageId, { status: 'failed', reason: 'Forbidden: bot was blocked by the user' });
		expect(res.json().message.delivery).toMatchObject({ status: 'failed', reason: 'Forbidden: bot was blocked by the user' });
		expect(await outgoingDeliveries(messageId)).toHaveLength(1);
	});

	test('without a workflow to send it again, a refusal that would pass is failed at once and says why', async () => {
		const { conversationId, messageId } = await conversationWithReply();
		const res = await report(conversationId, messageId, { status: 'failed', reason: 'Too Many Requests: retry after 3' });
		expect(res.json().message.delivery).toMatchObject({ status: 'failed', reason: 'Too Many Requests: retry after 3' });
		expect(deliveryEntries(await detail(conversationId))[0].detail.notRetried).toMatch(/no workflow subscribes to conversation.message.outgoing/);
	});

	test('a retry time on a delivered report, or a negative one, is a 400 that changes nothing', async () => {
		const { conversationId, messageId } = await conversationWithReply();
		expect((await report(conversationId, messageId, { status: 'delivered', retryAfter: 3 })).statusCode).toBe(400);
		expect((await report(conversationId, messageId, { status: 'failed', reason: 'x', retryAfter: -1 })).statusCode).toBe(400);
		expect(deliveryEntries(await detail(conversationId))).toEqual([]);
	});

	test('concurrent refusals of one message schedule one resend', async () => {
		await subscribe();
		const { conversationId, messageId } = await conversationWithReply();
		const results = await Promise.all(Array.from({ length: 6 }, () => report(conversationId, messageId, { status: 'failed', reason: 'Too Many Requests: retry after 5' })));
		expect(results.map((r) => r.statusCode)).toEqual(Array(6).fill(200));
		expect(results.filter((r) => r.json().recorded)).toHaveLength(1);
		expect(await outgoingDeliveries(messageId)).toHaveLength(2);
	});
});
