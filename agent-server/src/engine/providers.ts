// Provider profiles: what each OpenAI-compatible provider accepts (parameters, structured output, schema features).
export const PROVIDERS = ['openai', 'azure', 'ollama', 'vllm', 'llamacpp', 'lmstudio', 'openrouter', 'groq', 'gemini', 'mistral', 'anthropic', 'generic'] as const;
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
	/**
	 * `openapi`: the provider takes an OpenAPI-style subset (Gemini): no `["string","null"]` type arrays (a single type
	 * and `nullable: true` instead) and no null inside `enum`.
	 */
	schemaDialect: 'json_schema' | 'openapi';
	/** The model is a reasoning model (by its family's name, or MODEL_REASONING for an opaque deployment name). */
	reasoning: boolean;
	/** How a reasoning effort is sent, when the profile's provider takes one: `reasoning_effort`, or OpenRouter's `reasoning: { effort }`. */
	reasoningEffortParam: 'reasoning_effort' | 'reasoning' | null;
	/** The effort sent to a reasoning model (MODEL_REASONING_EFFORT); unset: the provider's default. */
	reasoningEffort?: ReasoningEffort;
}

export const REASONING_EFFORTS = ['minimal', 'low', 'medium', 'high'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

const BOUNDS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'format'];

type Base = Omit<ProviderProfile, 'id' | 'reasoning' | 'reasoningEffort' | 'schemaDialect' | 'reasoningEffortParam'> & Partial<Pick<ProviderProfile, 'schemaDialect'>>;

// Each profile's rules and their sources are in docs/models.md.
const BASE: Record<ProviderId, Base> = {
	// Strict mode has refused numeric bounds; `max_tokens` is refused by reasoning models, so the newer name for all.
	openai: { temperature: true, maxTokensParam: 'max_completion_tokens', structuredOutput: 'json_schema', strict: true, stripKeywords: BOUNDS },
	azure: { temperature: true, maxTokensParam: 'max_completion_tokens', structuredOutput: 'json_schema', strict: true, stripKeywords: BOUNDS },
	// Ollama turns the schema into a grammar; its OpenAI layer knows only `max_tokens`.
	ollama: { temperature: true, maxTokensParam: 'max_tokens', structuredOutput: 'json_schema', strict: false, stripKeywords: BOUNDS },
	// vLLM's guided decoding takes a json_schema.
	vllm: { temperature: true, maxTokensParam: 'max_tokens', structuredOutput: 'json_schema', strict: false, stripKeywords: BOUNDS },
	// Older llama.cpp servers answer 500 to `json_schema`; `json_object` works on all of them.
	llamacpp: { temperature: true, maxTokensParam: 'max_tokens', structuredOutput: 'json_object', strict: false, stripKeywords: BOUNDS },
	// LM Studio takes `json_schema` only: `json_object` is a 400 there.
	lmstudio: { temperature: true, maxTokensParam: 'max_tokens', structuredOutput: 'json_schema', strict: false, stripKeywords: BOUNDS },
	// Routed models differ; a schema-less json_object is the mode most of them accept.
	openrouter: { temperature: true, maxTokensParam: 'max_tokens', structuredOutput: 'json_object', strict: false, stripKeywords: BOUNDS },
	// Groq supports json_schema only on a few models; json_object on all.
	groq: { temperature: true, maxTokensParam: 'max_completion_tokens', structuredOutput: 'json_object', strict: false, stripKeywords: BOUNDS },
	// Gemini's OpenAI layer takes an OpenAPI-style schema subset.
	gemini: { temperature: true, maxTokensParam: 'max_tokens', structuredOutput: 'json_schema', strict: false, stripKeywords: BOUNDS, schemaDialect: 'openapi' },
	// Mistral validates the body and answers 422 to any parameter it does not know (`max_completion_tokens` among them).
	mistral: { temperature: true, maxTokensParam: 'max_tokens', structuredOutput: 'json_schema', strict: false, stripKeywords: BOUNDS },
	// Anthropic's compatibility layer ignores response_format: the JSON is asked for in the prompt.
	anthropic: { temperature: true, maxTokensParam: 'max_tokens', structuredOutput: 'prompt', strict: false, stripKeywords: BOUNDS },
	// Unknown servers (LocalAI, proxies): json_schema is the most widely implemented structured mode.
	generic: { temperature: true, maxTokensParam: 'max_tokens', structuredOutput: 'json_schema', strict: false, stripKeywords: BOUNDS },
};

/**
 * What a reasoning model (OpenAI's o-series and gpt-5, wherever served) gets on each profile: the token limit's name
 * and how an effort is sent. Gateways that pass parameters through (a proxy, LiteLLM: `generic`) take OpenAI's rules;
 * OpenRouter normalises `max_tokens` and takes `reasoning: { effort }`; the others keep their own limit's name.
 */
