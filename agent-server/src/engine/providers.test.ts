// Provider profiles: each one sends only what its provider accepts, against a fake that accepts and refuses like that
// provider (including its error bodies); detection from the base URL and model name; schema stripping.
import { loadAgents } from '../agents/agent-files';
import { createModelEngine } from './model';
import type { ModelEvent, ModelRequestEvent } from './model-client';
import { detectProvider, PROVIDERS, providerProfile, stripSchema, type ProviderId } from './providers';
import type { TurnInput } from './types';
import { startLiteralModel, type LiteralModel } from '../testing/literal-model';

const agent = loadAgents().get('lead-qualifier')!;
let fake: LiteralModel;
afterEach(async () => {
	await fake?.close();
});

const input: TurnInput = {
	agent,
	contact: { id: 'c', firstName: null, lastName: null, email: null, phone: null, customFields: {}, tags: [] },
	conversation: { id: 'v', channel: 'web', collected: {}, firedActions: [], turn: 1 },
	transcript: [],
	message: 'I need a website, budget $12,000',
};

async function turn(provider: ProviderId, model = 'some-model', over: { temperature?: number; apiKey?: string } = {}) {
	fake = await startLiteralModel({ personality: provider, apiKey: 'right-key' });
	const events: ModelEvent[] = [];
	const engine = createModelEngine({ baseURL: fake.url, apiKey: over.apiKey ?? 'right-key', model, provider, maxRetries: 0, temperature: over.temperature, maxTokens: 800, onEvent: (e) => events.push(e) });
	const outcome = await engine.runTurn(input);
	return { outcome, body: fake.requests[0].body, events };
}

// What each profile must send (and nothing it may not): the structured output mode and the token limit's name.
const expected: Record<ProviderId, { format: string | undefined; tokens: 'max_tokens' | 'max_completion_tokens' }> = {
	openai: { format: 'json_schema', tokens: 'max_completion_tokens' },
	azure: { format: 'json_schema', tokens: 'max_completion_tokens' },
	ollama: { format: 'json_schema', tokens: 'max_tokens' },
	vllm: { format: 'json_schema', tokens: 'max_tokens' },
	llamacpp: { format: 'json_object', tokens: 'max_tokens' },
	lmstudio: { format: 'json_schema', tokens: 'max_tokens' },
	mistral: { format: 'json_schema', tokens: 'max_tokens' },
	openrouter: { format: 'json_object', tokens: 'max_tokens' },
	groq: { format: 'json_object', tokens: 'max_completion_tokens' },
	gemini: { format: 'json_schema', tokens: 'max_tokens' },
	anthropic: { format: undefined, tokens: 'max_tokens' },
	generic: { format: 'json_schema', tokens: 'max_tokens' },
};

describe.each(PROVIDERS.map((p) => [p]))('profile %s', (provider) => {
	test('its request is accepted and the answer understood', async () => {
		const { outcome, body } = await turn(provider, 'some-model', { temperature: 0.3 });
		expect(outcome.fallback).toBeUndefined();
		expect(outcome.collected).toEqual({ service_needed: 'website', budget: '$12,000' });
		expect(body.response_format?.type).toBe(expected[provider].format);
		expect(body[expected[provider].tokens]).toBe(800);
		const other = expected[provider].tokens === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens';
		expect(body[other]).toBeUndefined();
		expect(body.temperature).toBe(0.3);
		// Bounds are never sent; zod checks them after the call.
		expect(JSON.stringify(body)).not.toMatch(/"minimum"|"maximum"/);
		if (expected[provider].format !== 'json_schema') expect(body.messages[0].content).toContain('matching this JSON schema');
	});

	test("a wrong key gives the provider's own message, without the key", async () => {
		const { outcome, events } = await turn(provider, 'some-model', { apiKey: 'sk-wrong-0123456789abcdef' });
		expect(outcome.fallback).toBe('model answered HTTP 401');
		const request = events.find((e) => e.type === 'request') as ModelRequestEvent;
		expect(request).toMatchObject({ status: 401, provider, outcome: 'http_error' });
		expect(request.detail).toMatch(/Incorrect API key provided/);
		expect(JSON.stringify(events)).not.toContain('sk-wrong-0123456789abcdef');
	});
});

