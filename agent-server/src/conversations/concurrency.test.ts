// The conversation core under concurrency, on the database the suite runs on (SQLite, or PostgreSQL in server-pg):
// a workflow's write during a slow turn survives, concurrent contact updates merge, no contact message is refused
// or lost, and a retried chat never runs its turn twice.
import { buildTestApp, stubEngine, type TestApp } from '../testing/harness';
import type { Engine, TurnInput } from '../engine/types';

/** A stub engine whose turns wait until the test releases them, so writes can land while a turn runs. */
function gatedEngine() {
	const stub = stubEngine();
	const started: TurnInput[] = [];
	let open!: () => void;
	let gate = new Promise<void>((resolve) => (open = resolve));
	const engine: Engine = {
		...stub,
		async runTurn(input) {
			started.push(input);
			await gate;
			return stub.runTurn(input);
		},
	};
	return {
		engine,
		started,
		release() {
			open();
			gate = new Promise<void>((resolve) => (open = resolve));
		},
	};
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
	const end = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 5));
	}
}

describe('the conversation core under concurrency', () => {
	let t: TestApp;
	afterEach(async () => t?.close());

	test("a workflow's field written while a turn runs survives the turn's own contact update", async () => {
		const gated = gatedEngine();
		t = await buildTestApp({ engine: gated.engine });
		const opening = t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hello' });
		await until(() => gated.started.length === 1, 'the first turn');
		gated.release();
		const first = (await opening).json();
		const { id: conversationId } = first.conversation;
		const slow = t.call('POST', '/v1/chat', { agentId: 'test-agent', conversationId, text: 'budget:5000' });
		await until(() => gated.started.length === 2, 'the second turn to start');
		const patched = await t.call('PATCH', `/v1/contacts/${first.contact.id}`, { customFields: { lead_score: 9 } });
		expect(patched.statusCode).toBe(200);
		gated.release();
		expect((await slow).statusCode).toBe(200);
		const contact = (await t.call('GET', `/v1/contacts/${first.contact.id}`)).json();
		expect(contact.customFields).toEqual({ lead_score: 9, budget_range: '5000' });
	});

	test('twenty concurrent updates of different custom fields of one contact all survive', async () => {
		t = await buildTestApp();
		const contact = (await t.call('POST', '/v1/contacts', { email: 'many@example.com' })).json();
		const answers = await Promise.all(
			Array.from({ length: 20 }, (_, i) => t.call('PATCH', `/v1/contacts/${contact.id}`, { customFields: { [`field_${i}`]: i } })),
		);
		expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(200));
		const stored = (await t.call('GET', `/v1/contacts/${contact.id}`)).json();
		expect(Object.keys(stored.customFields).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `field_${i}`).sort());
	});

	test('concurrent tag additions to one contact keep every tag', async () => {
		t = await buildTestApp();
		const contact = (await t.call('POST', '/v1/contacts', { email: 'tags@example.com' })).json();
		await Promise.all(Array.from({ length: 10 }, (_, i) => t.call('POST', `/v1/contacts/${contact.id}/tags`, { tags: [`tag_${i}`] })));
		const stored = (await t.call('GET', `/v1/contacts/${contact.id}`)).json();
		expect([...stored.tags].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `tag_${i}`).sort());
	});

	test('two messages sent at once are both stored and each gets its own answer, in order', async () => {
		const gated = gatedEngine();
		t = await buildTestApp({ engine: gated.engine });
		const opening = t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hello' });
		await until(() => gated.started.length === 1, 'the first turn');
		gated.release();
		const { id: conversationId } = (await opening).json().conversation;

		const a = t.call('POST', '/v1/chat', { agentId: 'test-agent', conversationId, text: 'first question' });
		await until(() => gated.started.length === 2, 'the turn of the first message');
		const b = t.call('POST', '/v1/chat', { agentId: 'test-agent', conversationId, text: 'second question' });
		// The second message is stored the moment it arrives, while the first turn still runs.
		let stored: { role: string; text: string }[] = [];
		const end = Date.now() + 5000;
		while (!stored.some((m) => m.text === 'second question') && Date.now() < end) {
			stored = (await t.call('GET', `/v1/conversations/${conversationId}`)).json().messages;
			await new Promise((r) => setTimeout(r, 20));
		}
		expect(stored.map((m) => m.text)).toContain('second question');
		gated.release();
		await until(() => gated.started.length === 3, 'the turn of the second message');
		gated.release();
		const [answerA, answerB] = await Promise.all([a, b]);
		expect(answerA.statusCode).toBe(200);
		expect(answerB.statusCode).toBe(200);
		expect(answerA.json().reply.text).toBe('You said: first question');
		expect(answerB.json().reply.text).toBe('You said: second question');
		const detail = (await t.call('GET', `/v1/conversations/${conversationId}`)).json();
		expect(detail.messages.map((m: { role: string; text: string }) => `${m.role}: ${m.text}`)).toEqual([
			'contact: hello',
			'agent: You said: hello',
			'contact: first question',
			'contact: second question',
			'agent: You said: first question',
			'agent: You said: second question',
		]);
		expect(detail.turns).toBe(3);
	});

	test('ten messages sent at once to one conversation are all answered, one turn each', async () => {
		t = await buildTestApp();
		const { id: conversationId } = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hello' })).json().conversation;
		const answers = await Promise.all(
			Array.from({ length: 10 }, (_, i) => t.call('POST', '/v1/chat', { agentId: 'test-agent', conversationId, text: `message ${i}` })),
		);
		expect(answers.map((a) => a.statusCode)).toEqual(Array(10).fill(200));
		expect(answers.map((a) => a.json().reply.text).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `You said: message ${i}`).sort());
		const detail = (await t.call('GET', `/v1/conversations/${conversationId}`)).json();
		expect(detail.turns).toBe(11);
		expect(detail.messages.filter((m: { role: string }) => m.role === 'contact')).toHaveLength(11);
		expect(detail.messages.filter((m: { role: string }) => m.role === 'agent')).toHaveLength(11);
	});

	test('a chat retried after a crash between its turn and its idempotency record does not run the turn again', async () => {
		const engine = stubEngine();
		t = await buildTestApp({ engine });
		const headers = { 'idempotency-key': 'crash-1' };
		const body = { agentId: 'test-agent', text: 'fire:lead_scoring please' };
		const first = await t.call('POST', '/v1/chat', body, headers);
		expect(first.statusCode).toBe(200);
		// The process died after the turn committed and before the reply was recorded against the key: the key's
		// row holds only an expired claim.
		const { db } = t.app.agentBridge.store;
		await db
			.updateTable('idempotency_keys')
			.set({ status_code: null, response_body: null, locked_until: new Date(Date.now() - 1000).toISOString() })
			.execute();
		const retry = await t.call('POST', '/v1/chat', body, headers);
		expect(retry.statusCode).toBe(200);
		expect(retry.json().reply).toEqual(first.json().reply);
		expect(retry.json().conversation.id).toBe(first.json().conversation.id);
		expect(engine.turns).toHaveLength(1);
		const detail = (await t.call('GET', `/v1/conversations/${first.json().conversation.id}`)).json();
		expect(detail.messages).toHaveLength(2);
		const fired = await db
			.selectFrom('events')
			.select('id')
			.where('conversation_id', '=', first.json().conversation.id)
			.where('type', '=', 'agent.action.triggered')
			.execute();
		expect(fired).toHaveLength(1);
	});
});

