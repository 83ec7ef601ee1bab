// A literal fake model for tests: an OpenAI-compatible HTTP server that reads the prompt and does exactly what it says
// (says the "Say next" message, copies values it is told are known, invents values when the prompt lets it), and
// that accepts and refuses requests the way a given provider does, with that provider's error bodies.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Personality = 'openai' | 'azure' | 'ollama' | 'vllm' | 'llamacpp' | 'lmstudio' | 'openrouter' | 'groq' | 'gemini' | 'mistral' | 'anthropic' | 'generic';

/** A scripted fault or answer for one request, instead of the literal behaviour. */
export type Scripted =
	| { status: number; body?: unknown; headers?: Record<string, string> }
	| { hang: true } // accepts the request and never answers
	| { slowBodyMs: number } // sends the headers at once, then the body one byte every slowBodyMs
	| { content: string; finishReason?: 'stop' | 'length' }
	| { refusal: string }; // a model that declines, as OpenAI reports it (message.refusal, content null)

/** Groq's answer when the model's own JSON failed its validation (json_object or json_schema mode). */
export function groqJsonValidateFailed(): Scripted {
	return {
		status: 400,
		body: {
			error: {
				message: "Failed to generate JSON. Please adjust your prompt. See 'failed_generation' for more details.",
				type: 'invalid_request_error',
				code: 'json_validate_failed',
				failed_generation: '{"reply": "Thanks! What is your budg',
			},
		},
	};
}

export interface LiteralRequest {
	body: any;
	headers: http.IncomingHttpHeaders;
}

export interface LiteralModelOptions {
	personality?: Personality;
	/** Fill every missing field with an invented value, as a hallucinating model does. */
	invent?: boolean;
	/** What the latest message means (tags and intent), for conditions no literal reading can judge. */
	meaning?: (message: string) => { intent?: string | null; tags?: string[] };
	/** Per request: a fault or a fixed answer; undefined for the literal behaviour. */
	script?: (body: any, index: number) => Scripted | undefined;
	/** Accepted API key; any other gets the provider's 401. Default: any key. */
	apiKey?: string;
	/** Models the server knows; any other gets the provider's 404. Default: any model. */
	models?: string[];
	/** Deployment names that serve a reasoning model although their names do not say so (an Azure "prod-chat"). */
	reasoningModels?: string[];
	/** Tokens a reasoning model spends thinking before it answers; at or past the output limit the answer is empty, finish_reason "length". */
	reasoningTokens?: number;
}

export interface LiteralModel {
	url: string; // base URL including /v1
	requests: LiteralRequest[];
	close(): Promise<void>;
}

const INVENTED: Record<string, string> = {
	amount: '$50,000',
	timeline: 'next week',
	name: 'Portfolio',
	email: 'someone@example.com',
	phone: '+15550100',
	pattern: 'X-0000',
};

/** Rough tokens: one per 4 characters, as providers' tokenizers average on English text. */
export function roughTokens(text: string): number {
	return Math.ceil(text.length / 4);
}

function errorBody(p: Personality, status: number, message: string, code: string | null = null, param: string | null = null): unknown {
	switch (p) {
		case 'vllm':
			return { object: 'error', message, type: status === 404 ? 'NotFoundError' : 'BadRequestError', param, code: status };
		case 'gemini':
			return [{ error: { code: status, message, status: status === 401 ? 'UNAUTHENTICATED' : status === 404 ? 'NOT_FOUND' : status === 429 ? 'RESOURCE_EXHAUSTED' : 'INVALID_ARGUMENT' } }];
		case 'anthropic':
			return { type: 'error', error: { type: status === 401 ? 'authentication_error' : status === 404 ? 'not_found_error' : 'invalid_request_error', message } };
		case 'llamacpp':
			return { error: { code: status, message, type: status === 401 ? 'authentication_error' : status >= 500 ? 'server_error' : 'invalid_request_error' } };
		case 'openrouter':
			return { error: { code: status, message, metadata: {} } };
		case 'azure':
			return { error: { code: code ?? String(status), message } };
		case 'mistral':
			// Mistral validates the body: a 422 lists each refused field; other errors carry a plain message.
			if (status === 422) return { object: 'error', message: { detail: [{ type: 'extra_forbidden', loc: ['body', param ?? 'body'], msg: message, input: null }] }, type: 'invalid_request_message_error', param: null, code: null };
			return { object: 'error', message, type: status === 401 ? 'unauthorized' : 'invalid_request_error', param, code };
		case 'lmstudio':
			return { error: message };
		default:
			return { error: { message, type: 'invalid_request_error', param, code } };
	}
}

