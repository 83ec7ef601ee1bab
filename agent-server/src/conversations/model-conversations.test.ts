// Conversations on the model engine through the fake OpenAI-compatible server: each model fault gets the fallback
// reply without corrupting the conversation, the intent confidence floor, and the model call budget.
import path from 'node:path';
import { AgentConfig } from '../engine/agent-config';
import { createModelEngine } from '../engine/model';
import { buildTestApp, testRegistry, type TestApp } from '../testing/harness';

type FakeAnswer = { content: string; delayMs?: number } | { status: number; body?: unknown; delayMs?: number } | { delayMs: number };
interface FakeOpenAI {
	url: string;
	requests: { body: any }[];
	close(): Promise<void>;
}
// The fake lives outside this package's source root; required at run time so the package type check stays inside.
const { startFakeOpenAI } = require(path.join(__dirname, '..', '..', '..', 'test', 'support', 'fake-openai')) as {
	startFakeOpenAI(options: { respond: (body: any) => FakeAnswer | Promise<FakeAnswer> }): Promise<FakeOpenAI>;
};

const AGENT = AgentConfig.parse({
	id: 'modeled',
	name: 'Modeled',
	fields: [{ name: 'budget', question: 'Budget?', mapsTo: 'custom_field.budget_range', extract: { kind: 'amount' } }],
	intents: [{ name: 'book_call', keywords: ['book'] }],
	actions: [{ id: 'on_booking', name: 'On Booking', condition: { intent: ['book_call'], minConfidence: 0.7 }, once: false }],
	replies: { fallback: 'Sorry, one moment please.' },
	ending: { maxTurns: 10 },
});
const LIMITED = AgentConfig.parse({ ...AGENT, id: 'limited', limits: { modelCallsPerConversation: 2 } });

function answer(over: Record<string, unknown> = {}): FakeAnswer {
	return {
		content: JSON.stringify({
			reply: 'Noted, thanks!',
			fields: { budget: null },
			intent: null,
			intent_confidence: 0,
			sentiment: 'neutral',
			summary: 'The contact is chatting.',
			...over,
		}),
	};
}

let fake: FakeOpenAI;
let next: () => FakeAnswer;
let t: TestApp;

beforeAll(async () => {
	fake = await startFakeOpenAI({ respond: () => next() });
});
afterAll(async () => {
	await fake.close();
});

async function app(modelBudgetPerWorkspace?: number) {
	t = await buildTestApp({
		agents: testRegistry([AGENT, LIMITED]),
		engine: createModelEngine({ baseURL: fake.url, apiKey: 'test', model: 'fake', timeoutMs: 300, maxRetries: 1 }),
		conversations: { sweepIntervalMs: 0, ...(modelBudgetPerWorkspace !== undefined ? { modelBudgetPerWorkspace } : {}) },
	});
}
beforeEach(() => {
	fake.requests.length = 0;
	next = () => answer();
});
afterEach(async () => {
	await t?.close();
});

async function say(text: string, conversationId?: string, agentId = 'modeled') {
	const res = await t.call('POST', '/v1/chat', { agentId, text, ...(conversationId ? { conversationId } : {}) });
	expect(res.statusCode).toBe(200);
	return res.json();
}
const detail = async (id: string) => (await t.call('GET', `/v1/conversations/${id}`)).json();

describe('model faults', () => {
	const faults: [string, () => FakeAnswer, RegExp, number][] = [
		['timeout', () => ({ delayMs: 1000 }), /timed out/, 2],
		['429', () => ({ status: 429 }), /HTTP 429/, 2],
		['5xx', () => ({ status: 503 }), /HTTP 503/, 2],
		['malformed output', () => ({ content: '{"reply": 42' }), /not valid JSON/, 1],
	];
	test.each(faults)('%s: the fallback reply, bounded retries, and the conversation goes on', async (_name, fault, reason, attempts) => {
		await app();
		const first = await say('hello');
		next = fault;
		const before = fake.requests.length;
		const failed = await say('my budget is $7,000', first.conversation.id);
		expect(failed.reply.text).toBe('Sorry, one moment please.');
		expect(fake.requests.length - before).toBe(attempts);
		next = () => answer({ reply: 'Back to normal.' });
		const after = await say('still there?', first.conversation.id);
		expect(after.reply.text).toBe('Back to normal.');
		const d = await detail(first.conversation.id);
		expect(d.timeline.find((e: any) => e.kind === 'engine.fallback').detail.reason).toMatch(reason);
		// Deterministic extraction still kept what the contact said; nothing else was lost.
		expect(d.collected).toEqual({ budget: '$7,000' });
		expect(d.messages).toHaveLength(6);
		expect(d.status).toBe('active');
	}, 15_000);
});

describe('intent confidence floor', () => {
	test('an intent below the floor does not fire the action; above it does', async () => {
		await app();
		next = () => answer({ intent: 'book_call', intent_confidence: 0.4 });
		const low = await say('maybe a call sometime');
		expect(low.actions[0]).toMatchObject({ fired: false, reason: 'intent book_call confidence 0.4 is below 0.7' });
		next = () => answer({ intent: 'book_call', intent_confidence: 0.9 });
		const high = await say('yes, a call please', low.conversation.id);
		expect(high.actions[0]).toMatchObject({ fired: true, reason: 'intent book_call detected' });
	});
});

describe('model budget', () => {
	test('a scripted ten-turn conversation makes at most one model call per turn and none at the end', async () => {
		await app();
		let id: string | undefined;
		const perTurn: number[] = [];
		for (let i = 1; i <= 10; i++) {
			const before = fake.requests.length;
			const r = await say(`message ${i}`, id);
			id = r.conversation.id;
			perTurn.push(fake.requests.length - before);
		}
		expect(perTurn).toEqual(Array(10).fill(1));
		const d = await detail(id!);
		expect(d.status).toBe('ended'); // maxTurns 10: the summary and outcome took no extra call
		expect(d.ending).toMatchObject({ reason: 'max_turns', summary: 'The contact is chatting.' });
		expect(d.modelCalls).toBe(10);
		expect(fake.requests).toHaveLength(10);
		expect((await t.call('GET', '/v1/budget')).json()).toEqual({ engine: 'model', modelCalls: { used: 10, limit: null, remaining: null }, modelRequests: { used: 10 } });
	});

	test('the workspace budget stops model calls with the fallback reply', async () => {
		await app(3);
		const first = await say('one');
		await say('two', first.conversation.id);
		await say('three', first.conversation.id);
		const over = await say('four, budget $2,000', first.conversation.id);
		expect(fake.requests).toHaveLength(3);
		expect(over.reply.text).toBe('Sorry, one moment please.');
		const d = await detail(first.conversation.id);
		expect(d.timeline.find((e: any) => e.kind === 'engine.fallback').detail.reason).toBe('workspace model budget of 3 calls reached');
		expect(d.collected).toEqual({ budget: '$2,000' });
		expect((await t.call('GET', '/v1/budget')).json().modelCalls).toEqual({ used: 3, limit: 3, remaining: 0 });
	});

	test('the per-conversation limit of an agent', async () => {
		await app();
		const first = await say('one', undefined, 'limited');
		await say('two', first.conversation.id, 'limited');
		const third = await say('three', first.conversation.id, 'limited');
		expect(fake.requests).toHaveLength(2);
		// Past the limit the rules answer: the next question, not the generic fallback.
		expect(third.reply.text).toBe('Budget?');
		expect((await detail(first.conversation.id)).modelCalls).toBe(2);
	});
});
