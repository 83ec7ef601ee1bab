// Every documented limit (docs/limits.md) answers a clear 4xx and changes nothing; the relay keeps its in-flight
// bounds over all destinations.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LightMyRequestResponse } from 'fastify';
import {
	AGENTS_PER_WORKSPACE,
	API_KEYS_PER_WORKSPACE,
	BODY_LIMIT_BYTES,
	CUSTOM_FIELD_VALUE_MAX_BYTES,
	CUSTOM_FIELDS_PER_CONTACT,
	EVENT_TRANSCRIPT_MESSAGES,
	MESSAGE_MAX_CHARS,
	SUBSCRIPTIONS_PER_WORKSPACE,
	TAGS_PER_CONTACT,
	TURN_TRANSCRIPT_MESSAGES,
	WIDGET_MESSAGE_MAX_CHARS,
} from '../limits';
import { addApiKey, createWorkspace } from '../store/workspaces';
import { buildTestApp, stubEngine, waitUntil, type TestApp } from '../testing/harness';

const TABLES = ['contacts', 'conversations', 'messages', 'timeline', 'events', 'deliveries', 'subscriptions', 'workspace_agents', 'widget_sessions'] as const;
const SITE = 'https://shop.example.com';

let t: TestApp;
afterEach(() => t.close());

async function dbState() {
	const db = t.app.agentBridge.store.db;
	const out: Record<string, unknown[]> = {};
	for (const table of TABLES) out[table] = await db.selectFrom(table).selectAll().execute();
	return out;
}

async function expectRefused(request: () => Promise<LightMyRequestResponse>, status: number, message: RegExp) {
	const before = await dbState();
	const res = await request();
	expect({ status: res.statusCode, message: res.json().message }).toEqual({ status, message: expect.stringMatching(message) });
	expect(await dbState()).toEqual(before);
}

