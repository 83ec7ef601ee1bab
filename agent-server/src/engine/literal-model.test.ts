// The model engine against a fake that follows the prompt literally (real openai SDK over HTTP): prompt-design
// mistakes fail here. A whole lead qualification without re-asking, invented values that never land, tags by meaning,
// the rules' reply when the call fails, and a prompt whose prefix stays the same from turn to turn.
import { loadAgents } from '../agents/agent-files';
import { createModelEngine, type ModelEngineOptions } from './model';
import { createOfflineEngine } from './offline';
import type { ModelEvent } from './model-client';
import { conversationDriver } from '../testing/conversation-driver';
import { startLiteralModel, type LiteralModel, type LiteralModelOptions } from '../testing/literal-model';

const agent = loadAgents().get('lead-qualifier')!;
let fake: LiteralModel;

async function start(options: LiteralModelOptions = {}) {
	fake = await startLiteralModel(options);
	return fake;
}
afterEach(async () => {
	await fake?.close();
});

function engine(over: Partial<ModelEngineOptions> = {}) {
	return createModelEngine({ baseURL: fake.url, apiKey: 'test-key', model: 'literal', timeoutMs: 2_000, maxRetries: 0, ...over });
}

describe('the literal fake holds a lead qualification', () => {
	test('every question is asked once, never for something the contact already said', async () => {
		await start();
		const chat = conversationDriver(engine(), agent, { firstName: 'Dana' });
		const first = await chat.say('Hi, I need a new website');
		expect(first.collected).toEqual({ service_needed: 'website' });
		expect(first.reply).toBe("Hi Dana! I'm Lead Qualifier from Acme Digital. What budget do you have in mind for this project?");
		const second = await chat.say('Around $25k');
		expect(second.reply).toBe('And when would you like to get started?');
		const third = await chat.say('Within 1 month would be ideal');
		expect(third.actions.find((a) => a.actionId === 'lead_scoring')?.fired).toBe(true);
		expect(third.reply).toBe('Thanks Dana! Let me review your details — one moment.');
		chat.write({ lead_score: 8 }); // the Lead Scoring workflow answers
		const fourth = await chat.say('Sounds good, what happens next?');
		expect(fourth.reply).toBe('Great news! Let me connect you with a specialist. When works best for a quick call?');
		const fifth = await chat.say('My email is dana@example.com');
		expect(chat.collected).toEqual({ service_needed: 'website', budget: '$25,000', timeline: 'Within 1 month', email: 'dana@example.com' });
		expect(fifth.reply).toBe('Thanks, I have everything I need. Is there anything else I can help you with?');
		// No reply asked for a field that was known before its turn.
		for (const turn of chat.turns) {
			for (const field of agent.fields.filter((f) => turn.knownBefore[f.name] !== undefined)) expect(turn.outcome.reply).not.toContain(field.question);
		}
		expect(chat.turns.every((t) => t.outcome.modelCalls === 1 && !t.outcome.fallback)).toBe(true);
		expect(fake.requests).toHaveLength(5);
	});

	test('the prompt states what the message gave and what is still missing after it', async () => {
		await start();
		await engine().runTurn({
			agent,
			contact: { id: 'c', firstName: null, lastName: null, email: null, phone: null, customFields: {}, tags: [] },
			conversation: { id: 'v', channel: 'web', collected: {}, firedActions: [], turn: 1 },
			transcript: [],
			message: 'I need a new website',
		});
		const state: string = fake.requests[0].body.messages.at(-1).content;
		expect(state).toContain('The latest message already gave: service_needed = website.');
		expect(state).toContain('Still missing: budget, timeline, name (optional), email (optional).');
		expect(state).toMatch(/Say next: .*ask for budget: ".*What budget do you have in mind for this project\?"/);
		expect(state).not.toContain('What can we help you with');
	});
});

describe('grounding: an invented value never reaches a contact field or fires an action', () => {
	test('"Do you have a portfolio I can look at?" with a model that fills every field', async () => {
		await start({ invent: true });
		const chat = conversationDriver(engine(), agent);
		await chat.say('I need a website');
		const outcome = await chat.say('Do you have a portfolio I can look at?');
		expect(outcome.collected).toEqual({});
		expect(outcome.contactUpdates).toEqual({ standard: {}, custom: {} });
		expect(outcome.actions.every((a) => !a.fired)).toBe(true);
		expect(outcome.rejected).toEqual(
			expect.arrayContaining([
				{ field: 'budget', value: '$50,000', reason: 'the contact did not state this amount' },
				{ field: 'timeline', value: 'next week', reason: "no date or time in the contact's words" },
				{ field: 'name', value: 'Portfolio', reason: 'not said as a name' },
				{ field: 'email', value: 'someone@example.com', reason: 'the contact did not write this email address' },
			]),
		);
		expect(chat.contact.firstName).toBeNull();
		expect(chat.collected).toEqual({ service_needed: 'website' });
	});

	test('values the contact did say are kept, in their words', async () => {
		const fakeAnswer = { reply: 'ok', fields: { service_needed: 'app', budget: '30000', timeline: 'in two weeks', name: 'Sam Lee', email: 'SAM@EXAMPLE.COM' }, intent: null, intent_confidence: 0, sentiment: 'neutral', summary: 's', tags: [] };
		await start({ script: () => ({ content: JSON.stringify(fakeAnswer) }) });
		const outcome = await createModelEngine({ baseURL: fake.url, apiKey: 'k', model: 'm', maxRetries: 0 }).runTurn({
			agent,
			contact: { id: 'c', firstName: null, lastName: null, email: null, phone: null, customFields: {}, tags: [] },
			conversation: { id: 'v', channel: 'web', collected: {}, firedActions: [], turn: 1 },
			transcript: [],
			message: "I'm Sam Lee, we want an iOS app, about 30 thousand dollars, ideally in two weeks. sam@example.com",
		});
		expect(outcome.collected).toEqual({ service_needed: 'app', budget: '$30,000', timeline: 'in two weeks', name: 'Sam Lee', email: 'sam@example.com' });
		expect(outcome.rejected).toBeUndefined();
	});
});