describe('what the fakes refuse, as the providers do', () => {
	test('an OpenAI reasoning model gets no temperature, even when one is configured', async () => {
		const { outcome, body } = await turn('openai', 'o4-mini', { temperature: 0.2 });
		expect(outcome.fallback).toBeUndefined();
		expect(body.temperature).toBeUndefined();
		expect(body.max_completion_tokens).toBe(800);
	});

	test('sending json_schema to an older llama.cpp server gets its 500 (why the profile uses json_object)', async () => {
		fake = await startLiteralModel({ personality: 'llamacpp' });
		const events: ModelEvent[] = [];
		const outcome = await createModelEngine({ baseURL: fake.url, apiKey: 'k', model: 'm', provider: 'generic', maxRetries: 0, onEvent: (e) => events.push(e) }).runTurn(input);
		expect(outcome.fallback).toBe('model answered HTTP 500');
		expect((events[0] as ModelRequestEvent).detail).toBe('Unsupported response_format type: json_schema');
		// The rules still answered and kept what the contact said.
		expect(outcome.collected).toEqual({ service_needed: 'website', budget: '$12,000' });
	});

	test('OpenAI refuses a temperature for a reasoning model with HTTP 400; an agent\'s own reasoning model gets its own profile', async () => {
		fake = await startLiteralModel({ personality: 'openai' });
		const raw = await fetch(`${fake.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'o3', temperature: 0.2, messages: [] }) });
		expect(raw.status).toBe(400);
		expect(((await raw.json()) as any).error).toMatchObject({ param: 'temperature', code: 'unsupported_value' });
		fake.requests.length = 0;
		const events: ModelEvent[] = [];
		const e = createModelEngine({ baseURL: fake.url, apiKey: 'k', model: 'gpt-4o', provider: 'openai', temperature: 0.2, maxRetries: 0, onEvent: (x) => events.push(x) });
		await e.runTurn({ ...input, agent: { ...agent, model: 'o3' } });
		expect(fake.requests[0].body.model).toBe('o3');
		expect(fake.requests[0].body.temperature).toBeUndefined();
		expect(events[0]).toMatchObject({ outcome: 'ok' });
	});
});

describe('detection', () => {
	test.each<[string, ProviderId]>([
		['https://api.openai.com/v1', 'openai'],
		['https://my-res.openai.azure.com/openai/v1/', 'azure'],
		['http://localhost:11434/v1', 'ollama'],
		['http://gpu-box:8000/v1', 'vllm'],
		['http://127.0.0.1:8080/v1', 'llamacpp'],
		['https://openrouter.ai/api/v1', 'openrouter'],
		['https://api.groq.com/openai/v1', 'groq'],
		['https://generativelanguage.googleapis.com/v1beta/openai/', 'gemini'],
		['https://api.anthropic.com/v1/', 'anthropic'],
		['https://llm.internal.example/v1', 'generic'],
	])('%s is %s', (url, id) => {
		expect(detectProvider(url)).toBe(id);
	});

	test('reasoning models take no temperature; MODEL_PROVIDER overrides the URL', () => {
		expect(providerProfile('https://api.openai.com/v1', 'o3-mini').temperature).toBe(false);
		expect(providerProfile('https://api.openai.com/v1', 'gpt-5').temperature).toBe(false);
		expect(providerProfile('https://api.openai.com/v1', 'gpt-4o-mini').temperature).toBe(true);
		expect(providerProfile('http://127.0.0.1:8080/v1', 'x', 'ollama').id).toBe('ollama');
	});

	test('stripping keeps property names that look like keywords', () => {
		const schema = { type: 'object', properties: { format: { type: 'number', minimum: 0 } }, maximum: 3 };
		expect(stripSchema(schema, ['minimum', 'maximum', 'format'])).toEqual({ type: 'object', properties: { format: { type: 'number' } } });
	});
});