const fields = (n: number, from = 0) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${from + i}`, 'x']));

describe('limits', () => {
	beforeEach(async () => {
		t = await buildTestApp({ web: { sessionsPerKeyPerHour: 3 } });
	});

	test(`a body over ${BODY_LIMIT_BYTES} bytes is a 413`, async () => {
		const contact = (await t.call('POST', '/v1/contacts', {})).json();
		await expectRefused(() => t.call('PATCH', `/v1/contacts/${contact.id}`, { customFields: { note: 'x'.repeat(BODY_LIMIT_BYTES) } }), 413, /body/i);
	});

	test(`a message over ${MESSAGE_MAX_CHARS} characters (API) or ${WIDGET_MESSAGE_MAX_CHARS} (widget) is a 400`, async () => {
		await expectRefused(() => t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'x'.repeat(MESSAGE_MAX_CHARS + 1) }), 400, /^body\/text: /);
		const key = (await t.call('POST', '/v1/widget-keys', { allowedOrigins: [SITE] })).json().key;
		await expectRefused(
			() => t.app.inject({ method: 'POST', url: `/widget/v1/messages?key=${key}`, headers: { origin: SITE }, payload: { agentId: 'other-agent', text: 'x'.repeat(WIDGET_MESSAGE_MAX_CHARS + 1) } }),
			400,
			/^body\/text: /,
		);
	});

	test(`a contact holds at most ${CUSTOM_FIELDS_PER_CONTACT} custom fields of at most ${CUSTOM_FIELD_VALUE_MAX_BYTES} bytes each`, async () => {
		const contact = (await t.call('POST', '/v1/contacts', { customFields: fields(CUSTOM_FIELDS_PER_CONTACT - 1) })).json();
		expect((await t.call('PATCH', `/v1/contacts/${contact.id}`, { customFields: { last: 1 } })).statusCode).toBe(200);
		await expectRefused(() => t.call('PATCH', `/v1/contacts/${contact.id}`, { customFields: { one_more: 1 } }), 409, /at most 100 custom fields; this change would make 101/);
		// Replacing one and removing one is fine at the limit.
		expect((await t.call('PATCH', `/v1/contacts/${contact.id}`, { customFields: { f0: null, one_more: 'y', f1: 'z' } })).statusCode).toBe(200);
		await expectRefused(() => t.call('POST', '/v1/contacts', { customFields: fields(CUSTOM_FIELDS_PER_CONTACT + 1) }), 400, /^body\/customFields: at most 100 custom fields/);
		// Bytes, not characters: 2,501 four-byte characters are 10,004 bytes.
		await expectRefused(() => t.call('PATCH', `/v1/contacts/${contact.id}`, { customFields: { f2: '😀'.repeat(2501) } }), 400, /^body\/customFields\/f2: at most 10000 bytes/);
		expect((await t.call('PATCH', `/v1/contacts/${contact.id}`, { customFields: { f2: '😀'.repeat(2500) } })).statusCode).toBe(200);
	});

	test(`a contact holds at most ${TAGS_PER_CONTACT} tags`, async () => {
		const tags = Array.from({ length: TAGS_PER_CONTACT }, (_, i) => `t${i}`);
		const contact = (await t.call('POST', '/v1/contacts', { tags: tags.slice(0, 60) })).json();
		expect((await t.call('POST', `/v1/contacts/${contact.id}/tags`, { tags: tags.slice(50) })).json().tags).toHaveLength(TAGS_PER_CONTACT);
		await expectRefused(() => t.call('POST', `/v1/contacts/${contact.id}/tags`, { tags: ['one-more'] }), 409, /at most 100 tags; this change would make 101/);
		// Tags already held are no change.
		expect((await t.call('POST', `/v1/contacts/${contact.id}/tags`, { tags: ['t1'] })).statusCode).toBe(200);
	});

	test(`a workspace holds at most ${SUBSCRIPTIONS_PER_WORKSPACE} subscriptions, counted per workspace`, async () => {
		for (let i = 0; i < SUBSCRIPTIONS_PER_WORKSPACE; i++) {
			expect((await t.call('POST', '/v1/subscriptions', { url: `http://127.0.0.1:9/hook/${i}`, events: ['contact.tag.added'] })).statusCode).toBe(201);
		}
		await expectRefused(() => t.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/hook/x', events: ['contact.tag.added'] }), 409, /at most 50 subscriptions/);
		const ws = await createWorkspace(t.app.agentBridge.store.db, 'Other');
		await addApiKey(t.app.agentBridge.store.db, ws.id, 'ab_other_workspace_key');
		const other = await t.app.inject({ method: 'POST', url: '/v1/subscriptions', headers: { authorization: 'Bearer ab_other_workspace_key' }, payload: { url: 'http://127.0.0.1:9/x', events: ['contact.tag.added'] } });
		expect(other.statusCode).toBe(201);
	});

	test('deleted subscriptions free their place: a workflow toggled on and off more than 50 times still activates', async () => {
		for (let i = 0; i < SUBSCRIPTIONS_PER_WORKSPACE + 5; i++) {
			const made = await t.call('POST', '/v1/subscriptions', { url: `http://127.0.0.1:9/hook/${i}`, events: ['contact.tag.added'] });
			expect(made.statusCode).toBe(201);
			expect((await t.call('DELETE', `/v1/subscriptions/${made.json().id}`)).statusCode).toBe(204);
		}
		expect((await t.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/hook/last', events: ['contact.tag.added'] })).statusCode).toBe(201);
	});

	test('concurrent subscriptions at the edge of the limit never overrun it', async () => {
		for (let i = 0; i < SUBSCRIPTIONS_PER_WORKSPACE - 2; i++) await t.call('POST', '/v1/subscriptions', { url: `http://127.0.0.1:9/hook/${i}`, events: ['contact.tag.added'] });
		const results = await Promise.all(
			Array.from({ length: 6 }, (_, i) => t.call('POST', '/v1/subscriptions', { url: `http://127.0.0.1:9/race/${i}`, events: ['contact.tag.added'] })),
		);
		expect(results.map((r) => r.statusCode).sort()).toEqual([201, 201, 409, 409, 409, 409]);
		expect((await t.call('GET', '/v1/subscriptions')).json().data).toHaveLength(SUBSCRIPTIONS_PER_WORKSPACE);
	});

	test(`a workspace holds at most ${AGENTS_PER_WORKSPACE} agents of its own`, async () => {
		for (let i = 0; i < AGENTS_PER_WORKSPACE; i++) expect((await t.call('POST', '/v1/agents', { id: `a${i}`, name: `A${i}` })).statusCode).toBe(201);
		await expectRefused(() => t.call('POST', '/v1/agents', { id: 'one-more', name: 'One more' }), 409, /at most 100 agents/);
	});

	test(`a workspace holds at most ${API_KEYS_PER_WORKSPACE} active API keys; a revoked one frees its place`, async () => {
		// The configured key is the first.
		const made: string[] = [];
		for (let i = 1; i < API_KEYS_PER_WORKSPACE; i++) made.push((await t.call('POST', '/v1/api-keys', { name: `k${i}`, scopes: ['nodes'] })).json().id);
		await expectRefused(() => t.call('POST', '/v1/api-keys', { name: 'one more', scopes: ['nodes'] }), 409, /at most 20 active API keys/);
		expect((await t.call('DELETE', `/v1/api-keys/${made[0]}`)).statusCode).toBe(204);
		expect((await t.call('POST', '/v1/api-keys', { name: 'one more', scopes: ['nodes'] })).statusCode).toBe(201);
	});

	test(`a turn reads the latest ${TURN_TRANSCRIPT_MESSAGES} messages, so its cost does not grow with the conversation`, async () => {
		const engine = stubEngine();
		await t.close();
		t = await buildTestApp({ engine });
		const conversationId = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'message 1' })).json().conversation.id;
		const turns = TURN_TRANSCRIPT_MESSAGES / 2 + 5;
		for (let i = 2; i <= turns; i++) expect((await t.call('POST', '/v1/chat', { agentId: 'test-agent', conversationId, text: `message ${i}` })).statusCode).toBe(200);
		const last = engine.turns.at(-1)!;
		expect(last.transcript).toHaveLength(TURN_TRANSCRIPT_MESSAGES);
		// The latest answered messages, oldest first, ending with the previous turn's reply.
		expect(last.transcript.at(-1)).toMatchObject({ role: 'agent', text: `You said: message ${turns - 1}` });
		expect(last.transcript[0]).toMatchObject({ role: 'contact', text: `message ${turns - TURN_TRANSCRIPT_MESSAGES / 2}` });
		expect(last.conversation.turn).toBe(turns);
		expect((await t.call('GET', `/v1/conversations/${conversationId}`)).json().messages).toHaveLength(turns * 2);
	});

	test(`an event carries the latest ${EVENT_TRANSCRIPT_MESSAGES} messages and says where the rest is`, async () => {
		await t.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/hook', events: ['agent.action.triggered'] });
		const first = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'message 1' })).json();
		const conversationId = first.conversation.id;
		for (let i = 2; i <= 30; i++) await t.call('POST', '/v1/chat', { agentId: 'test-agent', conversationId, text: i === 30 ? 'fire:lead_scoring' : `message ${i}` });
		const event = await t.app.agentBridge.store.db.selectFrom('events').select('envelope').executeTakeFirstOrThrow();
		const envelope = JSON.parse(event.envelope);
		expect(envelope.transcript).toHaveLength(EVENT_TRANSCRIPT_MESSAGES);
		expect(envelope.transcriptTruncated).toEqual({ total: 60, included: EVENT_TRANSCRIPT_MESSAGES, url: `/v1/conversations/${conversationId}` });
		expect(envelope.transcript[0].text).toBe('message 6');
		expect((await t.call('GET', envelope.transcriptTruncated.url)).json().messages).toHaveLength(60);
	});

	test('a widget key opens a bounded number of new chats an hour; visitors with a session go on', async () => {
		const key = (await t.call('POST', '/v1/widget-keys', { allowedOrigins: [SITE] })).json().key;
		const send = (sessionToken?: string) =>
			t.app.inject({ method: 'POST', url: `/widget/v1/messages?key=${key}`, headers: { origin: SITE }, payload: { agentId: 'other-agent', text: 'hi', ...(sessionToken ? { sessionToken } : {}) } });
		const tokens: string[] = [];
		for (let i = 0; i < 3; i++) tokens.push((await send()).json().sessionToken);
		await expectRefused(() => send(), 429, /opened its 3 new chats for this hour/);
		expect((await send(tokens[0])).statusCode).toBe(200);
	});
});