describe('tag rules and intents judged by meaning in the same call', () => {
	test('"Acme is cheaper than you guys" adds competitor_aware and the agent does not just repeat its question', async () => {
		await start({ meaning: (m) => (/acme/i.test(m) ? { tags: ['competitor_aware'] } : {}) });
		const chat = conversationDriver(engine(), agent);
		await chat.say('I need a website');
		const outcome = await chat.say('Acme is cheaper than you guys');
		expect(outcome.tags).toContain('competitor_aware');
		expect(outcome.reply).toBe('Thanks, noted. What budget do you have in mind for this project?');
		expect(fake.requests).toHaveLength(2); // one call per turn judged fields, intent and tags together
		expect(fake.requests[1].body.response_format.json_schema.schema.properties.tags.items.enum).toContain('competitor_aware');
	});

	test('the offline engine matches the broader phrase lists and notes a remark it cannot use', async () => {
		const chat = conversationDriver(createOfflineEngine(), agent);
		await chat.say('I need a website');
		const outcome = await chat.say("Honestly, another company was cheaper than you");
		expect(outcome.tags).toContain('competitor_aware');
		expect(outcome.reply).toBe('Thanks, noted. What budget do you have in mind for this project?');
		const urgent = await chat.say('We need it as soon as possible, budget 10k');
		expect(urgent.tags).toContain('urgent_need');
		expect((await chat.say('My friend recommended you, you did amazing work for her')).tags).toEqual(expect.arrayContaining(['referral_lead', 'happy_customer']));
	});
});

describe('a failed model call keeps what the rules decided', () => {
	test('a handoff turn still sends the handoff message', async () => {
		await start({ script: () => ({ status: 503 }) });
		const outcome = await engine().runTurn({
			agent,
			contact: { id: 'c', firstName: 'Dana', lastName: null, email: null, phone: null, customFields: {}, tags: [] },
			conversation: { id: 'v', channel: 'web', collected: { service_needed: 'website' }, firedActions: [], turn: 2 },
			transcript: [],
			message: 'Can I talk to a real person please?',
		});
		expect(outcome.handoff).toBe('intent wants_human');
		expect(outcome.reply).toBe("Of course — I'm bringing in a member of our team. They'll reply here shortly.");
		expect(outcome.fallback).toBe('model answered HTTP 503');
	});

	test('an action turn still fires the action and sends its acknowledgement', async () => {
		await start({ script: () => ({ hang: true }) });
		const outcome = await engine({ timeoutMs: 200, turnDeadlineMs: 400 }).runTurn({
			agent,
			contact: { id: 'c', firstName: 'Dana', lastName: null, email: null, phone: null, customFields: {}, tags: [] },
			conversation: { id: 'v', channel: 'web', collected: { service_needed: 'website', budget: '$25,000' }, firedActions: [], turn: 3 },
			transcript: [{ role: 'agent', text: 'And when would you like to get started?', at: '2026-11-24T12:00:00Z' }],
			message: 'within 1 month',
		});
		expect(outcome.actions.find((a) => a.actionId === 'lead_scoring')).toMatchObject({ fired: true });
		expect(outcome.reply).toBe('Thanks Dana! Let me review your details — one moment.');
		expect(outcome.fallback).toMatch(/timed out|deadline/);
	});
});

describe('cache-friendly prompts', () => {
	test('the system prompt is identical on every turn and the transcript only grows', async () => {
		await start();
		const chat = conversationDriver(engine(), agent);
		for (const m of ['Hi, I need a new app', 'maybe 40k', 'next month', 'thanks']) await chat.say(m);
		const systems = new Set(fake.requests.map((r) => r.body.messages[0].content));
		expect(systems.size).toBe(1);
		expect([...systems][0]).not.toMatch(/Turn \d/);
		for (let i = 1; i < fake.requests.length; i++) {
			const before = fake.requests[i - 1].body.messages.slice(0, -1);
			expect(fake.requests[i].body.messages.slice(0, before.length)).toEqual(before);
		}
	});
});

describe('events for logs and metrics', () => {
	test('one request event per provider request and one fallback event per failed turn', async () => {
		await start({ script: (_b, i) => (i === 0 ? { status: 500 } : undefined) });
		const events: ModelEvent[] = [];
		const e = engine({ maxRetries: 1 });
		e.observe((ev) => events.push(ev));
		const outcome = await e.runTurn({
			agent,
			contact: { id: 'c', firstName: null, lastName: null, email: null, phone: null, customFields: {}, tags: [] },
			conversation: { id: 'v', channel: 'web', collected: {}, firedActions: [], turn: 1 },
			transcript: [],
			message: 'I need a website',
		});
		expect(outcome.modelRequests).toBe(2);
		expect(outcome.modelCalls).toBe(1);
		expect(events.map((ev) => (ev.type === 'request' ? `${ev.outcome}:${ev.status ?? ''}` : 'fallback'))).toEqual(['http_error:500', 'ok:']);
	});
});