function isReasoningName(model: string): boolean {
	const name = String(model).toLowerCase().split('/').pop() ?? '';
	return /^(o\d+)(?:$|[-_.])/.test(name) || /^gpt-5(?!.*chat)/.test(name);
}

function hasKey(schema: unknown, keys: string[]): boolean {
	if (!schema || typeof schema !== 'object') return false;
	return Object.entries(schema).some(([k, v]) => keys.includes(k) || hasKey(v, keys));
}

// The body fields Mistral's chat completions accept; any other is a 422.
const MISTRAL_FIELDS = new Set(['model', 'messages', 'temperature', 'top_p', 'max_tokens', 'stream', 'stop', 'random_seed', 'response_format', 'tools', 'tool_choice', 'presence_penalty', 'frequency_penalty', 'n', 'prediction', 'parallel_tool_calls', 'prompt_mode', 'safe_prompt']);

/** Where a schema uses what Gemini's OpenAPI-style subset refuses (a type array, null in an enum), or null. */
function geminiSchemaProblem(schema: unknown, path = 'response_schema'): string | null {
	if (!schema || typeof schema !== 'object') return null;
	const s = schema as Record<string, unknown>;
	if (Array.isArray(s.type)) return `Invalid JSON payload received. Unknown name "type" at 'generation_config.${path}': Proto field is not repeating, cannot start list.`;
	if (Array.isArray(s.enum) && s.enum.includes(null)) return `Invalid JSON payload received. Invalid value at 'generation_config.${path}.enum' (TYPE_STRING), null`;
	for (const [k, v] of Object.entries(s)) {
		const inner = k === 'properties' && v && typeof v === 'object'
			? Object.entries(v).map(([name, sub]) => geminiSchemaProblem(sub, `${path}.properties[${name}].value`)).find(Boolean)
			: typeof v === 'object' ? geminiSchemaProblem(v, `${path}.${k}`) : null;
		if (inner) return inner;
	}
	return null;
}