test('the relay keeps at most maxInFlight deliveries in flight over all destinations', async () => {
	let inFlight = 0;
	let peak = 0;
	const held: Array<() => void> = [];
	const slow = http.createServer((req, res) => {
		inFlight += 1;
		peak = Math.max(peak, inFlight);
		req.resume();
		held.push(() => {
			inFlight -= 1;
			res.writeHead(200).end();
		});
	});
	await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
	const { port } = slow.address() as AddressInfo;
	t = await buildTestApp({ relay: { pollIntervalMs: 20, maxInFlight: 3, maxInFlightPerUrl: 4 } });
	try {
		// Six destinations (distinct URLs), one tag: six deliveries that could all go at once.
		for (let i = 0; i < 6; i++) await t.call('POST', '/v1/subscriptions', { url: `http://127.0.0.1:${port}/hook/${i}`, events: ['contact.tag.added'] });
		const contact = (await t.call('POST', '/v1/contacts', {})).json();
		await t.call('POST', `/v1/contacts/${contact.id}/tags`, { tags: ['vip'] });
		let released = 0;
		while (released < 6) {
			await waitUntil(() => held.length > 0, 20_000, 'a held delivery');
			await new Promise((r) => setTimeout(r, 60));
			held.shift()!();
			released += 1;
		}
		const db = t.app.agentBridge.store.db;
		await waitUntil(async () => (await db.selectFrom('deliveries').selectAll().execute()).every((d) => d.status === 'delivered'));
		expect(peak).toBe(3);
	} finally {
		await new Promise<void>((r) => slow.close(() => r()));
	}
});
