// Provider profiles: what each OpenAI-compatible provider accepts (parameters, structured output, schema features).
export const PROVIDERS = ['openai', 'azure', 'ollama', 'vllm', 'llamacpp', 'openrouter', 'groq', 'gemini', 'anthropic', 'generic'] as const;
export type ProviderId = (typeof PROVIDERS)[number];

/**
 * How the answer's JSON shape is asked for:
 * - `json_schema`: `response_format: { type: 'json_schema', json_schema: { strict } }`, the provider enforces it;
 * - `json_object`: `response_format: { type: 'json_object' }` plus the schema written in the prompt;
 * - `prompt`: no `response_format` at all, the schema and "answer only with JSON" in the prompt.
 * Whatever the mode, the answer is validated with zod afterwards.
 */
export type StructuredOutput = 'json_schema' | 'json_object' | 'prompt';

export interface ProviderProfile {
	id: ProviderId;
	/** Whether a configured temperature is sent (reasoning models refuse any value but their own). */
	temperature: boolean;
	/** The name of the output token limit parameter. */
	maxTokensParam: 'max_tokens' | 'max_completion_tokens';
	structuredOutput: StructuredOutput;
	/** `strict: true` inside `json_schema` (every property required, no open objects). */
	strict: boolean;
	/** JSON schema keywords removed before sending; the bounds are still checked by zod after the call. */
	stripKeywords: string[];
}

const BOUNDS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'format'];

const BASE: Record<ProviderId, Omit<ProviderProfile, 'id'>> = {
	// Strict mode has refused numeric bounds; `max_tokens` is refused by reasoning models, so the newer name for all.
	openai: { temperature: true, maxTokensParam: 'max_completion_tokens', structuredOutput: 'json_schema', strict: true, stripKeywords: BOUNDS },
	azure: { temperature: true, maxTokensParam: 'max_completion_tokens', structuredOutput: 'json_schema', strict: true, stripKeywords: BOUNDS },
	// Ollama turns the schema into a grammar; its OpenAI layer knows only `max_tokens`.
	ollama: { temperature: true, maxTokensParam: 'max_tokens', structuredOutput: 'json_schema', strict: false, stripKeywords: BOUNDS },
	// vLLM's guided decoding takes a json_schema.
	vllm: { temperature: true, maxTokensParam: 'max_tokens', structuredOutput: 'json_schema', strict: false, stripKeywords: BOUNDS },
	// Older llama.cpp servers answer 500 to `json_schema`; `json_object` works on all of them.
	llamacpp: { temperature: true, maxTokensParam: 'max_tokens', structuredOutput: 'json_object', strict: false, stripKeywords: BOUNDS },
	// Routed models differ; a schema-less json_object is the mode most of them accept.
	openrouter: { temperature: true, maxTokensParam: 'max_tokens', structuredOutput: 'json_object', strict: false, stripKeywords: BOUNDS },
	// Groq supports json_schema only on a few models; json_object on all.
	groq: { temperature: true, maxTokensParam: 'max_completion_tokens', structuredOutput: 'json_object', strict: false, stripKeywords: BOUNDS },
	gemini: { temperature: true, maxTokensParam: 'max_tokens', structuredOutput: 'json_schema', strict: false, stripKeywords: BOUNDS },
	// Anthropic's compatibility layer ignores response_format: the JSON is asked for in the prompt.
	anthropic: { temperature: true, maxTokensParam: 'max_tokens', structuredOutput: 'prompt', strict: false, stripKeywords: BOUNDS },
	// Unknown servers (LM Studio, LocalAI, proxies): json_schema is the most widely implemented structured mode.
	generic: { temperature: true, maxTokensParam: 'max_tokens', structuredOutput: 'json_schema', strict: false, stripKeywords: BOUNDS },
};

/** Reasoning models (o1, o3, o4-mini, gpt-5...) take no temperature other than their default. */
export function isReasoningModel(model: string): boolean {
	const name = model.toLowerCase().split('/').pop() ?? '';
	return /^(o\d+)(?:$|[-_.])/.test(name) || /^gpt-5(?!.*chat)/.test(name);
}

/** The provider a base URL points at; `generic` when it cannot tell. */
export function detectProvider(baseURL: string): ProviderId {
	let url: URL;
	try {
		url = new URL(baseURL);
	} catch {
		return 'generic';
	}
	const host = url.hostname.toLowerCase();
	if (host === 'api.openai.com') return 'openai';
	if (host.endsWith('.openai.azure.com') || host.endsWith('.cognitiveservices.azure.com') || host.endsWith('.services.ai.azure.com')) return 'azure';
	if (host.endsWith('openrouter.ai')) return 'openrouter';
	if (host.endsWith('groq.com')) return 'groq';
	if (host === 'generativelanguage.googleapis.com') return 'gemini';
	if (host.endsWith('anthropic.com')) return 'anthropic';
	if (url.port === '11434' || host.includes('ollama')) return 'ollama';
	if (host.includes('vllm')) return 'vllm';
	if (host.includes('llama') || url.port === '8080') return 'llamacpp';
	if (url.port === '8000') return 'vllm';
	return 'generic';
}

/** The profile for this endpoint and model: `provider` overrides the detection from the base URL. */
export function providerProfile(baseURL: string, model: string, provider?: ProviderId): ProviderProfile {
	const id = provider ?? detectProvider(baseURL);
	const profile: ProviderProfile = { id, ...BASE[id] };
	if (isReasoningModel(model)) profile.temperature = false;
	return profile;
}

/** A copy of the schema without the keywords the profile strips. */
export function stripSchema(schema: unknown, keywords: readonly string[]): unknown {
	if (Array.isArray(schema)) return schema.map((s) => stripSchema(s, keywords));
	if (!schema || typeof schema !== 'object') return schema;
	const out: Record<string, unknown> = {};
	for (const [k, v] of Object.entries(schema)) {
		if (keywords.includes(k)) continue;
		// Property maps hold names, not keywords: a field called "format" stays.
		out[k] = k === 'properties' && v && typeof v === 'object'
			? Object.fromEntries(Object.entries(v).map(([name, s]) => [name, stripSchema(s, keywords)]))
			: stripSchema(v, keywords);
	}
	return out;
}

export interface RequestShape {
	temperature?: number;
	maxTokens: number;
	name: string;
	schema: Record<string, unknown>;
}

/** The request parameters this profile sends, besides model and messages. */
export function requestParams(profile: ProviderProfile, shape: RequestShape): Record<string, unknown> {
	const params: Record<string, unknown> = { [profile.maxTokensParam]: shape.maxTokens };
	if (profile.temperature && shape.temperature !== undefined) params.temperature = shape.temperature;
	const schema = stripSchema(shape.schema, profile.stripKeywords);
	if (profile.structuredOutput === 'json_schema') {
		params.response_format = { type: 'json_schema', json_schema: { name: shape.name, strict: profile.strict, schema } };
	} else if (profile.structuredOutput === 'json_object') params.response_format = { type: 'json_object' };
	return params;
}

/** The prompt text that carries the schema when the provider does not enforce it. */
export function schemaInstructions(profile: ProviderProfile, schema: Record<string, unknown>): string | null {
	if (profile.structuredOutput === 'json_schema') return null;
	return (
		'Answer with one JSON object and nothing else (no code fences, no text around it), matching this JSON schema:\n' +
		JSON.stringify(stripSchema(schema, profile.stripKeywords))
	);
}
