// Provider rules from the model, not the URL: reasoning models wherever they are served, Mistral, Gemini's schema
// dialect, Groq's output failures, LM Studio's structured output, answers cut at the output limit, and the
// provider's own error message in the outcome and in `doctor` — each against a fake that behaves like the provider.
import { loadAgents } from '../agents/agent-files';
import { checkModel } from './doctor';
import { createModelEngine, type ModelEngineOptions } from './model';
import type { ModelEvent, ModelRequestEvent } from './model-client';
import { detectProvider, providerProfile, toOpenApiSchema, turnResponseSchema } from './index';
import type { TurnInput } from './types';
import { groqJsonValidateFailed, startLiteralModel, type LiteralModel, type LiteralModelOptions } from '../testing/literal-model';

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

async function turn(fakeOptions: LiteralModelOptions, engine: Partial<ModelEngineOptions>) {
	fake = await startLiteralModel(fakeOptions);
	const events: ModelEvent[] = [];
	const outcome = await createModelEngine({ baseURL: fake.url, apiKey: 'k', model: 'm', maxRetries: 0, maxTokens: 800, onEvent: (e) => events.push(e), ...engine }).runTurn(input);
	const requests = events.filter((e): e is ModelRequestEvent => e.type === 'request');
	return { outcome, events, requests, bodies: fake.requests.map((r) => r.body) };
}

describe('reasoning models wherever they are served', () => {
	test('gpt-5-mini behind a gateway (a proxy passing parameters through to OpenAI) gets max_completion_tokens and no temperature', async () => {
		// The fake's URL is an unknown host: the generic profile, as for LiteLLM or any proxy.
		const { outcome, bodies } = await turn({ personality: 'openai' }, { model: 'gpt-5-mini', temperature: 0.3 });
		expect(outcome.fallback).toBeUndefined();
		expect(bodies[0].max_completion_tokens).toBe(800);
		expect(bodies[0].max_tokens).toBeUndefined();
		expect(bodies[0].temperature).toBeUndefined();
	});

	test('an Azure deployment with its own name serving a reasoning model: MODEL_REASONING=true sends no temperature', async () => {
		const { outcome, bodies } = await turn({ personality: 'azure', reasoningModels: ['prod-chat'] }, { model: 'prod-chat', provider: 'azure', temperature: 0.2, reasoning: true });
		expect(outcome.fallback).toBeUndefined();
		expect(bodies[0].temperature).toBeUndefined();
		expect(bodies[0].max_completion_tokens).toBe(800);
	});

	test('the same deployment without the setting is refused with OpenAI\'s own message, kept in the outcome', async () => {
		const { outcome, requests } = await turn({ personality: 'azure', reasoningModels: ['prod-chat'] }, { model: 'prod-chat', provider: 'azure', temperature: 0.2 });
		expect(outcome.fallback).toBe('model answered HTTP 400');
		expect(outcome.fallbackDetail).toMatch(/'temperature' does not support 0.2 with this model/);
		expect(requests[0].detail).toBe(outcome.fallbackDetail);
	});

	test('a reasoning effort is sent where the provider takes it, in its form, and never to a non-reasoning model', async () => {
		const openai = await turn({ personality: 'openai' }, { model: 'o4-mini', provider: 'openai', reasoningEffort: 'low' });
		expect(openai.bodies[0].reasoning_effort).toBe('low');
		await fake.close();
		const router = await turn({ personality: 'openrouter' }, { model: 'openai/o3', provider: 'openrouter', reasoningEffort: 'high', temperature: 0.5 });
		expect(router.bodies[0]).toMatchObject({ reasoning: { effort: 'high' }, max_tokens: 800 });
		expect(router.bodies[0].temperature).toBeUndefined();
		await fake.close();
		const plain = await turn({ personality: 'openai' }, { model: 'gpt-4o-mini', provider: 'openai', reasoningEffort: 'low' });
		expect(plain.bodies[0].reasoning_effort).toBeUndefined();
	});

	test('MODEL_REASONING=false keeps a temperature for a model whose name only looks like a reasoning model', () => {
		expect(providerProfile('https://api.openai.com/v1', 'o3-lookalike', { reasoning: false }).temperature).toBe(true);
		expect(providerProfile('https://api.openai.com/v1', 'o3', {}).temperature).toBe(false);
	});
});

describe('Mistral', () => {
	test('api.mistral.ai is the mistral profile, and its request is accepted', async () => {
		expect(detectProvider('https://api.mistral.ai/v1')).toBe('mistral');
		const { outcome, bodies } = await turn({ personality: 'mistral' }, { provider: 'mistral', temperature: 0.3 });
		expect(outcome.fallback).toBeUndefined();
		expect(outcome.collected).toEqual({ service_needed: 'website', budget: '$12,000' });
		expect(Object.keys(bodies[0]).sort()).toEqual(['max_tokens', 'messages', 'model', 'response_format', 'temperature']);
	});

	test("Mistral's 422 body reaches the outcome, the request event and doctor as its own words, not \"HTTP 422\"", async () => {
		const { outcome, requests } = await turn({ personality: 'mistral' }, { provider: 'openai' });
		expect(outcome.fallback).toBe('model answered HTTP 422');
		expect(outcome.fallbackDetail).toBe('body.max_completion_tokens: Extra inputs are not permitted');
		expect(requests[0].detail).toBe('body.max_completion_tokens: Extra inputs are not permitted');
		const report = await checkModel({ baseURL: fake.url, apiKey: 'k', model: 'm', provider: 'openai', timeoutMs: 1000, maxRetries: 0, turnDeadlineMs: 2000, maxTokens: 200 });
		expect(report.lines.at(-1)).toContain('The provider said: "body.max_completion_tokens: Extra inputs are not permitted"');
	});
});

