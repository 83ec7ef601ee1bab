// Workspace agents over the API: CRUD, validation with the file messages, scoping to the workspace, and agents
// created over the API chatting end to end on the offline engine.
import type { LightMyRequestResponse } from 'fastify';
import { sweepConversations } from '../conversations/sweeper';
import { createOfflineEngine } from '../engine/offline';
import { addApiKey, createWorkspace } from '../store/workspaces';
import { buildTestApp, testRegistry, type TestApp } from '../testing/harness';

const OTHER_KEY = 'ab_other_workspace_key';
const SITE = 'https://shop.example.com';
const TABLES = ['workspace_agents', 'contacts', 'conversations', 'messages', 'timeline', 'events', 'deliveries', 'widget_sessions'] as const;

/** A workspace agent as a client would send it: one field, an action on it, an inactivity timeout. */
const quoteDesk = (question = 'What email should the quote go to?') => ({
	id: 'quote-desk',
	name: 'Quote Desk',
	description: 'Collects an email and sends a quote',
	fields: [{ name: 'email', question, mapsTo: 'contact.email', extract: { kind: 'email' } }],
	actions: [{ id: 'send_quote', name: 'Send Quote', condition: { fieldsProvided: ['email'] } }],
	ending: { inactivityMinutes: 1 },
});

