// The human inbox over the API (SQLite, and PostgreSQL under server-pg): what waits for a person comes first, one
// person claims at a time, notes stay internal, and contacts are found by name, email, phone or identity.
import { buildTestApp, type TestApp } from '../testing/harness';

let t: TestApp;
beforeAll(async () => {
	t = await buildTestApp();
});
afterAll(async () => {
	await t.close();
});

const chat = async (text: string, extra: Record<string, unknown> = {}) => (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text, ...extra })).json();

test('conversations handed to a person come first, the longest waiting on top, with how long they have waited', async () => {
	const first = await chat('I want to talk to a person');
	await t.call('POST', `/v1/conversations/${first.conversation.id}/handoff`, { reason: 'asked for a human' });
	const second = await chat('me too');
	await t.call('POST', `/v1/conversations/${second.conversation.id}/handoff`, { reason: 'asked for a human' });
	const agentOnly = await chat('just browsing');

	const inbox = (await t.call('GET', '/v1/inbox')).json();
	const ids = inbox.needsHuman.map((c: { id: string }) => c.id);
	expect(ids.indexOf(first.conversation.id)).toBeLessThan(ids.indexOf(second.conversation.id));
	expect(inbox.needsHuman[ids.indexOf(first.conversation.id)]).toMatchObject({ status: 'human', assignee: null, waitingSince: expect.any(String) });
	expect(inbox.recent.map((c: { id: string }) => c.id)).toContain(agentOnly.conversation.id);

	// Once the person answered, the conversation no longer waits; the contact's next message makes it wait again.
	await t.call('POST', `/v1/conversations/${first.conversation.id}/human-replies`, { text: 'Hi, Dana here', author: 'Dana' });
	const answered = (await t.call('GET', '/v1/inbox')).json().needsHuman.find((c: { id: string }) => c.id === first.conversation.id);
	expect(answered.waitingSince).toBeNull();
	expect((await t.call('GET', '/v1/inbox')).json().needsHuman.at(-1).id).toBe(first.conversation.id);
	await chat('thanks, one more question', { conversationId: first.conversation.id });
	const waiting = (await t.call('GET', '/v1/inbox')).json().needsHuman.find((c: { id: string }) => c.id === first.conversation.id);
	expect(waiting.waitingSince).toEqual(expect.any(String));
});

test('of two people claiming the same conversation at once exactly one gets it; the other gets 409', async () => {
	const c = await chat('hello');
	const claims = await Promise.all(
		['Dana', 'Sam', 'Lee', 'Kim'].map((assignee) => t.call('POST', `/v1/conversations/${c.conversation.id}/claim`, { assignee })),
	);
	const won = claims.filter((r) => r.statusCode === 200);
	expect(won).toHaveLength(1);
	expect(claims.filter((r) => r.statusCode === 409)).toHaveLength(3);
	const winner = won[0].json().assignee;
	expect(claims.find((r) => r.statusCode === 409)!.json().message).toContain(`claimed by ${winner}`);

	const detail = (await t.call('GET', `/v1/conversations/${c.conversation.id}`)).json();
	expect(detail).toMatchObject({ status: 'human', assignee: winner });
	// Claiming an agent's conversation hands it off once, with a conversation.handoff event.
	const events = await t.app.agentBridge.store.db.selectFrom('events').selectAll().where('conversation_id', '=', c.conversation.id).execute();
	expect(events.map((e) => e.type)).toEqual(['conversation.handoff']);
	expect(JSON.parse(events[0].envelope).handoff).toMatchObject({ reason: `claimed by ${winner}`, by: 'console', consolePath: `/console?conversation=${c.conversation.id}` });
	expect(detail.timeline.filter((e: { kind: string }) => e.kind === 'handoff.claimed')).toHaveLength(1);

	// The same person again: nothing changes. Someone else replying: 409. After hand back, another may claim.
	expect((await t.call('POST', `/v1/conversations/${c.conversation.id}/claim`, { assignee: winner })).statusCode).toBe(200);
	const other = winner === 'Dana' ? 'Sam' : 'Dana';
	expect((await t.call('POST', `/v1/conversations/${c.conversation.id}/human-replies`, { text: 'hi', author: other })).statusCode).toBe(409);
	expect((await t.call('POST', `/v1/conversations/${c.conversation.id}/human-replies`, { text: 'hi', author: winner })).statusCode).toBe(201);
	expect((await t.call('POST', `/v1/conversations/${c.conversation.id}/release`)).json()).toMatchObject({ status: 'active', assignee: null });
	expect((await t.call('POST', `/v1/conversations/${c.conversation.id}/claim`, { assignee: other })).json()).toMatchObject({ assignee: other });
});