describe("Gemini's schema dialect", () => {
	test('the answer schema goes without type arrays and without null in enums, and Gemini accepts it', async () => {
		const { outcome, bodies } = await turn({ personality: 'gemini' }, { provider: 'gemini' });
		expect(outcome.fallback).toBeUndefined();
		const sent = JSON.stringify(bodies[0].response_format.json_schema.schema);
		expect(sent).not.toContain('"null"');
		expect(sent).not.toContain('null]');
		expect(bodies[0].response_format.json_schema.schema.properties.fields.properties.service_needed).toMatchObject({ type: 'string', nullable: true });
	});

	test('the generic profile sends the JSON schema form, which Gemini refuses with its own message', async () => {
		const { outcome } = await turn({ personality: 'gemini' }, { provider: 'generic' });
		expect(outcome.fallback).toBe('model answered HTTP 400');
		expect(outcome.fallbackDetail).toMatch(/Proto field is not repeating, cannot start list/);
	});

	test('the conversion: one type plus nullable, enums without null, property names untouched', () => {
		const converted = toOpenApiSchema(turnResponseSchema(agent)) as any;
		expect(converted.properties.intent).toEqual({ type: 'string', nullable: true, enum: agent.intents.map((i) => i.name) });
		expect(Object.keys(converted.properties.fields.properties)).toEqual(agent.fields.map((f) => f.name));
	});
});

describe("a model's own output failure (Groq's json_validate_failed)", () => {
	test('is tried once more and the second answer is used', async () => {
		const { outcome, requests } = await turn({ personality: 'groq', script: (_b, i) => (i === 0 ? groqJsonValidateFailed() : undefined) }, { provider: 'groq' });
		expect(outcome.fallback).toBeUndefined();
		expect(outcome.modelRequests).toBe(2);
		expect(requests.map((r) => r.outcome)).toEqual(['http_error', 'ok']);
		expect(requests[0].reason).toBe('model output failed (HTTP 400 json_validate_failed)');
	});

	test('twice: the rules answer, counted as a malformed answer with Groq\'s message, after exactly two requests', async () => {
		const { outcome, events } = await turn({ personality: 'groq', script: () => groqJsonValidateFailed() }, { provider: 'groq', maxRetries: 2 });
		expect(outcome.modelRequests).toBe(2);
		expect(outcome.fallbackDetail).toMatch(/Failed to generate JSON/);
		expect(events.find((e) => e.type === 'fallback')).toMatchObject({ kind: 'malformed' });
	});
});

describe('LM Studio', () => {
	test('port 1234 is the lmstudio profile (json_schema), which LM Studio accepts', async () => {
		expect(detectProvider('http://localhost:1234/v1')).toBe('lmstudio');
		const { outcome, bodies } = await turn({ personality: 'lmstudio' }, { provider: 'lmstudio' });
		expect(outcome.fallback).toBeUndefined();
		expect(bodies[0].response_format.type).toBe('json_schema');
	});

	test('doctor, when json_object was refused, advises a json_schema profile and not llamacpp', async () => {
		fake = await startLiteralModel({ personality: 'lmstudio' });
		const report = await checkModel({ baseURL: fake.url, apiKey: 'k', model: 'm', provider: 'llamacpp', timeoutMs: 1000, maxRetries: 0, turnDeadlineMs: 2000, maxTokens: 200 });
		const advice = report.lines.at(-1)!;
		expect(advice).toMatch(/structured output mode json_object/);
		expect(advice).toMatch(/MODEL_PROVIDER=generic or lmstudio \(json_schema\)/);
		expect(advice).not.toMatch(/MODEL_PROVIDER=llamacpp/);
	});
});

describe('an answer cut at the output limit', () => {
	test('reasoning that uses up MODEL_MAX_TOKENS: "output limit reached, raise MODEL_MAX_TOKENS", not "not valid JSON"', async () => {
		const { outcome, requests, events } = await turn({ personality: 'openai', reasoningTokens: 2000 }, { model: 'o4-mini', provider: 'openai' });
		expect(outcome.fallback).toBe('output limit reached, raise MODEL_MAX_TOKENS (now 800)');
		expect(requests[0]).toMatchObject({ outcome: 'output_limit', reason: 'output limit reached, raise MODEL_MAX_TOKENS (now 800)' });
		expect(events.find((e) => e.type === 'fallback')).toMatchObject({ kind: 'output_limit' });
		// Not retried: the same limit would cut the same answer.
		expect(fake.requests).toHaveLength(1);
	});

	test('doctor says to raise MODEL_MAX_TOKENS instead of suggesting another profile', async () => {
		fake = await startLiteralModel({ personality: 'openai', reasoningTokens: 500 });
		const report = await checkModel({ baseURL: fake.url, apiKey: 'k', model: 'o4-mini', provider: 'openai', timeoutMs: 1000, maxRetries: 0, turnDeadlineMs: 2000, maxTokens: 200 });
		expect(report.ok).toBe(false);
		expect(report.lines.at(-1)).toMatch(/output limit reached, raise MODEL_MAX_TOKENS \(now 200\)/);
		expect(report.lines.at(-1)).not.toMatch(/MODEL_PROVIDER/);
	});
});