let t: TestApp;
let other: (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => Promise<LightMyRequestResponse>;

beforeEach(async () => {
	t = await buildTestApp({ agents: testRegistry(), engine: createOfflineEngine(), conversations: { sweepIntervalMs: 0 } });
	const db = t.app.agentBridge.store.db;
	const ws = await createWorkspace(db, 'Other');
	await addApiKey(db, ws.id, OTHER_KEY);
	other = (method, url, body) =>
		t.app.inject({ method, url, headers: { authorization: `Bearer ${OTHER_KEY}` }, ...(body !== undefined ? { payload: body as object } : {}) });
});
afterEach(() => t.close());

async function dbState() {
	const db = t.app.agentBridge.store.db;
	const out: Record<string, unknown[]> = {};
	for (const table of TABLES) out[table] = await db.selectFrom(table).selectAll().execute();
	return out;
}

/** A bad request answers in the error shape with `status` and leaves every table as it was. */
async function expectRejected(request: () => Promise<LightMyRequestResponse>, status: number, ...messages: (string | RegExp)[]) {
	const before = await dbState();
	const res = await request();
	expect(res.statusCode).toBe(status);
	const body = res.json();
	expect(body).toMatchObject({ statusCode: status, error: expect.any(String), message: expect.any(String) });
	for (const m of messages) expect(body.message).toMatch(m);
	expect(await dbState()).toEqual(before);
	return body;
}

async function create(config: object = quoteDesk()) {
	const res = await t.call('POST', '/v1/agents', config);
	expect(res.statusCode).toBe(201);
	return res.json();
}

describe('CRUD', () => {
	test('create, list, get, replace and delete a workspace agent next to the file agents', async () => {
		const created = await create();
		expect(created).toMatchObject({
			id: 'quote-desk',
			source: 'api',
			name: 'Quote Desk',
			fields: [{ name: 'email', label: 'email', mapsTo: 'contact.email' }],
			actions: [{ id: 'send_quote', name: 'Send Quote' }],
			config: quoteDesk(),
			createdAt: expect.any(String),
			updatedAt: expect.any(String),
		});

		const list = (await t.call('GET', '/v1/agents')).json().data;
		expect(list.map((a: { id: string; source: string }) => [a.id, a.source])).toEqual([
			['test-agent', 'file'],
			['other-agent', 'file'],
			['quote-desk', 'api'],
		]);
		expect((await t.call('GET', '/v1/agents/quote-desk')).json()).toEqual(created);
		expect((await t.call('GET', '/v1/agents/test-agent')).json()).toMatchObject({ id: 'test-agent', source: 'file' });

		// PUT may leave the id out: it comes from the URL.
		const { id: _id, ...withoutId } = { ...quoteDesk(), name: 'Quote Desk 2' };
		const replaced = await t.call('PUT', '/v1/agents/quote-desk', withoutId);
		expect(replaced.statusCode).toBe(200);
		expect(replaced.json()).toMatchObject({ id: 'quote-desk', source: 'api', name: 'Quote Desk 2', createdAt: created.createdAt });
		expect((await t.call('GET', '/v1/agents/quote-desk')).json().name).toBe('Quote Desk 2');

		const deleted = await t.call('DELETE', '/v1/agents/quote-desk');
		expect(deleted.statusCode).toBe(204);
		expect((await t.call('GET', '/v1/agents/quote-desk')).statusCode).toBe(404);
		expect((await t.call('GET', '/v1/agents')).json().data.map((a: { id: string }) => a.id)).toEqual(['test-agent', 'other-agent']);
		// The id is free again.
		await create();
	});

	test('an invalid config is a 400 that lists each bad path with the same messages as an agent file', async () => {
		const body = await expectRejected(
			() =>
				t.call('POST', '/v1/agents', {
					id: 'Bad Id',
					fields: [{ name: 'email', question: 'Email?', mapsTo: 'contact.mail', extract: { kind: 'email' } }],
					actions: [{ id: 'send', name: 'Send', condition: { fieldsProvided: ['nope'] } }],
				}),
			400,
			/^invalid agent config: /,
			/id: use lowercase letters, digits, "-" and "_"/,
			/name: /,
			/fields\.0\.mapsTo: must be contact\.first_name/,
		);
		expect(body.message.split('; ').length).toBeGreaterThanOrEqual(3);
		// Cross references are checked too (once the shape is right).
		await expectRejected(
			() => t.call('POST', '/v1/agents', { ...quoteDesk(), actions: [{ id: 'send', name: 'Send', condition: { fieldsProvided: ['nope'] } }] }),
			400,
			'actions.0.condition.fieldsProvided.0: unknown field "nope"',
		);
	});

	test.each([
		['no body', undefined],
		['an array', [quoteDesk()]],
		['a string', 'quote-desk'],
	])('a body that is not an object (%s) is a 400', async (_name, body) => {
		const payload = body === undefined ? undefined : JSON.stringify(body);
		await expectRejected(
			() => t.call('POST', '/v1/agents', payload, { 'content-type': 'application/json' }),
			400,
			'body: must be a JSON object (the agent config)',
		);
	});

	test('a duplicate id is a 409, and a file agent id is a 409 that says where it is defined', async () => {
		await create();
		await expectRejected(() => t.call('POST', '/v1/agents', { ...quoteDesk(), name: 'Again' }), 409, 'agent quote-desk already exists in this workspace');
		await expectRejected(
			() => t.call('POST', '/v1/agents', { ...quoteDesk(), id: 'test-agent' }),
			409,
			'agent test-agent is defined in a file; change it in version control',
		);
		expect((await t.call('GET', '/v1/agents/quote-desk')).json().name).toBe('Quote Desk');
	});

	test('file agents are read-only: PUT and DELETE are 409s', async () => {
		await expectRejected(() => t.call('PUT', '/v1/agents/test-agent', { name: 'Mine now' }), 409, 'agent test-agent is defined in a file; change it in version control');
		await expectRejected(() => t.call('DELETE', '/v1/agents/test-agent'), 409, 'defined in a file; change it in version control');
		expect((await t.call('GET', '/v1/agents/test-agent')).json().name).toBe('Test Agent');
	});

	test('an unknown id is a 404 for GET, PUT and DELETE', async () => {
		await expectRejected(() => t.call('GET', '/v1/agents/nobody'), 404, 'agent nobody not found');
		await expectRejected(() => t.call('PUT', '/v1/agents/nobody', quoteDesk()), 404, 'agent nobody not found');
		await expectRejected(() => t.call('DELETE', '/v1/agents/nobody'), 404, 'agent nobody not found');
	});

	test('a bad replacement is a 400 and keeps the stored agent', async () => {
		await create();
		await expectRejected(() => t.call('PUT', '/v1/agents/quote-desk', { ...quoteDesk(), ending: { inactivityMinutes: -1 } }), 400, 'ending.inactivityMinutes');
		await expectRejected(() => t.call('PUT', '/v1/agents/quote-desk', { ...quoteDesk(), id: 'renamed' }), 400, "id: must be quote-desk, the id in the URL");
	});

	test('an oversized body is a 413', async () => {
		await expectRejected(() => t.call('POST', '/v1/agents', { ...quoteDesk(), description: 'x'.repeat(300 * 1024) }), 413);
	});

	test("another workspace's agent answers 404 everywhere, and that workspace may use the same id", async () => {
		await create();
		await expectRejected(() => other('GET', '/v1/agents/quote-desk'), 404, 'agent quote-desk not found');
		await expectRejected(() => other('PUT', '/v1/agents/quote-desk', quoteDesk()), 404, 'agent quote-desk not found');
		await expectRejected(() => other('DELETE', '/v1/agents/quote-desk'), 404, 'agent quote-desk not found');
		await expectRejected(() => other('POST', '/v1/chat', { agentId: 'quote-desk', text: 'hello' }), 404, 'agent quote-desk not found');
		expect((await other('GET', '/v1/agents')).json().data.map((a: { id: string }) => a.id)).toEqual(['test-agent', 'other-agent']);

		const theirs = await other('POST', '/v1/agents', { ...quoteDesk('Their question?'), name: 'Their Desk' });
		expect(theirs.statusCode).toBe(201);
		expect((await other('GET', '/v1/agents/quote-desk')).json().name).toBe('Their Desk');
		expect((await t.call('GET', '/v1/agents/quote-desk')).json().name).toBe('Quote Desk');
	});
});

describe('chatting with a workspace agent', () => {
	test('chats end to end and fires its action with an event', async () => {
		await create();
		const sub = await t.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/hook', events: ['agent.action.triggered'] });
		expect(sub.statusCode).toBe(201);

		const first = await t.call('POST', '/v1/chat', { agentId: 'quote-desk', text: 'Hi, I would like a quote' });
		expect(first.statusCode).toBe(200);
		expect(first.json().reply.text).toContain('What email should the quote go to?');

		const second = await t.call('POST', '/v1/chat', { agentId: 'quote-desk', conversationId: first.json().conversation.id, text: 'dana@example.com' });
		expect(second.statusCode).toBe(200);
		const fired = second.json().actions.find((a: { actionId: string }) => a.actionId === 'send_quote');
		expect(fired).toMatchObject({ fired: true, eventId: expect.any(String) });

		const event = await t.app.agentBridge.store.db.selectFrom('events').selectAll().where('id', '=', fired.eventId).executeTakeFirstOrThrow();
		const envelope = JSON.parse(event.envelope);
		expect(envelope).toMatchObject({
			type: 'agent.action.triggered',
			agent: { id: 'quote-desk', name: 'Quote Desk' },
			action: { id: 'send_quote' },
			contact: { email: 'dana@example.com' },
		});
		expect(await t.app.agentBridge.store.db.selectFrom('deliveries').select('id').where('event_id', '=', fired.eventId).execute()).toHaveLength(1);
	});

	test("updating the agent changes the next turn's behaviour", async () => {
		await create();
		const first = await t.call('POST', '/v1/chat', { agentId: 'quote-desk', text: 'Hi there' });
		expect(first.json().reply.text).toContain('What email should the quote go to?');
		expect((await t.call('PUT', '/v1/agents/quote-desk', quoteDesk('Where can we send your quote?'))).statusCode).toBe(200);
		const next = await t.call('POST', '/v1/chat', { agentId: 'quote-desk', conversationId: first.json().conversation.id, text: 'Still here' });
		expect(next.json().reply.text).toContain('Where can we send your quote?');
		expect(next.json().reply.text).not.toContain('What email should the quote go to?');
	});

	test('after a delete its conversations stay readable and workflows may still reply; a new contact turn is a 404', async () => {
		await create();
		const first = await t.call('POST', '/v1/chat', { agentId: 'quote-desk', text: 'Hi there' });
		const conversationId = first.json().conversation.id;
		expect((await t.call('DELETE', '/v1/agents/quote-desk')).statusCode).toBe(204);

		expect((await t.call('GET', `/v1/conversations/${conversationId}`)).statusCode).toBe(200);
		expect((await t.call('POST', `/v1/conversations/${conversationId}/replies`, { text: 'We will email you.' })).statusCode).toBe(200);
		await expectRejected(() => t.call('POST', '/v1/chat', { agentId: 'quote-desk', conversationId, text: 'hello?' }), 404, 'agent quote-desk not found');
		expect((await t.call('POST', `/v1/conversations/${conversationId}/end`, {})).statusCode).toBe(200);
	});

	test("the sweeper ends a workspace agent's idle conversations after its own inactivity timeout", async () => {
		await create();
		const first = await t.call('POST', '/v1/chat', { agentId: 'quote-desk', text: 'Hi there' });
		// The file agents have no timeout: only the workspace agent's one minute can end it.
		expect(await sweepConversations(t.app.agentBridge, Date.now() + 30_000)).toEqual({ ended: 0, released: 0, answered: 0 });
		expect(await sweepConversations(t.app.agentBridge, Date.now() + 2 * 60_000)).toEqual({ ended: 1, released: 0, answered: 0 });
		expect((await t.call('GET', `/v1/conversations/${first.json().conversation.id}`)).json().status).toBe('ended');
	});

	test("the web widget serves the workspace's own agent, and not to another workspace's widget key", async () => {
		await create();
		const keyOf = async (call: typeof other) => (await call('POST', '/v1/widget-keys', { allowedOrigins: [SITE] })).json().key as string;
		const ours = await keyOf((m, u, b) => t.call(m, u, b));
		const theirs = await keyOf(other);
		const widget = (method: 'GET' | 'POST', url: string, body?: object) => t.app.inject({ method, url, headers: { origin: SITE }, ...(body ? { payload: body } : {}) });

		expect((await widget('GET', `/widget/v1/agents/quote-desk?key=${ours}`)).json()).toMatchObject({ id: 'quote-desk', name: 'Quote Desk' });
		const sent = await widget('POST', `/widget/v1/messages?key=${ours}`, { agentId: 'quote-desk', text: 'Hello' });
		expect(sent.statusCode).toBe(200);
		expect(sent.json().reply.text).toContain('What email should the quote go to?');

		expect((await widget('GET', `/widget/v1/agents/quote-desk?key=${theirs}`)).statusCode).toBe(404);
		await expectRejected(() => widget('POST', `/widget/v1/messages?key=${theirs}`, { agentId: 'quote-desk', text: 'Hello' }), 404, 'agent quote-desk');
	});
});

describe('validation', () => {
	test('lists every agent with its problems: a stored config the schema now rejects is named with each error and is not used', async () => {
		await create();
		// A config written before the schema changed: an action condition naming a field the agent does not have.
		const broken = { ...quoteDesk(), id: 'old-desk', name: 'Old Desk', actions: [{ id: 'send_quote', name: 'Send Quote', condition: { fieldsProvided: ['budget'] } }] };
		const at = new Date().toISOString();
		await t.app.agentBridge.store.db
			.insertInto('workspace_agents')
			.values({ workspace_id: (await t.call('GET', '/v1/workspace')).json().id, id: 'old-desk', config: JSON.stringify(broken), idle_minutes: null, created_at: at, updated_at: at })
			.execute();

		const { data } = (await t.call('GET', '/v1/agent-validation')).json();
		expect(data).toEqual([
			...testRegistry()
				.list()
				.map((a) => ({ agentId: a.id, name: a.name, source: 'file', inUse: true, errors: [] })),
			{ agentId: 'quote-desk', name: 'Quote Desk', source: 'api', inUse: true, errors: [] },
			{ agentId: 'old-desk', name: 'Old Desk', source: 'api', inUse: false, errors: [expect.stringMatching(/actions\.0\.condition.*budget/)] },
		]);
		expect((await t.call('GET', '/v1/agents')).json().data.map((a: { id: string }) => a.id)).not.toContain('old-desk');
		expect((await other('GET', '/v1/agent-validation')).json().data.map((a: { agentId: string }) => a.agentId)).not.toContain('quote-desk');
	});
});