/** What the provider refuses in this request, as [status, message, code, param], or null when it accepts it. */
function refusal(p: Personality, body: any, isReasoning: (model: string) => boolean): [number, string, string | null, string | null] | null {
	const format = body.response_format?.type;
	const text = JSON.stringify(body.messages ?? []);
	if (p === 'mistral') {
		const extra = Object.keys(body).find((k) => !MISTRAL_FIELDS.has(k));
		if (extra) return [422, 'Extra inputs are not permitted', null, extra];
	}
	if (p === 'lmstudio' && format === 'json_object') return [400, "'response_format.type' must be 'json_schema' or 'text'", null, 'response_format'];
	if (p === 'gemini' && format === 'json_schema') {
		const problem = geminiSchemaProblem(body.response_format.json_schema?.schema);
		if (problem) return [400, problem, null, null];
	}
	if ((p === 'openai' || p === 'azure') && isReasoning(body.model)) {
		if (body.temperature !== undefined && body.temperature !== 1) {
			return [400, `Unsupported value: 'temperature' does not support ${body.temperature} with this model. Only the default (1) value is supported.`, 'unsupported_value', 'temperature'];
		}
		if (body.max_tokens !== undefined) {
			return [400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", 'unsupported_parameter', 'max_tokens'];
		}
	}
	if ((p === 'openai' || p === 'azure') && format === 'json_schema' && body.response_format.json_schema?.strict && hasKey(body.response_format.json_schema.schema, ['minimum', 'maximum'])) {
		return [400, `Invalid schema for response_format '${body.response_format.json_schema.name}': 'minimum' is not permitted.`, 'invalid_request_error', 'response_format'];
	}
	if (format === 'json_object' && !/json/i.test(text) && (p === 'openai' || p === 'azure' || p === 'groq')) {
		return [400, "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.", 'invalid_request_error', 'messages'];
	}
	if (p === 'llamacpp' && format === 'json_schema') return [500, 'Unsupported response_format type: json_schema', null, null];
	if (p === 'groq' && format === 'json_schema') return [400, 'This model does not support response format `json_schema`. See supported models at https://console.groq.com/docs/structured-outputs#supported-models', 'invalid_request_error', 'response_format'];
	if (p === 'openrouter' && format === 'json_schema') return [404, 'No endpoints found that can handle the requested parameters.', null, null];
	if (p === 'anthropic' && typeof body.temperature === 'number' && body.temperature > 1) return [400, 'temperature: range: 0..1', null, 'temperature'];
	return null;
}

function between(text: string, start: string, end: string): string | null {
	const i = text.indexOf(start);
	if (i < 0) return null;
	const j = text.indexOf(end, i + start.length);
	return j < 0 ? null : text.slice(i + start.length, j);
}

/** The literal answer: the "Say next" message, known values copied, nothing else unless invention is allowed. */
function literalAnswer(body: any, options: LiteralModelOptions): Record<string, unknown> {
	const messages: { role: string; content: string }[] = body.messages ?? [];
	const system = messages.find((m) => m.role === 'system')?.content ?? '';
	const state = messages.at(-1)?.content ?? '';
	const latest = (between(state, '<<<\n', '\n>>>') ?? state).trim();
	const sayNext = /^Say next: (.*)$/m.exec(state)?.[1] ?? '';
	const quoted = /"([^"]*)"\s*$/.exec(sayNext)?.[1] ?? /"([^"]*)"/.exec(sayNext)?.[1];
	const reply = quoted ?? 'Could you tell me more?';
	// Field names and kinds from the schema the request carries (response_format, or the prompt).
	const schemaText = body.response_format?.json_schema?.schema ?? JSON.parse(/matching this JSON schema:\n(\{.*\})/s.exec(system)?.[1] ?? '{}');
	const fieldProps: Record<string, any> = schemaText?.properties?.fields?.properties ?? {};
	const known: Record<string, string> = {};
	for (const pair of (/^Known now: (.*)\.$/m.exec(state)?.[1] ?? '').split('; ')) {
		const m = /^(\w+) = (.*)$/.exec(pair);
		if (m) known[m[1]] = m[2];
	}
	const mayInvent = options.invent || !/never invent/i.test(system);
	const fields: Record<string, string | null> = {};
	for (const [name, prop] of Object.entries(fieldProps)) {
		if (known[name] !== undefined) fields[name] = known[name];
		else if (mayInvent) {
			const kind = /\((.*?)\)/.exec(prop.description ?? '')?.[1] ?? '';
			const key = Object.keys(INVENTED).find((k) => kind.includes(k)) ?? (kind.includes('money') ? 'amount' : kind.includes('when') ? 'timeline' : undefined);
			fields[name] = Array.isArray(prop.enum) ? prop.enum[0] : key ? INVENTED[key] : 'yes';
		} else fields[name] = null;
	}
	const meant = options.meaning?.(latest) ?? {};
	const answer: Record<string, unknown> = {
		reply,
		fields,
		intent: meant.intent ?? null,
		intent_confidence: meant.intent ? 0.9 : 0,
		sentiment: 'neutral',
		summary: `The contact wrote ${messages.filter((m) => m.role === 'user').length} messages.`,
	};
	if (schemaText?.properties?.tags) answer.tags = meant.tags ?? [];
	return answer;
}

/** Starts the server on an ephemeral port. */
export async function startLiteralModel(options: LiteralModelOptions = {}): Promise<LiteralModel> {
	const p = options.personality ?? 'generic';
	const requests: LiteralRequest[] = [];
	const timers = new Set<NodeJS.Timeout>();
	let previousPrompt = '';
	const send = (res: http.ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}) => {
		if (res.destroyed || res.writableEnded) return;
		res.writeHead(status, { 'content-type': 'application/json', ...headers });
		res.end(JSON.stringify(payload));
	};
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const url = new URL(req.url ?? '/', 'http://localhost');
			if (req.method !== 'POST' || !url.pathname.endsWith('/chat/completions')) {
				send(res, 404, errorBody(p, 404, `no route ${req.method} ${url.pathname}`));
				return;
			}
			let body: any;
			try {
				body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
			} catch {
				send(res, 400, errorBody(p, 400, 'invalid JSON body'));
				return;
			}
			const index = requests.length;
			requests.push({ body, headers: req.headers });
			const key = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
			if (options.apiKey && key !== options.apiKey) {
				const shown = key.length > 8 ? `${key.slice(0, 3)}*****${key.slice(-4)}` : '***';
				send(res, 401, errorBody(p, 401, `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_api_key'));
				return;
			}
			if (options.models && !options.models.includes(body.model)) {
				send(res, 404, errorBody(p, 404, `The model \`${body.model}\` does not exist or you do not have access to it.`, 'model_not_found'));
				return;
			}
			const scripted = options.script?.(body, index);
			if (scripted && 'hang' in scripted) return; // never answers; the client must give up
			if (scripted && 'status' in scripted) {
				send(res, scripted.status, scripted.body ?? errorBody(p, scripted.status, `fake error ${scripted.status}`), scripted.headers);
				return;
			}
			const isReasoning = (model: string) => isReasoningName(model) || (options.reasoningModels ?? []).includes(model);
			const refused = refusal(p, body, isReasoning);
			if (refused) {
				send(res, refused[0], errorBody(p, refused[0], refused[1], refused[2], refused[3]));
				return;
			}
			// "Answer with JSON: {...}" is taken literally too (the doctor's connection check).
			const dictated = /Answer with JSON: (\{.*\})/.exec(String(body.messages?.[0]?.content ?? ''))?.[1];
			const answer = scripted && 'content' in scripted ? scripted.content : (dictated ?? JSON.stringify(literalAnswer(body, options)));
			// Without response_format a chat model wraps its JSON in a code fence, as Claude does.
			let content: string | null = !body.response_format && !(scripted && 'content' in scripted) ? `Here is my answer:\n\`\`\`json\n${answer}\n\`\`\`` : answer;
			let finishReason = scripted && 'content' in scripted ? (scripted.finishReason ?? 'stop') : 'stop';
			// A reasoning model thinks first; when that uses up the output limit nothing is left for the answer.
			const limit = body.max_completion_tokens ?? body.max_tokens;
			if (isReasoning(body.model) && options.reasoningTokens && limit !== undefined && options.reasoningTokens >= limit) {
				content = '';
				finishReason = 'length';
			}
			const refusalText = scripted && 'refusal' in scripted ? scripted.refusal : null;
			if (refusalText) content = null;
			const prompt = (body.messages ?? []).map((m: any) => `${m.role}:${m.content}`).join('\n');
			let common = 0;
			while (common < prompt.length && common < previousPrompt.length && prompt[common] === previousPrompt[common]) common++;
			previousPrompt = prompt;
			const completion = JSON.stringify({
				id: `chatcmpl-literal-${index}`,
				object: 'chat.completion',
				created: Math.floor(Date.now() / 1000),
				model: body.model,
				choices: [{ index: 0, message: { role: 'assistant', content, refusal: refusalText }, logprobs: null, finish_reason: finishReason }],
				usage: {
					prompt_tokens: roughTokens(prompt),
					completion_tokens: roughTokens(content ?? refusalText ?? ''),
					total_tokens: roughTokens(prompt) + roughTokens(content ?? refusalText ?? ''),
					// What a provider's prefix cache would reuse from the previous request.
					prompt_tokens_details: { cached_tokens: Math.floor(common / 4) },
				},
			});
			if (scripted && 'slowBodyMs' in scripted) {
				res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(completion)) });
				let i = 0;
				const tick = () => {
					if (res.destroyed || i >= completion.length) return;
					res.write(completion[i++]);
					const t = setTimeout(() => {
						timers.delete(t);
						tick();
					}, scripted.slowBodyMs);
					timers.add(t);
				};
				tick();
				return;
			}
			send(res, 200, JSON.parse(completion));
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}/v1`,
		requests,
		close: () =>
			new Promise<void>((resolve) => {
				for (const t of timers) clearTimeout(t);
				timers.clear();
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}
