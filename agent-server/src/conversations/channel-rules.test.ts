// The agent's channels list is enforced (a message on another channel is refused and stores nothing), and every text
// to the contact is fitted to the conversation's channel: the turn's answer, workflow replies and outgoing events.
import { AgentConfig } from '../engine/agent-config';
import { DEFAULT_CHANNELS } from '../engine/channels';
import { buildTestApp, stubEngine, testRegistry, TEST_AGENT, type TestApp } from '../testing/harness';

const WEB_ONLY = AgentConfig.parse({ id: 'web-only', name: 'Web Only', channels: ['web'] });

let t: TestApp;
beforeEach(async () => {
	t = await buildTestApp({ agents: testRegistry([TEST_AGENT, WEB_ONLY]), engine: stubEngine() });
});
afterEach(async () => t.close());

async function counts() {
	const db = t.app.agentBridge.store.db;
	const count = async (table: 'contacts' | 'conversations' | 'messages' | 'contact_identities') =>
		Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
	return { contacts: await count('contacts'), conversations: await count('conversations'), messages: await count('messages'), identities: await count('contact_identities') };
}

async function outgoingTexts(): Promise<string[]> {
	const rows = await t.app.agentBridge.store.db.selectFrom('events').select(['envelope']).where('type', '=', 'conversation.message.outgoing').orderBy('id').execute();
	return rows.map((r) => JSON.parse(r.envelope).message.text);
}

test('an agent without a channels list talks on the API, the widget and every channel of the recipes', () => {
	expect(TEST_AGENT.channels).toEqual([...DEFAULT_CHANNELS]);
	expect(DEFAULT_CHANNELS).toEqual(['web', 'api', 'telegram', 'whatsapp', 'sms', 'email', 'slack']);
});

test('a message on a channel the agent does not list is refused with 400 and stores nothing', async () => {
	const before = await counts();
	const cases = [
		{ agentId: 'web-only', text: 'hi' },
		{ agentId: 'web-only', text: 'hi', channel: 'api' },
		{ agentId: 'web-only', text: 'hi', identity: { channel: 'telegram', address: '42' } },
		{ agentId: 'test-agent', text: 'hi', identity: { channel: 'discord', address: 'u1' } },
	];
	for (const body of cases) {
		const res = await t.call('POST', '/v1/chat', body);
		expect({ body, status: res.statusCode }).toEqual({ body, status: 400 });
		expect(res.json().message).toMatch(/does not talk on channel (api|telegram|discord); its channels are/);
	}
	expect(await counts()).toEqual(before);
	expect((await t.call('GET', '/v1/contacts?channel=telegram&address=42')).json().data).toEqual([]);
});

test("the inspector's test panel (channel test) tries any agent", async () => {
	const res = await t.call('POST', '/v1/chat', { agentId: 'web-only', text: 'hi', channel: 'test' });
	expect(res.statusCode).toBe(200);
	expect(res.json().conversation.channel).toBe('test');
});

test('a conversation a workflow starts on a channel the agent does not list is refused with 400 and stores nothing', async () => {
	const contact = (await t.call('POST', '/v1/contacts', { firstName: 'Ann' })).json();
	const before = await counts();
	const res = await t.call('POST', '/v1/conversations', { agentId: 'web-only', contactId: contact.id, channel: 'sms', text: 'Hello' });
	expect(res.statusCode).toBe(400);
	expect(res.json().message).toMatch(/agent web-only does not talk on channel sms/);
	expect(await counts()).toEqual(before);
});

test("on SMS the turn's answer, a workflow reply and its outgoing event are plain text", async () => {
	const chat = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'I want **this** one', identity: { channel: 'sms', address: '+15550100' } })).json();
	expect(chat.reply.text).toBe('You said: I want this one');
	const reply = await t.call('POST', `/v1/conversations/${chat.conversation.id}/replies`, { text: 'Book here: [our calendar](https://example.com/book)' });
	expect(reply.json().message.text).toBe('Book here: our calendar (https://example.com/book)');
	expect(await outgoingTexts()).toEqual(['Book here: our calendar (https://example.com/book)']);

	const detail = (await t.call('GET', `/v1/conversations/${chat.conversation.id}`)).json();
	expect(detail.messages.map((m: any) => m.text)).toEqual(['I want **this** one', 'You said: I want this one', 'Book here: our calendar (https://example.com/book)']);
	const formatted = detail.timeline.filter((e: any) => e.detail.channelFormat).map((e: any) => [e.kind, e.detail.channelFormat]);
	expect(formatted).toEqual([
		['message', ['markdown removed']],
		['message', ['markdown removed']],
	]);
});

test("on Telegram markdown is kept in Telegram's form; on SMS a human reply over 1,600 characters is cut before it goes out", async () => {
	const chat = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'I want **this** one', identity: { channel: 'telegram', address: '77' } })).json();
	expect(chat.reply.text).toBe('You said: I want *this* one');
	await t.call('POST', `/v1/conversations/${chat.conversation.id}/handoff`, {});
	const long = 'word '.repeat(800).trim(); // 3,999 characters: within the API's 4,000
	const human = await t.call('POST', `/v1/conversations/${chat.conversation.id}/human-replies`, { text: long });
	expect(human.statusCode).toBe(201);
	expect(human.json().message.text).toBe(long);

	const sms = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi', identity: { channel: 'sms', address: '+15550101' } })).json();
	await t.call('POST', `/v1/conversations/${sms.conversation.id}/handoff`, {});
	const cut = (await t.call('POST', `/v1/conversations/${sms.conversation.id}/human-replies`, { text: long })).json().message.text;
	expect([...cut].length).toBeLessThanOrEqual(1600);
	expect(cut.endsWith('word…')).toBe(true);
	expect((await outgoingTexts()).at(-1)).toBe(cut);
});
