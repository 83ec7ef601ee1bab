// Every message to a contact that did not go back as the direct answer of a chat request is published as
// conversation.message.outgoing, with the channel and the contact's identity there; direct answers are not.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { AgentConfig } from '../engine/agent-config';
import { createOfflineEngine } from '../engine/offline';
import { buildTestApp, testRegistry, TEST_AGENT, useRelayApp, type TestApp } from '../testing/harness';

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'events', 'envelope.schema.json'), 'utf8')));

const QUOTER = AgentConfig.parse({
	id: 'quoter',
	name: 'Quoter',
	actions: [
		{
			id: 'price_lookup',
			name: 'Price Lookup',
			condition: { asks: ['quote'] },
			once: false,
			expects: { fields: ['custom_field.quoted_price'], timeoutMs: 5000, holdingReply: 'Still checking.' },
		},
	],
	replies: { rules: [{ when: { field: 'custom_field.quoted_price' }, text: 'Your price is {{contact.custom_field.quoted_price}}.' }] },
});

let t: TestApp;
beforeEach(async () => {
	t = await buildTestApp({ agents: testRegistry([QUOTER, TEST_AGENT]), engine: createOfflineEngine(), conversations: { waitPollMs: 20, sweepIntervalMs: 0 } });
});
afterEach(async () => t.close());

type Envelope = { type: string; message: { id: string; text: string; role: string; source: string }; channel: string; identity: unknown; conversation: { id: string } };

async function outgoing(): Promise<Envelope[]> {
	const rows = await t.app.agentBridge.store.db.selectFrom('events').select(['envelope']).where('type', '=', 'conversation.message.outgoing').orderBy('id').execute();
	return rows.map((r) => JSON.parse(r.envelope));
}

const telegram = { channel: 'telegram', address: '900100' };

test('a direct answer is not published; a workflow reply on the same conversation is, with the telegram identity', async () => {
	const chat = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hello', identity: telegram })).json();
	expect(await outgoing()).toEqual([]);
	const reply = await t.call('POST', `/v1/conversations/${chat.conversation.id}/replies`, { text: 'A teammate will call you.' }, { 'x-agent-bridge-causation': 'evt_from_workflow' });
	expect(reply.statusCode).toBe(200);
	const [event] = await outgoing();
	expect(event).toMatchObject({
		message: { id: reply.json().message.id, text: 'A teammate will call you.', role: 'agent', source: 'workflow' },
		channel: 'telegram',
		identity: telegram,
		conversation: { id: chat.conversation.id },
	});
	expect(validate(event)).toBe(true);
	const detail = (await t.call('GET', `/v1/conversations/${chat.conversation.id}`)).json();
	expect(detail.timeline.find((e: { kind: string }) => e.kind === 'workflow.reply').detail.outgoingEventId).toEqual(expect.stringMatching(/^evt_/));
});

test('a conversation a workflow starts on a channel where the contact has no identity carries identity null', async () => {
	const contact = (await t.call('POST', '/v1/contacts', { firstName: 'Ana' })).json();
	const started = (await t.call('POST', '/v1/conversations', { agentId: 'test-agent', contactId: contact.id, channel: 'sms', text: 'Hi {{contact.first_name}}!' })).json();
	expect(await outgoing()).toEqual([expect.objectContaining({ message: expect.objectContaining({ id: started.message.id, text: 'Hi Ana!' }), channel: 'sms', identity: null })]);
});

test('human replies and handoff notices are published', async () => {
	const chat = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hello', identity: telegram })).json();
	await t.call('POST', `/v1/conversations/${chat.conversation.id}/handoff`, { message: 'A person will take it from here.' });
	await t.call('POST', `/v1/conversations/${chat.conversation.id}/human-replies`, { text: 'Hi, Sam here.', author: 'Sam' });
	expect((await outgoing()).map((e) => [e.message.role, e.message.text, e.identity])).toEqual([
		['agent', 'A person will take it from here.', telegram],
		['human', 'Hi, Sam here.', telegram],
	]);
});

test('with waitMs, the holding reply is the direct answer and the late result is published', async () => {
	const chat = (await t.call('POST', '/v1/chat', { agentId: 'quoter', text: 'a quote please', identity: telegram, waitMs: 50 })).json();
	expect(chat.reply.text).toBe('Still checking.');
	expect(await outgoing()).toEqual([]);
	await t.call('PATCH', `/v1/contacts/${chat.contact.id}`, { customFields: { quoted_price: '$80' } });
	expect((await outgoing()).map((e) => [e.message.text, e.channel, e.identity])).toEqual([['Your price is $80.', 'telegram', telegram]]);
});

describe('delivery', () => {
	const s = useRelayApp();

	test('a subscription filtered by channel receives the outgoing message of its channel only', async () => {
		await s.start();
		const { t: app, receiver } = s;
		await app.call('POST', '/v1/subscriptions', { url: receiver.url, events: ['conversation.message.outgoing'], filters: { channel: 'telegram' } });
		const onTelegram = (await app.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi', identity: { channel: 'telegram', address: '777' } })).json();
		const onSms = (await app.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi', identity: { channel: 'sms', address: '+1555' } })).json();
		await app.call('POST', `/v1/conversations/${onSms.conversation.id}/replies`, { text: 'By text message.' });
		await app.call('POST', `/v1/conversations/${onTelegram.conversation.id}/replies`, { text: 'On Telegram.' });
		await receiver.waitFor(1);
		await new Promise((r) => setTimeout(r, 200));
		expect(receiver.received.map((r) => JSON.parse(r.body))).toEqual([
			expect.objectContaining({ type: 'conversation.message.outgoing', message: expect.objectContaining({ text: 'On Telegram.' }), identity: { channel: 'telegram', address: '777' } }),
		]);
		expect(receiver.received[0].headers['webhook-signature']).toMatch(/^v1,/);
	});
});
