import { addApiKey, createWorkspace } from '../store/workspaces';
import { buildTestApp, stubEngine, type TestApp } from '../testing/harness';

const TABLES = ['workspaces', 'api_keys', 'contacts', 'conversations', 'messages', 'timeline', 'subscriptions', 'events', 'deliveries'] as const;

/** Every row of every table: a bad request must leave this unchanged. */
async function dbState(t: TestApp) {
	const db = t.app.agentBridge.store.db;
	const out: Record<string, unknown[]> = {};
	for (const table of TABLES) out[table] = await db.selectFrom(table).selectAll().orderBy('id').execute();
	return out;
}

async function expectUnchanged(t: TestApp, request: () => Promise<{ statusCode: number; json(): any }>, status: number, message?: RegExp) {
	const before = await dbState(t);
	const res = await request();
	expect(res.statusCode).toBe(status);
	const body = res.json();
	expect(body).toMatchObject({ statusCode: status, error: expect.any(String), message: expect.any(String) });
	if (message) expect(body.message).toMatch(message);
	expect(await dbState(t)).toEqual(before);
	return body;
}

describe('HTTP API', () => {
	let t: TestApp;
	let otherKey: string;
	let other: { contactId: string; conversationId: string; subscriptionId: string };

	beforeEach(async () => {
		t = await buildTestApp();
		// A second workspace with its own objects: none of them may be visible from the first.
		const db = t.app.agentBridge.store.db;
		const ws = await createWorkspace(db, 'Other');
		otherKey = 'ab_other_workspace_key';
		await addApiKey(db, ws.id, otherKey);
		const auth = { authorization: `Bearer ${otherKey}` };
		const chat = await t.app.inject({ method: 'POST', url: '/v1/chat', headers: auth, payload: { agentId: 'test-agent', text: 'hello' } });
		const sub = await t.app.inject({
			method: 'POST',
			url: '/v1/subscriptions',
			headers: auth,
			payload: { url: 'http://127.0.0.1:9/hook', events: ['contact.tag.added'] },
		});
		other = { contactId: chat.json().contact.id, conversationId: chat.json().conversation.id, subscriptionId: sub.json().id };
	});
	afterEach(() => t.close());

	describe('auth', () => {
		it('answers /healthz without a key', async () => {
			const res = await t.app.inject({ method: 'GET', url: '/healthz' });
			expect(res.statusCode).toBe(200);
			expect(res.json()).toEqual({ status: 'ok' });
		});

		it.each([
			['no header', {}, /missing API key/],
			['wrong key', { authorization: 'Bearer nope' }, /invalid API key/],
			['not bearer', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, /missing API key/],
		])('401 with %s', async (_name, headers, message) => {
			const res = await t.app.inject({ method: 'GET', url: '/v1/workspace', headers });
			expect(res.statusCode).toBe(401);
			expect(res.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(message) });
		});

		it('resolves the key to its workspace', async () => {
			const res = await t.call('GET', '/v1/workspace');
			expect(res.statusCode).toBe(200);
			expect(res.json()).toEqual({ id: expect.stringMatching(/^ws_/), name: 'Default workspace' });
			const otherRes = await t.app.inject({ method: 'GET', url: '/v1/workspace', headers: { authorization: `Bearer ${otherKey}` } });
			expect(otherRes.json().name).toBe('Other');
		});

		it('answers who is asking on /v1/whoami: this server and its version, the workspace and the key\'s scopes', async () => {
			const res = await t.call('GET', '/v1/whoami');
			expect(res.statusCode).toBe(200);
			expect(res.json()).toEqual({
				agentBridge: { version: expect.stringMatching(/^\d+\.\d+\.\d+/) },
				workspace: { id: expect.stringMatching(/^ws_/), name: 'Default workspace' },
				scopes: ['admin'],
			});
		});

		it('stores keys hashed', async () => {
			const keys = await t.app.agentBridge.store.db.selectFrom('api_keys').selectAll().execute();
			expect(JSON.stringify(keys)).not.toContain(t.apiKey);
			expect(keys[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
		});
	});

	describe('agents', () => {
		it('lists and gets agents', async () => {
			const list = await t.call('GET', '/v1/agents');
			expect(list.statusCode).toBe(200);
			expect(list.json().data.map((a: { id: string }) => a.id)).toEqual(['test-agent', 'other-agent']);
			const one = await t.call('GET', '/v1/agents/test-agent');
			expect(one.json()).toEqual({
				id: 'test-agent',
				source: 'file',
				name: 'Test Agent',
				description: 'An agent for tests',
				channels: ['web', 'api', 'telegram', 'whatsapp', 'sms', 'email', 'slack'],
				fields: [
					{ name: 'budget', label: 'budget', mapsTo: 'custom_field.budget_range' },
					{ name: 'email', label: 'email', mapsTo: 'contact.email' },
				],
				intents: ['book_call'],
				actions: [
					{ id: 'lead_scoring', name: 'Lead Scoring', description: '' },
					{ id: 'booked', name: 'Booked', description: '' },
				],
				tags: ['interested_pricing'],
				outcomes: ['booked', 'interested', 'browsing', 'negative'],
			});
		});

		it('404 for an unknown agent', async () => {
			const res = await t.call('GET', '/v1/agents/nope');
			expect(res.statusCode).toBe(404);
			expect(res.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'agent nope not found' });
		});
	});

	describe('chat', () => {
		it('starts a conversation with a new contact, then continues it', async () => {
			const first = await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi budget:$5000 fire:lead_scoring', contact: { firstName: 'Dana' } });
			expect(first.statusCode).toBe(200);
			const body = first.json();
			expect(body).toEqual({
				conversation: { id: expect.stringMatching(/^conv_/), status: 'active', channel: 'api' },
				contact: { id: expect.stringMatching(/^ct_/) },
				message: { id: expect.stringMatching(/^msg_/) },
				reply: { id: expect.stringMatching(/^msg_/), text: 'You said: hi budget:$5000 fire:lead_scoring' },
				actions: [
					{ actionId: 'lead_scoring', name: 'Lead Scoring', fired: true, reason: 'asked for lead_scoring', eventId: expect.stringMatching(/^evt_/) },
					{ actionId: 'booked', name: 'Booked', fired: false, reason: 'no fire:booked' },
				],
			});

			const second = await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'email:dana@example.com', conversationId: body.conversation.id });
			expect(second.statusCode).toBe(200);
			expect(second.json().contact.id).toBe(body.contact.id);

			const engine = t.app.agentBridge.engine as ReturnType<typeof stubEngine>;
			const turn2 = engine.turns[engine.turns.length - 1];
			expect(turn2.conversation).toMatchObject({ turn: 2, collected: { budget: '$5000' }, firedActions: ['lead_scoring'] });
			expect(turn2.transcript.map((m) => m.role)).toEqual(['contact', 'agent']);
			expect(turn2.contact).toMatchObject({ firstName: 'Dana', customFields: { budget_range: '$5000' } });

			const contact = await t.call('GET', `/v1/contacts/${body.contact.id}`);
			expect(contact.json()).toMatchObject({ firstName: 'Dana', email: 'dana@example.com', customFields: { budget_range: '$5000' }, tags: [] });

			const conv = (await t.call('GET', `/v1/conversations/${body.conversation.id}`)).json();
			expect(conv).toMatchObject({ id: body.conversation.id, agentId: 'test-agent', contactId: body.contact.id, channel: 'api', status: 'active', collected: { budget: '$5000' } });
			expect(conv.messages.map((m: { role: string; source: string }) => `${m.role}/${m.source}`)).toEqual([
				'contact/api',
				'agent/engine',
				'contact/api',
				'agent/engine',
			]);
			expect(conv.timeline.map((e: { kind: string }) => e.kind)).toEqual([
				'message',
				'fields.updated',
				'action.fired',
				'action.not_fired',
				'message',
				'message',
				'fields.updated',
				'action.not_fired',
				'action.not_fired',
				'message',
			]);
			expect(conv.timeline[2].detail).toMatchObject({ actionId: 'lead_scoring', reason: 'asked for lead_scoring', eventId: body.actions[0].eventId });

			const event = await t.app.agentBridge.store.db.selectFrom('events').selectAll().where('id', '=', body.actions[0].eventId).executeTakeFirstOrThrow();
			const envelope = JSON.parse(event.envelope);
			expect(envelope).toMatchObject({
				id: body.actions[0].eventId,
				type: 'agent.action.triggered',
				version: 1,
				causation: { depth: 0, parentEventId: null },
				agent: { id: 'test-agent', name: 'Test Agent' },
				conversation: { id: body.conversation.id, channel: 'api', status: 'active' },
				contact: { id: body.contact.id, firstName: 'Dana', customFields: { budget_range: '$5000' }, tags: [] },
				action: { id: 'lead_scoring', name: 'Lead Scoring', condition: 'asked for lead_scoring' },
				collected: { budget: '$5000' },
				summary: 'turn 1',
				sentiment: 'neutral',
				variables: {},
			});
			expect(envelope.transcript).toHaveLength(2);
		});

		it('uses an existing contact and carries the causation depth', async () => {
			const first = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring', channel: 'web' })).json();
			const parentId = first.actions[0].eventId;
			const res = await t.call(
				'POST',
				'/v1/chat',
				{ agentId: 'test-agent', text: 'fire:lead_scoring again', contactId: first.contact.id },
				{ 'x-agent-bridge-causation': parentId },
			);
			expect(res.statusCode).toBe(200);
			expect(res.json().contact.id).toBe(first.contact.id);
			expect(res.json().conversation.id).not.toBe(first.conversation.id);
			const event = await t.app.agentBridge.store.db.selectFrom('events').selectAll().where('id', '=', res.json().actions[0].eventId).executeTakeFirstOrThrow();
			expect(JSON.parse(event.envelope).causation).toEqual({ depth: 1, parentEventId: parentId });
		});

		it('stops a chain past the causation limit and says why on the timeline', async () => {
			await t.close();
			t = await buildTestApp({ maxCausationDepth: 1 });
			let parent: string | undefined;
			let last: any;
			for (let i = 0; i < 3; i++) {
				const res = await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' }, parent ? { 'x-agent-bridge-causation': parent } : {});
				last = res.json();
				parent = last.actions[0].eventId ?? parent;
			}
			expect(last.actions[0]).toMatchObject({ fired: false, reason: expect.stringMatching(/causation depth 2 is past the limit of 1/) });
			const conv = (await t.call('GET', `/v1/conversations/${last.conversation.id}`)).json();
			expect(conv.timeline.map((e: { kind: string }) => e.kind)).toContain('loop.blocked');
		});

		it('answers with a fallback when the engine fails', async () => {
			await t.close();
			t = await buildTestApp({ engine: stubEngine({ runTurn: () => Promise.reject(new Error('model down')) }) });
			const res = await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hello' });
			expect(res.statusCode).toBe(200);
			// The rules still answer the turn: the agent asks its next question instead of a generic apology.
			expect(res.json().reply.text).toMatch(/Budget\?$/);
			const conv = (await t.call('GET', `/v1/conversations/${res.json().conversation.id}`)).json();
			expect(conv.timeline.find((e: { kind: string }) => e.kind === 'engine.failed').detail).toMatchObject({ error: 'model down' });
		});

		it.each([
			['missing text', { agentId: 'test-agent' }, 400, /body\/text: is required/],
			['missing agentId', { text: 'hi' }, 400, /body\/agentId: is required/],
			['wrong type', { agentId: 'test-agent', text: 5 }, 400, /body\/text/],
			['empty text', { agentId: 'test-agent', text: '' }, 400, /body\/text/],
			['blank text', { agentId: 'test-agent', text: '   ' }, 400, /blank/],
			['too long text', { agentId: 'test-agent', text: 'x'.repeat(4001) }, 400, /body\/text/],
			['unknown key', { agentId: 'test-agent', text: 'hi', extra: 1 }, 400, /Unrecognized key/],
			['unknown contact key', { agentId: 'test-agent', text: 'hi', contact: { nickname: 'x' } }, 400, /body\/contact/],
			['unknown agent', { agentId: 'nope', text: 'hi' }, 404, /agent nope not found/],
			['unknown conversation', { agentId: 'test-agent', text: 'hi', conversationId: 'conv_nope' }, 404, /conversation conv_nope/],
			['unknown contact', { agentId: 'test-agent', text: 'hi', contactId: 'ct_nope' }, 404, /contact ct_nope/],
		])('rejects %s and changes nothing', async (_name, body, status, message) => {
			await expectUnchanged(t, () => t.call('POST', '/v1/chat', body), status, message);
		});

		it("treats another workspace's ids as unknown", async () => {
			await expectUnchanged(t, () => t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi', conversationId: other.conversationId }), 404);
			await expectUnchanged(t, () => t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi', contactId: other.contactId }), 404);
		});

		it('rejects a conversation of another agent', async () => {
			const first = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' })).json();
			await expectUnchanged(t, () => t.call('POST', '/v1/chat', { agentId: 'other-agent', text: 'hi', conversationId: first.conversation.id }), 400, /belongs to agent test-agent/);
		});

		it('413 for a body over 256 KB, 400 for broken JSON', async () => {
			await expectUnchanged(t, () => t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'x'.repeat(300 * 1024) }), 413);
			await expectUnchanged(
				t,
				() => t.call('POST', '/v1/chat', '{"agentId": ', { 'content-type': 'application/json' }),
				400,
			);
		});
	});

	describe('conversations', () => {
		it('404 for unknown and foreign conversations', async () => {
			expect((await t.call('GET', '/v1/conversations/conv_nope')).statusCode).toBe(404);
			expect((await t.call('GET', `/v1/conversations/${other.conversationId}`)).statusCode).toBe(404);
		});

		it('posts a workflow reply with merge fields filled in', async () => {
			const first = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring', contact: { firstName: 'Dana' } })).json();
			await t.call('PATCH', `/v1/contacts/${first.contact.id}`, { customFields: { lead_score: 9 } });
			const res = await t.call(
				'POST',
				`/v1/conversations/${first.conversation.id}/replies`,
				{ text: 'Great news {{contact.first_name}}, your score is {{contact.custom_field.lead_score}}!' },
				{ 'x-agent-bridge-causation': first.actions[0].eventId },
			);
			expect(res.statusCode).toBe(200);
			expect(res.json().message).toEqual({
				id: expect.stringMatching(/^msg_/),
				role: 'agent',
				source: 'workflow',
				text: 'Great news Dana, your score is 9!',
				createdAt: expect.any(String),
			});
			const conv = (await t.call('GET', `/v1/conversations/${first.conversation.id}`)).json();
			expect(conv.messages[conv.messages.length - 1].text).toBe('Great news Dana, your score is 9!');
			expect(conv.timeline[conv.timeline.length - 1]).toMatchObject({ kind: 'workflow.reply' });
		});

		it('rejects bad replies and changes nothing', async () => {
			const first = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' })).json();
			const url = `/v1/conversations/${first.conversation.id}/replies`;
			await expectUnchanged(t, () => t.call('POST', url, {}), 400, /exactly one of text and instructions/);
			await expectUnchanged(t, () => t.call('POST', url, { text: 'a', instructions: 'b' }), 400, /exactly one/);
			await expectUnchanged(t, () => t.call('POST', url, { text: 'a', onlyIfNoReplySince: 'yesterday' }), 400, /onlyIfNoReplySince/);
			await expectUnchanged(t, () => t.call('POST', url, { text: 1 }), 400);
			await expectUnchanged(t, () => t.call('POST', url, { text: 'hi', foo: 1 }), 400, /Unrecognized key/);
			await expectUnchanged(t, () => t.call('POST', '/v1/conversations/conv_nope/replies', { text: 'hi' }), 404);
			await expectUnchanged(t, () => t.call('POST', `/v1/conversations/${other.conversationId}/replies`, { text: 'hi' }), 404);
		});
	});

	describe('contacts', () => {
		let contactId: string;
		let conversationId: string;
		beforeEach(async () => {
			const first = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi', contact: { firstName: 'Dana', email: 'd@example.com' } })).json();
			contactId = first.contact.id;
			conversationId = first.conversation.id;
		});

		it('gets a contact', async () => {
			const res = await t.call('GET', `/v1/contacts/${contactId}`);
			expect(res.json()).toEqual({
				id: contactId,
				firstName: 'Dana',
				lastName: null,
				email: 'd@example.com',
				phone: null,
				customFields: {},
				tags: [],
				createdAt: expect.any(String),
				updatedAt: expect.any(String),
			});
		});

		it('patches standard fields and merges custom fields (null removes)', async () => {
			await t.call('PATCH', `/v1/contacts/${contactId}`, { customFields: { a: 'x', b: 2 } });
			const res = await t.call('PATCH', `/v1/contacts/${contactId}`, { lastName: 'Smith', customFields: { b: null, c: true } });
			expect(res.statusCode).toBe(200);
			expect(res.json()).toMatchObject({ firstName: 'Dana', lastName: 'Smith', customFields: { a: 'x', c: true } });
			expect(res.json().customFields).not.toHaveProperty('b');
			const conv = (await t.call('GET', `/v1/conversations/${conversationId}`)).json();
			expect(conv.timeline.filter((e: { kind: string }) => e.kind === 'fields.updated')).toHaveLength(2);
		});

		it('rejects bad patches and changes nothing', async () => {
			const url = `/v1/contacts/${contactId}`;
			await expectUnchanged(t, () => t.call('PATCH', url, { firstName: 5 }), 400, /body\/firstName/);
			await expectUnchanged(t, () => t.call('PATCH', url, { nickname: 'x' }), 400, /Unrecognized key/);
			await expectUnchanged(t, () => t.call('PATCH', url, { customFields: { a: { nested: 1 } } }), 400, /body\/customFields\/a/);
			await expectUnchanged(t, () => t.call('PATCH', url, { customFields: 'x' }), 400);
			await expectUnchanged(t, () => t.call('PATCH', '/v1/contacts/ct_nope', { firstName: 'x' }), 404);
			await expectUnchanged(t, () => t.call('PATCH', `/v1/contacts/${other.contactId}`, { firstName: 'x' }), 404);
			expect((await t.call('GET', `/v1/contacts/${other.contactId}`)).statusCode).toBe(404);
		});

		it('adds tags (with contact.tag.added events) and removes them', async () => {
			const sub = (await t.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/h', events: ['contact.tag.added'] })).json();
			const res = await t.call('POST', `/v1/contacts/${contactId}/tags`, { tags: ['hot_lead', 'vip', 'hot_lead'] });
			expect(res.statusCode).toBe(200);
			expect(res.json().tags).toEqual(['hot_lead', 'vip']);
			// Adding an existing tag again emits nothing.
			await t.call('POST', `/v1/contacts/${contactId}/tags`, { tags: ['vip'] });
			const db = t.app.agentBridge.store.db;
			const ws = (await t.call('GET', '/v1/workspace')).json().id;
			const events = await db.selectFrom('events').selectAll().where('workspace_id', '=', ws).where('type', '=', 'contact.tag.added').orderBy('id').execute();
			expect(events.map((e) => JSON.parse(e.envelope))).toEqual([
				expect.objectContaining({ tag: 'hot_lead', addedBy: 'api', agent: { id: 'test-agent', name: 'Test Agent' }, conversation: expect.objectContaining({ id: conversationId }) }),
				expect.objectContaining({ tag: 'vip', addedBy: 'api' }),
			]);
			const deliveries = await db.selectFrom('deliveries').selectAll().where('subscription_id', '=', sub.id).execute();
			expect(deliveries).toHaveLength(2);

			const removed = await t.call('DELETE', `/v1/contacts/${contactId}/tags/vip`);
			expect(removed.json().tags).toEqual(['hot_lead']);
			expect((await t.call('DELETE', `/v1/contacts/${contactId}/tags/not_there`)).json().tags).toEqual(['hot_lead']);
		});

		it('marks tags added by a workflow', async () => {
			const chat = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring', conversationId })).json();
			await t.call('POST', `/v1/contacts/${contactId}/tags`, { tags: ['hot_lead'] }, { 'x-agent-bridge-causation': chat.actions[0].eventId });
			const event = await t.app.agentBridge.store.db.selectFrom('events').selectAll().where('type', '=', 'contact.tag.added').executeTakeFirstOrThrow();
			expect(JSON.parse(event.envelope)).toMatchObject({ addedBy: 'workflow', causation: { depth: 1, parentEventId: chat.actions[0].eventId } });
		});

		it('rejects bad tag requests and changes nothing', async () => {
			const url = `/v1/contacts/${contactId}/tags`;
			await expectUnchanged(t, () => t.call('POST', url, {}), 400, /body\/tags: is required/);
			await expectUnchanged(t, () => t.call('POST', url, { tags: [] }), 400);
			await expectUnchanged(t, () => t.call('POST', url, { tags: 'hot' }), 400);
			await expectUnchanged(t, () => t.call('POST', url, { tags: [' hot'] }), 400);
			await expectUnchanged(t, () => t.call('POST', url, { tags: ['a'], x: 1 }), 400);
			await expectUnchanged(t, () => t.call('POST', `/v1/contacts/${other.contactId}/tags`, { tags: ['a'] }), 404);
			await expectUnchanged(t, () => t.call('DELETE', `/v1/contacts/${other.contactId}/tags/a`), 404);
		});

		it('scores a lead and optionally writes the score', async () => {
			const res = await t.call('POST', `/v1/contacts/${contactId}/score`, { rubric: 'budget over $10k', writeToField: 'lead_score' });
			expect(res.statusCode).toBe(200);
			expect(res.json()).toEqual({ contactId, score: 8, rationale: 'budget and timeline given', confidence: 0.75 });
			expect((await t.call('GET', `/v1/contacts/${contactId}`)).json().customFields).toEqual({ lead_score: 8 });
			const bare = await t.call('POST', `/v1/contacts/${contactId}/score`);
			expect(bare.statusCode).toBe(200);
		});

		it('rejects bad score requests and changes nothing', async () => {
			const url = `/v1/contacts/${contactId}/score`;
			await expectUnchanged(t, () => t.call('POST', url, { rubric: 5 }), 400);
			await expectUnchanged(t, () => t.call('POST', url, { writeToField: 'bad field' }), 400);
			await expectUnchanged(t, () => t.call('POST', url, { other: 1 }), 400);
			await expectUnchanged(t, () => t.call('POST', url, { conversationId: 'conv_nope' }), 404);
			await expectUnchanged(t, () => t.call('POST', url, { conversationId: other.conversationId, writeToField: 'x' }), 404);
			await expectUnchanged(t, () => t.call('POST', `/v1/contacts/${other.contactId}/score`, { writeToField: 'x' }), 404);
		});
	});

	describe('subscriptions', () => {
		it('creates (secret shown once), lists, gets and deletes', async () => {
			const created = await t.call('POST', '/v1/subscriptions', {
				url: 'https://n8n.example.com/webhook/abc',
				events: ['agent.action.triggered'],
				filters: { agentId: 'test-agent', actionId: 'lead_scoring' },
			});
			expect(created.statusCode).toBe(201);
			const sub = created.json();
			expect(sub).toEqual({
				id: expect.stringMatching(/^sub_/),
				url: 'https://n8n.example.com/webhook/abc',
				events: ['agent.action.triggered'],
				filters: { agentId: 'test-agent', actionId: 'lead_scoring' },
				secret: expect.stringMatching(/^whsec_/),
				createdAt: expect.any(String),
			});
			expect(Buffer.from(sub.secret.slice(6), 'base64')).toHaveLength(32);

			const list = (await t.call('GET', '/v1/subscriptions')).json();
			expect(list.data).toEqual([{ id: sub.id, url: sub.url, events: sub.events, filters: sub.filters, createdAt: sub.createdAt }]);
			const one = (await t.call('GET', `/v1/subscriptions/${sub.id}`)).json();
			expect(one).not.toHaveProperty('secret');

			const del = await t.call('DELETE', `/v1/subscriptions/${sub.id}`);
			expect(del.statusCode).toBe(204);
			expect((await t.call('GET', `/v1/subscriptions/${sub.id}`)).statusCode).toBe(404);
			expect((await t.call('GET', '/v1/subscriptions')).json().data).toEqual([]);
			expect((await t.call('DELETE', `/v1/subscriptions/${sub.id}`)).statusCode).toBe(404);
		});

		it('accepts a DELETE with a JSON content type and no body', async () => {
			const sub = (await t.call('POST', '/v1/subscriptions', { url: 'http://localhost:5678/webhook/x', events: ['contact.tag.added'] })).json();
			const res = await t.app.inject({ method: 'DELETE', url: `/v1/subscriptions/${sub.id}`, headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' } });
			expect(res.statusCode).toBe(204);
		});

		it.each([
			['missing url', { events: ['contact.tag.added'] }, /body\/url: is required/],
			['bad url', { url: 'not a url', events: ['contact.tag.added'] }, /body\/url/],
			['ftp url', { url: 'ftp://example.com/x', events: ['contact.tag.added'] }, /body\/url/],
			['metadata host', { url: 'http://169.254.169.254/latest', events: ['contact.tag.added'] }, /metadata/],
			['unknown event', { url: 'http://example.com/x', events: ['contact.deleted'] }, /body\/events\/0/],
			['no events', { url: 'http://example.com/x', events: [] }, /body\/events/],
			['unknown filter', { url: 'http://example.com/x', events: ['contact.tag.added'], filters: { color: 'red' } }, /Unrecognized key/],
			['unknown key', { url: 'http://example.com/x', events: ['contact.tag.added'], secret: 'whsec_x' }, /Unrecognized key/],
		])('rejects %s and changes nothing', async (_name, body, message) => {
			await expectUnchanged(t, () => t.call('POST', '/v1/subscriptions', body), 400, message);
		});

		it("hides another workspace's subscriptions", async () => {
			expect((await t.call('GET', '/v1/subscriptions')).json().data).toEqual([]);
			await expectUnchanged(t, () => t.call('GET', `/v1/subscriptions/${other.subscriptionId}`), 404);
			await expectUnchanged(t, () => t.call('DELETE', `/v1/subscriptions/${other.subscriptionId}`), 404);
		});
	});

	it('answers unknown routes with 404 in the error shape', async () => {
		const res = await t.call('GET', '/v1/nope');
		expect(res.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'Route GET /v1/nope not found' });
	});

	describe('additions for the complete node set', () => {
		it('finds contacts by email or phone, and creates contacts', async () => {
			const created = await t.call('POST', '/v1/contacts', { firstName: 'Lee', email: 'lee@example.com', customFields: { plan: 'pro' }, tags: ['vip'] });
			expect(created.statusCode).toBe(201);
			expect(created.json()).toMatchObject({ id: expect.stringMatching(/^ct_/), firstName: 'Lee', customFields: { plan: 'pro' }, tags: ['vip'] });
			const found = await t.call('GET', '/v1/contacts?email=lee@example.com');
			expect(found.json().data.map((c: { id: string }) => c.id)).toEqual([created.json().id]);
			expect((await t.call('GET', '/v1/contacts?phone=123')).json().data).toEqual([]);
			await expectUnchanged(t, () => t.call('GET', '/v1/contacts'), 400, /email or phone/);
			await expectUnchanged(t, () => t.call('GET', '/v1/contacts?name=x'), 400);
			await expectUnchanged(t, () => t.call('POST', '/v1/contacts', { nickname: 'x' }), 400, /Unrecognized key/);
		});

		it('starts a conversation for a contact with a text message', async () => {
			const contact = (await t.call('POST', '/v1/contacts', { firstName: 'Lee' })).json();
			const res = await t.call('POST', '/v1/conversations', { agentId: 'test-agent', contactId: contact.id, channel: 'web', text: 'Hi {{contact.first_name}}, still interested?' });
			expect(res.statusCode).toBe(201);
			expect(res.json()).toMatchObject({
				conversation: { id: expect.stringMatching(/^conv_/), status: 'active', channel: 'web' },
				message: { role: 'agent', source: 'api', text: 'Hi Lee, still interested?' },
			});
			await expectUnchanged(t, () => t.call('POST', '/v1/conversations', { agentId: 'test-agent', contactId: contact.id }), 400, /exactly one/);
			await expectUnchanged(t, () => t.call('POST', '/v1/conversations', { agentId: 'test-agent', contactId: other.contactId, text: 'x' }), 404);
			await expectUnchanged(t, () => t.call('POST', '/v1/conversations', { agentId: 'nope', contactId: contact.id, text: 'x' }), 404);
		});

		it('skips a reply when the contact wrote since, or a human handles it', async () => {
			const since = new Date(Date.now() - 1000).toISOString();
			const first = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' })).json();
			const url = `/v1/conversations/${first.conversation.id}/replies`;
			const skipped = await t.call('POST', url, { text: 'Still there?', onlyIfNoReplySince: since });
			expect(skipped.json()).toEqual({ skipped: true, reason: expect.stringMatching(/the contact wrote/) });
			const sent = await t.call('POST', url, { text: 'Still there?', onlyIfNoReplySince: new Date(Date.now() + 1000).toISOString(), skipIfHuman: true });
			expect(sent.json().message.text).toBe('Still there?');
		});

		it('filters subscriptions by tags and addedBy, and sends a test event', async () => {
			const sub = (await t.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/t', events: ['contact.tag.added'], filters: { tags: ['hot_lead'], addedBy: 'api' }, sendTestEvent: true })).json();
			const db = t.app.agentBridge.store.db;
			// No real event yet: the example goes out.
			const first = await db.selectFrom('deliveries').innerJoin('events', 'events.id', 'deliveries.event_id').select(['events.envelope']).where('subscription_id', '=', sub.id).execute();
			expect(first).toHaveLength(1);
			expect(JSON.parse(first[0].envelope)).toMatchObject({ type: 'contact.tag.added', example: true });
			const contact = (await t.call('POST', '/v1/contacts', { firstName: 'Lee' })).json();
			await t.call('POST', `/v1/contacts/${contact.id}/tags`, { tags: ['cold', 'hot_lead'] });
			const rows = await db.selectFrom('deliveries').innerJoin('events', 'events.id', 'deliveries.event_id').select(['events.envelope']).where('subscription_id', '=', sub.id).execute();
			expect(rows.map((r) => JSON.parse(r.envelope).tag)).toEqual(['hot_lead', 'hot_lead']);
			const example = await t.call('GET', '/v1/events/examples/agent.action.triggered');
			expect(example.json()).toMatchObject({ type: 'agent.action.triggered', version: 1, action: { id: 'lead_scoring' } });
			expect((await t.call('GET', '/v1/events/examples/nope')).statusCode).toBe(400);
		});
	});
});
