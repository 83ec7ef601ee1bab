// Chat by a channel identity (what an n8n channel trigger knows of a contact): an unknown identity creates the
// contact, a known one continues its open conversation with the agent, and waitMs bounds how long a request waits.
import { AgentConfig } from '../engine/agent-config';
import { createOfflineEngine } from '../engine/offline';
import { buildTestApp, testRegistry, TEST_AGENT, type TestApp } from '../testing/harness';

const QUOTE_TIMEOUT_MS = 10_000;
const QUOTER = AgentConfig.parse({
	id: 'quoter',
	name: 'Quoter',
	actions: [
		{
			id: 'price_lookup',
			name: 'Price Lookup',
			condition: { asks: ['quote'] },
			once: false,
			expects: { fields: ['custom_field.quoted_price'], timeoutMs: QUOTE_TIMEOUT_MS, holdingReply: 'Still checking.', onTimeout: { reply: 'Sorry, it took too long.', handoff: true } },
		},
	],
	replies: { rules: [{ when: { field: 'custom_field.quoted_price' }, text: 'Your price is {{contact.custom_field.quoted_price}}.' }] },
});

let t: TestApp;
afterEach(async () => t?.close());

const telegram = (address: string) => ({ channel: 'telegram', address });

describe('chat by identity', () => {
	beforeEach(async () => {
		t = await buildTestApp();
	});

	test('an unknown identity creates the contact with that identity and a conversation on its channel', async () => {
		const res = await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hello', identity: telegram('1001'), contact: { firstName: 'Tess' } });
		expect(res.statusCode).toBe(200);
		const answer = res.json();
		expect(answer.conversation.channel).toBe('telegram');
		expect(answer.reply.text).toBe('You said: hello');
		const found = (await t.call('GET', '/v1/contacts?channel=telegram&address=1001')).json().data;
		expect(found).toEqual([expect.objectContaining({ id: answer.contact.id, firstName: 'Tess' })]);
	});

	test('a returning identity continues the same open conversation, and starts a new one after it ended', async () => {
		const first = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi', identity: telegram('2002') })).json();
		const second = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'again', identity: telegram('2002') })).json();
		expect(second.conversation.id).toBe(first.conversation.id);
		expect(second.contact.id).toBe(first.contact.id);
		await t.call('POST', `/v1/conversations/${first.conversation.id}/end`, {});
		const third = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'back', identity: telegram('2002') })).json();
		expect(third.contact.id).toBe(first.contact.id);
		expect(third.conversation.id).not.toBe(first.conversation.id);
	});

	test('an identity added to an existing contact brings its messages to that contact', async () => {
		const contact = (await t.call('POST', '/v1/contacts', { email: 'kim@example.com' })).json();
		await t.call('POST', `/v1/contacts/${contact.id}/identities`, { channel: 'sms', address: '+15550100' });
		const answer = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hey', identity: { channel: 'sms', address: '+15550100' } })).json();
		expect(answer.contact.id).toBe(contact.id);
		expect(answer.conversation.channel).toBe('sms');
	});

	test('five first messages from one new identity at once make one contact', async () => {
		const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => t.call('POST', '/v1/chat', { agentId: 'test-agent', text: `m${i}`, identity: telegram('3003') })));
		expect(answers.map((a) => a.statusCode)).toEqual(Array(5).fill(200));
		expect(new Set(answers.map((a) => a.json().contact.id)).size).toBe(1);
		expect((await t.call('GET', '/v1/contacts?channel=telegram&address=3003')).json().data).toHaveLength(1);
	});

	test('identity with contactId, or with another channel, is refused and stores nothing', async () => {
		const contact = (await t.call('POST', '/v1/contacts', {})).json();
		expect((await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'x', identity: telegram('4004'), contactId: contact.id })).statusCode).toBe(400);
		expect((await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'x', identity: telegram('4004'), channel: 'sms' })).statusCode).toBe(400);
		expect((await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'x', identity: { channel: 'tele gram', address: '1' } })).statusCode).toBe(400);
		expect((await t.call('GET', '/v1/contacts?channel=telegram&address=4004')).json().data).toEqual([]);
	});
});

describe('waitMs', () => {
	beforeEach(async () => {
		t = await buildTestApp({ agents: testRegistry([QUOTER, TEST_AGENT]), engine: createOfflineEngine(), conversations: { waitPollMs: 20, sweepIntervalMs: 0 } });
	});

	test('the request answers after waitMs with the holding reply; the result arrives later as a message, without the timeout fallback', async () => {
		const started = Date.now();
		const res = await t.call('POST', '/v1/chat', { agentId: 'quoter', text: 'a quote please', identity: telegram('5005'), waitMs: 100 });
		// After waitMs, not after the action's own timeout.
		expect(Date.now() - started).toBeLessThan(QUOTE_TIMEOUT_MS);
		const answer = res.json();
		expect(answer.reply.text).toBe('Still checking.');
		expect(answer.waited).toMatchObject({ arrived: false });
		expect(answer.conversation.status).toBe('active');
		await t.call('PATCH', `/v1/contacts/${answer.contact.id}`, { customFields: { quoted_price: '$90' } });
		const detail = (await t.call('GET', `/v1/conversations/${answer.conversation.id}`)).json();
		expect(detail.messages.map((m: { text: string }) => m.text)).toEqual(['a quote please', 'Still checking.', 'Your price is $90.']);
		expect(detail.status).toBe('active');
	});

	test('a result within waitMs is the direct answer', async () => {
		const contact = (await t.call('POST', '/v1/contacts', {})).json();
		await t.call('POST', `/v1/contacts/${contact.id}/identities`, telegram('6006'));
		const [res] = await Promise.all([
			t.call('POST', '/v1/chat', { agentId: 'quoter', text: 'a quote please', identity: telegram('6006'), waitMs: 3000 }),
			new Promise((r) => setTimeout(r, 100)).then(() => t.call('PATCH', `/v1/contacts/${contact.id}`, { customFields: { quoted_price: '$70' } })),
		]);
		expect(res.json().reply.text).toBe('Your price is $70.');
		expect(res.json().waited).toMatchObject({ arrived: true });
	});
});