test('a claim needs a name, and an ended conversation cannot be claimed', async () => {
	const c = await chat('hello');
	expect((await t.call('POST', `/v1/conversations/${c.conversation.id}/claim`)).statusCode).toBe(400);
	await t.call('POST', `/v1/conversations/${c.conversation.id}/end`, { outcome: 'interested' });
	expect((await t.call('POST', `/v1/conversations/${c.conversation.id}/claim`, { assignee: 'Dana' })).statusCode).toBe(409);
	expect((await t.call('POST', '/v1/conversations/conv_missing/claim', { assignee: 'Dana' })).statusCode).toBe(404);
});

test('an internal note is on the timeline only: not a message, not an event', async () => {
	const c = await chat('hello');
	const note = await t.call('POST', `/v1/conversations/${c.conversation.id}/notes`, { text: 'VIP customer, be quick', author: 'Dana' });
	expect(note.statusCode).toBe(201);
	const detail = (await t.call('GET', `/v1/conversations/${c.conversation.id}`)).json();
	expect(detail.timeline.find((e: { kind: string }) => e.kind === 'note').detail).toEqual({ text: 'VIP customer, be quick', author: 'Dana' });
	expect(detail.messages.map((m: { text: string }) => m.text)).not.toContain('VIP customer, be quick');
	const events = await t.app.agentBridge.store.db.selectFrom('events').selectAll().where('conversation_id', '=', c.conversation.id).execute();
	expect(events).toEqual([]);
	expect((await t.call('POST', `/v1/conversations/${c.conversation.id}/notes`, { text: 'x'.repeat(4001) })).statusCode).toBe(400);
	expect((await t.call('POST', `/v1/conversations/${c.conversation.id}/notes`, { text: '   ' })).statusCode).toBe(400);
});

test('contacts are found by name, email, phone or identity, any case, with a limit; past conversations are listed', async () => {
	const created = (await t.call('POST', '/v1/contacts', { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', phone: '+15550100' })).json();
	await t.call('POST', `/v1/contacts/${created.id}/identities`, { channel: 'telegram', address: 'tg_4242' });
	await t.call('POST', '/v1/contacts', { firstName: '100%_real' });
	for (const q of ['lovelace', 'ADA@EXAMPLE', '5550100', 'tg_42']) {
		const found = (await t.call('GET', `/v1/contacts/search?q=${encodeURIComponent(q)}`)).json().data;
		expect({ q, ids: found.map((c: { id: string }) => c.id) }).toEqual({ q, ids: [created.id] });
	}
	// % and _ are matched as typed, not as wildcards.
	expect((await t.call('GET', `/v1/contacts/search?q=${encodeURIComponent('0%_r')}`)).json().data).toHaveLength(1);
	expect((await t.call('GET', `/v1/contacts/search?q=${encodeURIComponent('%')}`)).json().data).toHaveLength(1);
	expect((await t.call('GET', '/v1/contacts/search?q=a&limit=51')).statusCode).toBe(400);
	expect((await t.call('GET', '/v1/contacts/search')).statusCode).toBe(400);

	const c = await chat('hello', { contactId: created.id });
	const past = (await t.call('GET', `/v1/contacts/${created.id}/conversations`)).json().data;
	expect(past.map((p: { id: string }) => p.id)).toEqual([c.conversation.id]);
	expect((await t.call('GET', '/v1/contacts/ct_missing/conversations')).statusCode).toBe(404);
});

test("with PUBLIC_URL the handoff event links to the conversation in the console on the server's public address", async () => {
	const other = await buildTestApp({ publicUrl: 'https://agents.example.com' });
	try {
		const c = (await other.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hello' })).json();
		await other.call('POST', `/v1/conversations/${c.conversation.id}/handoff`, { reason: 'a person is needed' });
		const [event] = await other.app.agentBridge.store.db.selectFrom('events').selectAll().where('conversation_id', '=', c.conversation.id).execute();
		expect(JSON.parse(event.envelope).handoff).toEqual({
			reason: 'a person is needed',
			by: 'api',
			consolePath: `/console?conversation=${c.conversation.id}`,
			consoleUrl: `https://agents.example.com/console?conversation=${c.conversation.id}`,
		});
	} finally {
		await other.close();
	}
});
