// One disclosure guard on every text the contact gets as the agent: the engine's reply, workflow replies, conversations
// a workflow starts, handoff notices. Merge fields are filled once, in any spelling, whatever the value's length.
import { AgentConfig, validateAgentConfig } from '../engine/agent-config';
import { createOfflineEngine } from '../engine/offline';
import { buildTestApp, testRegistry, type TestApp } from '../testing/harness';

const BLOCKED = "I can't share that here — I'm bringing in a member of our team who can help you with it.";

const VAULT = AgentConfig.parse({
	id: 'vault',
	name: 'Vault',
	replies: { greeting: 'Hello {{contact.first_name | there}}!' },
	disclosure: {
		verifiedWhen: { tag: 'verified' },
		fields: [
			{ field: 'custom_field.balance', level: 'verified' },
			{ field: 'custom_field.card_last4', level: 'never' },
			{ field: 'custom_field.pin', level: 'never' },
		],
	},
});

describe('the disclosure guard on every outbound text', () => {
	let t: TestApp;
	let contactId: string;
	let conversationId: string;
	beforeEach(async () => {
		t = await buildTestApp({ agents: testRegistry([VAULT]), engine: createOfflineEngine() });
		const contact = (await t.call('POST', '/v1/contacts', { firstName: 'Sam', customFields: { balance: '$42.00', card_last4: '4821', pin: '7' } })).json();
		contactId = contact.id;
		conversationId = (await t.call('POST', '/v1/chat', { agentId: 'vault', contactId, text: 'hi' })).json().conversation.id;
	});
	afterEach(async () => t.close());

	const transcript = async () => (await t.call('GET', `/v1/conversations/${conversationId}`)).json();

	test("a workflow reply reading a withheld field is not sent: the blocked message goes out and a human takes over", async () => {
		const res = await t.call('POST', `/v1/conversations/${conversationId}/replies`, { text: 'Your card ends in {{contact.custom_field.card_last4}}.' });
		expect(res.statusCode).toBe(200);
		expect(res.json().message.text).toBe(BLOCKED);
		const detail = await transcript();
		expect(detail.status).toBe('human');
		for (const m of detail.messages) expect(m.text).not.toContain('4821');
		expect(detail.timeline.find((e: any) => e.kind === 'disclosure.blocked').detail.fields).toEqual([{ field: 'custom_field.card_last4', level: 'never' }]);
	});

	test('the custom_fields spelling and a one-character value are caught the same way', async () => {
		const res = await t.call('POST', `/v1/conversations/${conversationId}/replies`, { text: 'Your pin is {{contact.custom_fields.pin}}.' });
		expect(res.json().message.text).toBe(BLOCKED);
		expect((await transcript()).messages.map((m: any) => m.text)).not.toContain('Your pin is 7.');
	});

	test('a conversation a workflow starts passes the guard too', async () => {
		const res = await t.call('POST', '/v1/conversations', { agentId: 'vault', contactId, text: 'Reminder: your balance is {{contact.custom_field.balance}}' });
		expect(res.statusCode).toBe(201);
		expect(res.json().message.text).toBe(BLOCKED);
		expect(res.json().conversation.status).toBe('human');
	});

	test('a verified contact gets the verified field from a workflow reply', async () => {
		await t.call('POST', `/v1/contacts/${contactId}/tags`, { tags: ['verified'] });
		const res = await t.call('POST', `/v1/conversations/${conversationId}/replies`, { text: 'Your balance is {{contact.custom_field.balance}}.' });
		expect(res.json().message.text).toBe('Your balance is $42.00.');
	});

	test("a first name that looks like a merge field is printed as written, never filled with another field", async () => {
		const sly = (await t.call('POST', '/v1/contacts', { firstName: '{{contact.custom_fields.pin}}', customFields: { pin: '7' } })).json();
		const answer = (await t.call('POST', '/v1/chat', { agentId: 'vault', contactId: sly.id, text: 'hello' })).json();
		expect(answer.reply.text).toMatch(/^Hello /);
		expect(answer.reply.text).not.toMatch(/\b7\b/);
		const reply = await t.call('POST', `/v1/conversations/${answer.conversation.id}/replies`, { text: 'Hi {{contact.first_name}}' });
		expect(reply.json().message.text).not.toMatch(/\b7\b/);
	});

	test('a handoff notice sent over the API passes the guard', async () => {
		const res = await t.call('POST', `/v1/conversations/${conversationId}/handoff`, { message: 'Card {{contact.custom_field.card_last4}} is blocked' });
		expect(res.statusCode).toBe(200);
		for (const m of res.json().messages) expect(m.text).not.toContain('4821');
	});
});

test('an agent whose text uses an unknown merge field spelling is refused when validated, with the path', () => {
	const result = validateAgentConfig({ id: 'typo', name: 'Typo', replies: { greeting: 'Hi {{contact.frist_name}}' } });
	expect(result.ok).toBe(false);
	expect(result.ok ? [] : result.errors).toEqual([expect.stringMatching(/^replies\.greeting: unknown merge field \{\{contact\.frist_name\}\}/)]);
});