const REASONING: Record<ProviderId, { maxTokensParam?: ProviderProfile['maxTokensParam']; effort: ProviderProfile['reasoningEffortParam'] }> = {
	openai: { maxTokensParam: 'max_completion_tokens', effort: 'reasoning_effort' },
	azure: { maxTokensParam: 'max_completion_tokens', effort: 'reasoning_effort' },
	generic: { maxTokensParam: 'max_completion_tokens', effort: 'reasoning_effort' },
	groq: { maxTokensParam: 'max_completion_tokens', effort: 'reasoning_effort' },
	openrouter: { effort: 'reasoning' },
	gemini: { effort: 'reasoning_effort' },
	ollama: { effort: null },
	vllm: { effort: null },
	llamacpp: { effort: null },
	lmstudio: { effort: null },
	mistral: { effort: null },
	anthropic: { effort: null },
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
	if (host === 'api.mistral.ai') return 'mistral';
	if (url.port === '1234' || host.includes('lmstudio')) return 'lmstudio';
	if (url.port === '11434' || host.includes('ollama')) return 'ollama';
	if (host.includes('vllm')) return 'vllm';
	if (host.includes('llama') || url.port === '8080') return 'llamacpp';
	if (url.port === '8000') return 'vllm';
	return 'generic';
}

export interface ProfileOptions {
	/** MODEL_PROVIDER: overrides the detection from the base URL. */
	provider?: ProviderId;
	/** MODEL_REASONING: whether the endpoint's models are reasoning models, whatever their names (an Azure deployment "prod-chat"). */
	reasoning?: boolean;
	reasoningEffort?: ReasoningEffort;
}

/** The profile for this endpoint and model: the provider from the URL (or MODEL_PROVIDER), the reasoning rules from the model. */
export function providerProfile(baseURL: string, model: string, options: ProfileOptions | ProviderId = {}): ProviderProfile {
	const o: ProfileOptions = typeof options === 'string' ? { provider: options } : options;
	const id = o.provider ?? detectProvider(baseURL);
	const { schemaDialect, ...base } = BASE[id];
	const reasoning = o.reasoning ?? isReasoningModel(model);
	const profile: ProviderProfile = { id, ...base, schemaDialect: schemaDialect ?? 'json_schema', reasoning, reasoningEffortParam: null };
	if (reasoning) {
		const rules = REASONING[id];
		profile.temperature = false;
		if (rules.maxTokensParam) profile.maxTokensParam = rules.maxTokensParam;
		profile.reasoningEffortParam = rules.effort;
		if (rules.effort && o.reasoningEffort) profile.reasoningEffort = o.reasoningEffort;
	}
	return profile;
}

/**
 * The schema in Gemini's OpenAPI-style dialect: a type array becomes its one non-null type with `nullable: true`,
 * null leaves `enum`.
 */
export function toOpenApiSchema(schema: unknown): unknown {
	if (Array.isArray(schema)) return schema.map(toOpenApiSchema);
	if (!schema || typeof schema !== 'object') return schema;
	const out: Record<string, unknown> = {};
	let nullable = false;
	for (const [k, v] of Object.entries(schema)) {
		if (k === 'type' && Array.isArray(v)) {
			const types = v.filter((t) => t !== 'null');
			nullable ||= types.length < v.length;
			out.type = types.length === 1 ? types[0] : types;
		} else if (k === 'enum' && Array.isArray(v)) {
			nullable ||= v.includes(null);
			out.enum = v.filter((x) => x !== null);
		} else if (k === 'properties' && v && typeof v === 'object') {
			out.properties = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, toOpenApiSchema(s)]));
		} else out[k] = toOpenApiSchema(v);
	}
	if (nullable) out.nullable = true;
	return out;
}

/** The schema as this profile sends it: bounds stripped, in the provider's dialect. */
export function schemaFor(profile: ProviderProfile, schema: unknown): unknown {
	const stripped = stripSchema(schema, profile.stripKeywords);
	return profile.schemaDialect === 'openapi' ? toOpenApiSchema(stripped) : stripped;
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
	if (profile.reasoningEffort && profile.reasoningEffortParam === 'reasoning_effort') params.reasoning_effort = profile.reasoningEffort;
	if (profile.reasoningEffort && profile.reasoningEffortParam === 'reasoning') params.reasoning = { effort: profile.reasoningEffort };
	const schema = schemaFor(profile, shape.schema);
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
		JSON.stringify(schemaFor(profile, schema))
	);
}
