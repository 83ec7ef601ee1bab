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
