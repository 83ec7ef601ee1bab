// A workflow's instructions become a message in the agent's persona: one model call on the model engine (counted,
// budgeted, never shown withheld fields), nothing sent when the model fails, and the instructions as written on the
// offline engine.
import path from 'node:path';
import { AgentConfig } from '../engine/agent-config';
import { createModelEngine } from '../engine/model';
import { createOfflineEngine } from '../engine/offline';
import { buildTestApp, testRegistry, type TestApp } from '../testing/harness';

type FakeAnswer = { content: string } | { status: number; body?: unknown };
interface FakeOpenAI {
	url: string;
	requests: { body: any }[];
	close(): Promise<void>;
}
// The fake lives outside this package's source root; required at run time so the package type check stays inside.
const { startFakeOpenAI } = require(path.join(__dirname, '..', '..', '..', 'test', 'support', 'fake-openai')) as {
	startFakeOpenAI(options: { respond: (body: any) => FakeAnswer }): Promise<FakeOpenAI>;
};

const AGENT = AgentConfig.parse({
	id: 'concierge',
	name: 'Concierge',
	persona: 'Warm and brief.',
	replies: { greeting: 'Hello!' },
	disclosure: { fields: [{ field: 'custom_field.card_last4', level: 'never' }] },
});

let fake: FakeOpenAI;
let next: () => FakeAnswer;
let t: TestApp;
beforeAll(async () => {
	fake = await startFakeOpenAI({ respond: () => next() });
});
afterAll(() => fake.close());
afterEach(() => t.close());

async function setUp(engine: 'model' | 'offline', modelBudgetPerWorkspace?: number) {
	t = await buildTestApp({
		agents: testRegistry([AGENT]),
		engine: engine === 'model' ? createModelEngine({ baseURL: fake.url, apiKey: 'test', model: 'fake', timeoutMs: 500, maxRetries: 0 }) : createOfflineEngine(),
		conversations: { sweepIntervalMs: 0, ...(modelBudgetPerWorkspace !== undefined ? { modelBudgetPerWorkspace } : {}) },
	});
	const contact = (await t.call('POST', '/v1/contacts', { firstName: 'Robin', customFields: { card_last4: '4242', plan: 'Pro' } })).json();
	return contact.id as string;
}
const instructions = 'Ask whether they are still interested and mention the booking link.';

test('model engine: one call writes the message; merge fields filled; withheld fields never reach the model', async () => {
	const contactId = await setUp('model');
	next = () => ({ content: JSON.stringify({ message: 'Hi {{contact.first_name}}! Still keen on a call? Book any time.' }) });
	const res = await t.call('POST', '/v1/conversations', { agentId: 'concierge', contactId, instructions });
	expect(res.statusCode).toBe(201);
	expect(res.json().message.text).toBe('Hi Robin! Still keen on a call? Book any time.');

	expect(fake.requests).toHaveLength(1);
	const prompt = JSON.stringify(fake.requests[0].body.messages);
	expect(prompt).toContain(instructions);
	expect(prompt).toContain('Warm and brief.');
	expect(prompt).toContain('Pro');
	expect(prompt).not.toContain('4242');

	const detail = (await t.call('GET', `/v1/conversations/${res.json().conversation.id}`)).json();
	expect(detail.modelCalls).toBe(1);
	expect(detail.timeline.find((e: any) => e.kind === 'message').detail).toMatchObject({ instructions });
	fake.requests.length = 0;
});

test('model engine: a failed call sends nothing and answers 503 so the workflow can retry', async () => {
	const contactId = await setUp('model');
	const start = (await t.call('POST', '/v1/conversations', { agentId: 'concierge', contactId, text: 'Hello Robin.' })).json();
	next = () => ({ status: 500 });
	const res = await t.call('POST', `/v1/conversations/${start.conversation.id}/replies`, { instructions });
	expect(res.statusCode).toBe(503);
	expect(res.json().message).toMatch(/could not turn the instructions into a message/);
	next = () => ({ content: '{"not": "the schema"}' });
	expect((await t.call('POST', `/v1/conversations/${start.conversation.id}/replies`, { instructions })).statusCode).toBe(503);
	const detail = (await t.call('GET', `/v1/conversations/${start.conversation.id}`)).json();
	expect(detail.messages.map((m: any) => m.text)).toEqual(['Hello Robin.']);
	fake.requests.length = 0;
});

test('model engine past the workspace budget: the instructions are sent as written, and the timeline says why', async () => {
	const contactId = await setUp('model', 0);
	const res = await t.call('POST', '/v1/conversations', { agentId: 'concierge', contactId, instructions: 'Hi {{contact.first_name}}, still interested?' });
	expect(res.statusCode).toBe(201);
	expect(res.json().message.text).toBe('Hi Robin, still interested?');
	expect(fake.requests).toHaveLength(0);
	const detail = (await t.call('GET', `/v1/conversations/${res.json().conversation.id}`)).json();
	expect(detail.timeline.find((e: any) => e.kind === 'message').detail.sentAsWritten).toMatch(/workspace model budget of 0 calls reached/);
});

test('offline engine: the instructions are the message, with merge fields', async () => {
	const contactId = await setUp('offline');
	const res = await t.call('POST', '/v1/conversations', { agentId: 'concierge', contactId, instructions: 'Hi {{contact.first_name}}, still interested?' });
	expect(res.json().message.text).toBe('Hi Robin, still interested?');
});