// Several instances share one PostgreSQL database: the turn lease and the row locks hold across processes' pools.
(process.env.AGENT_BRIDGE_TEST_DATABASE === 'postgres' ? describe : describe.skip)('two server instances on one PostgreSQL database', () => {
	let a: TestApp;
	let b: TestApp;
	afterEach(async () => {
		await b?.close();
		await a?.close();
	});

	/** An engine whose turns take a while, so the instances' requests overlap. */
	const slowEngine = (ms: number): Engine => {
		const stub = stubEngine();
		return { ...stub, runTurn: async (input) => (await new Promise((r) => setTimeout(r, ms)), stub.runTurn(input)) };
	};

	test('messages sent at once to one conversation through both instances are all stored and each answered once', async () => {
		a = await buildTestApp({ engine: slowEngine(30) });
		b = await buildTestApp({ ...a.database, engine: slowEngine(30) });
		const { id: conversationId } = (await a.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hello' })).json().conversation;
		const answers = await Promise.all(
			Array.from({ length: 8 }, (_, i) => (i % 2 ? b : a).call('POST', '/v1/chat', { agentId: 'test-agent', conversationId, text: `message ${i}` })),
		);
		expect(answers.map((x) => x.statusCode)).toEqual(Array(8).fill(200));
		answers.forEach((answer, i) => expect(answer.json().reply.text).toBe(`You said: message ${i}`));
		const detail = (await b.call('GET', `/v1/conversations/${conversationId}`)).json();
		expect(detail.turns).toBe(9);
		expect(detail.messages.filter((m: { role: string }) => m.role === 'agent')).toHaveLength(9);
	});

	test("a workflow's write through one instance survives a turn running on the other", async () => {
		const gated = gatedEngine();
		a = await buildTestApp({ engine: gated.engine });
		b = await buildTestApp({ ...a.database });
		const opening = a.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hello' });
		await until(() => gated.started.length === 1, 'the first turn');
		gated.release();
		const first = (await opening).json();
		const slow = a.call('POST', '/v1/chat', { agentId: 'test-agent', conversationId: first.conversation.id, text: 'budget:900' });
		await until(() => gated.started.length === 2, 'the second turn');
		expect((await b.call('PATCH', `/v1/contacts/${first.contact.id}`, { customFields: { lead_score: 7 } })).statusCode).toBe(200);
		gated.release();
		expect((await slow).statusCode).toBe(200);
		expect((await b.call('GET', `/v1/contacts/${first.contact.id}`)).json().customFields).toEqual({ lead_score: 7, budget_range: '900' });
	});
});

describe('messages that nobody waits for any more', () => {
	let t: TestApp;
	afterEach(async () => t?.close());

	test('a message queued past the wait gets 202 with where its answer appears, and is answered after the turn before it', async () => {
		const gated = gatedEngine();
		t = await buildTestApp({ engine: gated.engine, conversations: { queueWaitMs: 100 } });
		const opening = t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hello' });
		await until(() => gated.started.length === 1, 'the first turn');
		gated.release();
		const { id: conversationId } = (await opening).json().conversation;

		const a = t.call('POST', '/v1/chat', { agentId: 'test-agent', conversationId, text: 'first question' });
		await until(() => gated.started.length === 2, 'the turn of the first message');
		const b = await t.call('POST', '/v1/chat', { agentId: 'test-agent', conversationId, text: 'second question' });
		expect(b.statusCode).toBe(202);
		expect(b.json()).toMatchObject({ queued: true, conversation: { id: conversationId }, answerAt: `/v1/conversations/${conversationId}` });
		gated.release();
		expect((await a).json().reply.text).toBe('You said: first question');
		await until(() => gated.started.length === 3, 'the turn of the queued message');
		gated.release();
		let texts: string[] = [];
		const end = Date.now() + 5000;
		while (!texts.includes('You said: second question') && Date.now() < end) {
			texts = (await t.call('GET', `/v1/conversations/${conversationId}`)).json().messages.map((m: { text: string }) => m.text);
			await new Promise((r) => setTimeout(r, 20));
		}
		expect(texts.slice(-2)).toEqual(['You said: first question', 'You said: second question']);
	});

	test('a message left waiting by a crashed instance is answered by the sweeper', async () => {
		const engine = stubEngine();
		t = await buildTestApp({ engine });
		const { id: conversationId } = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hello' })).json().conversation;
		// The instance stored the message, then died before its turn: the message waits, nobody holds the conversation.
		const { db } = t.app.agentBridge.store;
		const { insertMessage } = await import('../store/conversations');
		await insertMessage(db, (await db.selectFrom('workspaces').select('id').executeTakeFirstOrThrow()).id, conversationId, {
			role: 'contact',
			source: 'api',
			text: 'are you there?',
			pending: true,
		});
		const { sweepConversations } = await import('./sweeper');
		expect((await sweepConversations(t.app.agentBridge, Date.now() + 120_000)).answered).toBe(1);
		const messages = (await t.call('GET', `/v1/conversations/${conversationId}`)).json().messages.map((m: { text: string }) => m.text);
		expect(messages.slice(-2)).toEqual(['are you there?', 'You said: are you there?']);
	});
});
