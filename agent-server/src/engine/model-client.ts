// One JSON answer from an OpenAI-compatible endpoint within a deadline: the engine's own retries (the SDK's are off) so
// that every attempt, every backoff and every Retry-After fits in one budget, and every request is reported.
import OpenAI from 'openai';
import { z } from 'zod';
import { requestParams, schemaInstructions, type ProviderProfile } from './providers';

export type RequestOutcome = 'ok' | 'http_error' | 'timeout' | 'unreachable' | 'malformed' | 'output_limit' | 'refused' | 'deadline';
export type Purpose = 'turn' | 'score' | 'compose' | 'check';

/** One provider request, as observability sees it: no prompt, no answer, no key. */
export interface ModelRequestEvent {
	type: 'request';
	provider: string;
	model: string;
	purpose: Purpose;
	outcome: RequestOutcome;
	status?: number;
	reason: string; // short and secret-free, e.g. "model answered HTTP 429"
	detail?: string; // the provider's own error message, with anything key-like removed
	attempt: number; // 1 for the first request of a call
	latencyMs: number;
	tokensIn: number;
	tokensOut: number;
}

/** A turn, score or message that fell back to the rules because the model failed. */
export interface ModelFallbackEvent {
	type: 'fallback';
	purpose: Purpose;
	kind: FailureKind;
	reason: string;
	detail?: string; // the provider's message or the model's refusal, secret-free
}

export type ModelEvent = ModelRequestEvent | ModelFallbackEvent;
export type ModelListener = (event: ModelEvent) => void;

/**
 * The failure classes fallbacks are counted by (a bounded set, for metric labels): `malformed` is an answer that is
 * not JSON (or a 200 whose body is not a completion), `invalid_shape` JSON of the wrong shape, `output_limit` an answer
 * cut at MODEL_MAX_TOKENS, `refused` a model's refusal.
 */
export type FailureKind =
	| 'timeout'
	| 'deadline'
	| 'rate_limited'
	| 'auth'
	| 'bad_request'
	| 'not_found'
	| 'server_error'
	| 'unreachable'
	| 'malformed'
	| 'invalid_shape'
	| 'output_limit'
	| 'refused'
	| 'budget';

/** Error codes of a model's own output failure (the request was fine, the generation was not): worth one more try. */
const OUTPUT_FAILURE_CODES = new Set(['json_validate_failed']);

export class ModelCallError extends Error {
	constructor(
		readonly kind: FailureKind,
		readonly reason: string,
		readonly requests: number,
		readonly status?: number,
		readonly detail?: string,
	) {
		super(reason);
	}
}

export interface ModelClientOptions {
	baseURL: string;
	apiKey: string;
	profile: ProviderProfile;
	timeoutMs: number; // one request
	maxRetries: number;
	temperature?: number;
	maxTokens: number;
	listener: ModelListener;
	/** The clock and sleep, replaceable in tests. */
	now?: () => number;
	sleep?: (ms: number) => Promise<void>;
}

export interface JsonAnswer {
	value: unknown;
	requests: number;
	tokensIn: number;
	tokensOut: number;
}

const MAX_DETAIL = 200;

/** The provider's error message without anything that looks like a credential. */
export function redact(text: string, apiKey: string): string {
	let out = text;
	if (apiKey.length >= 4) out = out.split(apiKey).join('[redacted]');
	out = out.replace(/\b(sk|pk|gsk|key|AIza)[-_A-Za-z0-9*]{8,}/g, '[redacted]').replace(/[A-Za-z0-9_*-]{32,}/g, '[redacted]');
	return out.length > MAX_DETAIL ? `${out.slice(0, MAX_DETAIL)}…` : out;
}

/** The message inside any of the error body shapes providers use (OpenAI, vLLM, Gemini, Anthropic, plain text). */
export function messageFromErrorBody(text: string): string | undefined {
	let body: any;
	try {
		body = JSON.parse(text);
	} catch {
		return text.trim() ? text.trim() : undefined;
	}
	const candidates: unknown[] = Array.isArray(body) ? [body[0]?.error, body[0]] : [body?.error, body];
	for (const c of candidates) {
		if (typeof c === 'string' && c.trim()) return c;
		if (c && typeof c === 'object') {
			const message = (c as any).message;
			if (typeof message === 'string') return message;
			// Mistral's 422: `{ message: { detail: [{ loc, msg }] } }`; FastAPI servers put `detail` at the top.
			const detail = validationDetail(message?.detail ?? (c as any).detail);
			if (detail) return detail;
		}
	}
	return undefined;
}

/** A validation error list (`[{ loc: ["body", "x"], msg }]`) as one line: "body.x: Extra inputs are not permitted". */
function validationDetail(detail: unknown): string | undefined {
	if (typeof detail === 'string' && detail.trim()) return detail;
	if (!Array.isArray(detail)) return undefined;
	const lines = detail
		.filter((d) => d && typeof d === 'object' && typeof d.msg === 'string')
		.map((d) => (Array.isArray(d.loc) ? `${d.loc.join('.')}: ${d.msg}` : d.msg));
	return lines.length ? lines.join('; ') : undefined;
}

/** The error code in any of the body shapes (`error.code`, a top-level `code`), when it is a string. */
function codeFromErrorBody(text: string): string | undefined {
	try {
		const body = JSON.parse(text);
		const code = (Array.isArray(body) ? body[0]?.error : (body?.error ?? body))?.code;
		return typeof code === 'string' ? code : undefined;
	} catch {
		return undefined;
	}
}

/**
 * fetch for the SDK that rewrites any provider's error body into OpenAI's `{ error: { message } }`, so the message
 * survives (the SDK reads only that shape; vLLM answers at the top level, Gemini inside an array).
 */
async function normalisingFetch(url: string | URL | Request, init?: RequestInit): Promise<Response> {
	const res = await fetch(url, init);
	if (res.ok) return jsonOrThrow(res);
	const text = await res.text().catch(() => '');
	const headers = new Headers(res.headers);
	headers.delete('content-length');
	headers.delete('content-encoding');
	headers.set('content-type', 'application/json');
	const message = messageFromErrorBody(text) ?? `HTTP ${res.status}`;
	const code = codeFromErrorBody(text);
	return new Response(JSON.stringify({ error: { message, ...(code ? { code } : {}) } }), { status: res.status, statusText: res.statusText, headers });
}

/** A 200 whose body is not JSON (a proxy's HTML page): the endpoint answered, so it is no connection failure. */
export class NotJsonBody extends Error {}

async function jsonOrThrow(res: Response): Promise<Response> {
	const text = await res.text();
	try {
		JSON.parse(text);
	} catch {
		throw new NotJsonBody(text.replace(/\s+/g, ' ').trim().slice(0, 120));
	}
	const headers = new Headers(res.headers);
	headers.delete('content-length');
	headers.delete('content-encoding');
	headers.set('content-type', 'application/json');
	return new Response(text, { status: res.status, statusText: res.statusText, headers });
}

/** The provider's message of an SDK error. */
export function providerMessage(error: unknown): string | undefined {
	if (!(error instanceof OpenAI.APIError)) return undefined;
	const body = error.error as any;
	return typeof body?.message === 'string' ? body.message : undefined;
}

function providerCode(error: unknown): string | undefined {
	if (!(error instanceof OpenAI.APIError)) return undefined;
	const code = (error.error as any)?.code;
	return typeof code === 'string' ? code : undefined;
}

function statusKind(status: number): FailureKind {
	if (status === 401 || status === 403) return 'auth';
	if (status === 404) return 'not_found';
	if (status === 429) return 'rate_limited';
	if (status === 408) return 'timeout';
	if (status >= 500) return 'server_error';
	return 'bad_request';
}

function retryable(status: number | undefined): boolean {
	return status === undefined || status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Milliseconds the provider asks to wait (`retry-after-ms`, `retry-after` in seconds or as a date), or null. */
export function retryAfterMs(headers: Headers | undefined, now: number): number | null {
	if (!headers || typeof headers.get !== 'function') return null;
	const ms = Number(headers.get('retry-after-ms'));
	if (headers.get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms;
	const raw = headers.get('retry-after');
	if (!raw) return null;
	const seconds = Number(raw);
	if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
	const date = Date.parse(raw);
	return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** The JSON object in an answer, also when a model wrapped it in a code fence or a sentence. */
export function parseJsonAnswer(content: string): unknown {
	try {
		return JSON.parse(content);
	} catch (error) {
		const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(content)?.[1];
		const braces = content.indexOf('{') >= 0 ? content.slice(content.indexOf('{'), content.lastIndexOf('}') + 1) : '';
		for (const candidate of [fenced, braces]) {
			if (!candidate) continue;
			try {
				return JSON.parse(candidate);
			} catch {
				// try the next shape
			}
		}
		throw error;
	}
}

/** Why a JSON answer does not fit the expected shape, short. */
export function shapeReason(error: z.ZodError): string {
	const first = error.issues[0];
	return `model answer did not match the expected shape (${first ? `${first.path.join('.') || 'root'}: ${first.message}` : 'invalid'})`;
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A chat client bound to one endpoint and profile; `completeJson` never outlives its deadline. */
export function createModelClient(options: ModelClientOptions) {
	const now = options.now ?? Date.now;
	const wait = options.sleep ?? sleep;
	const client = new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey, maxRetries: 0, timeout: options.timeoutMs, fetch: normalisingFetch });
	const provider = options.profile.id;

	/** One request, aborted when its own timeout or the deadline passes, whichever comes first (body reading included). */
	async function attempt(body: Record<string, unknown>, deadlineAt: number): Promise<OpenAI.Chat.ChatCompletion> {
		const remaining = deadlineAt - now();
		const limit = Math.min(options.timeoutMs, remaining);
		const controller = new AbortController();
		let timer: NodeJS.Timeout | undefined;
		const expired = new Promise<never>((_, reject) => {
			timer = setTimeout(() => {
				const error = new ModelCallError(limit < options.timeoutMs ? 'deadline' : 'timeout', limit < options.timeoutMs ? 'turn deadline reached' : 'model request timed out', 0);
				controller.abort(error);
				reject(error);
			}, limit);
		});
		try {
			const request = client.chat.completions.create(body as never, { signal: controller.signal, timeout: limit + 1_000, maxRetries: 0 }) as Promise<OpenAI.Chat.ChatCompletion>;
			request.catch(() => undefined); // the race below reports the failure
			return await Promise.race([request, expired]);
		} finally {
			clearTimeout(timer);
		}
	}

	function classify(error: unknown): { outcome: RequestOutcome; kind: FailureKind; reason: string; status?: number; detail?: string; outputFailure?: boolean } {
		if (error instanceof ModelCallError) return { outcome: error.kind === 'deadline' ? 'deadline' : error.kind === 'malformed' ? 'malformed' : 'timeout', kind: error.kind, reason: error.reason };
		if (error instanceof OpenAI.APIConnectionTimeoutError) return { outcome: 'timeout', kind: 'timeout', reason: 'model request timed out' };
		if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
			const message = providerMessage(error);
			const code = providerCode(error);
			const outputFailure = code !== undefined && OUTPUT_FAILURE_CODES.has(code);
			return {
				outcome: 'http_error',
				kind: outputFailure ? 'malformed' : statusKind(error.status),
				reason: outputFailure ? `model output failed (HTTP ${error.status} ${code})` : `model answered HTTP ${error.status}`,
				status: error.status,
				...(message ? { detail: redact(message, options.apiKey) } : {}),
				outputFailure,
			};
		}
		// A 200 whose body is not JSON (a proxy's HTML page): the endpoint answered, it is not unreachable.
		if (error instanceof OpenAI.APIConnectionError && error.cause instanceof NotJsonBody) {
			return { outcome: 'malformed', kind: 'malformed', reason: 'model endpoint answered HTTP 200 with a body that is not JSON', detail: redact(error.cause.message, options.apiKey) };
		}
		if (error instanceof SyntaxError) return { outcome: 'malformed', kind: 'malformed', reason: 'model endpoint answered HTTP 200 with a body that is not JSON', detail: redact(error.message, options.apiKey) };
		if (error instanceof OpenAI.APIConnectionError) return { outcome: 'unreachable', kind: 'unreachable', reason: 'model endpoint unreachable' };
		return { outcome: 'unreachable', kind: 'unreachable', reason: `model call failed (${error instanceof Error ? error.name : 'unknown error'})` };
	}

	/**
	 * Sends the messages with the profile's parameters and returns the parsed JSON answer. Retries 408/409/429/5xx and
	 * connection failures up to `maxRetries`, waiting what Retry-After asks; gives up at once when that wait, or any
	 * backoff, would pass `deadlineAt`. Throws a ModelCallError carrying the number of requests made.
	 */
	async function completeJson<T = unknown>(
		purpose: Purpose,
		model: string,
		messages: OpenAI.Chat.ChatCompletionMessageParam[],
		name: string,
		schema: Record<string, unknown>,
		deadlineAt: number,
		/** The answer's expected shape: a wrong shape is a failed request (`invalid_shape`), not an `ok` one. */
		shape?: z.ZodType<T>,
	): Promise<JsonAnswer & { value: T }> {
		const instructions = schemaInstructions(options.profile, schema);
		const withSchema = instructions && messages[0]?.role === 'system'
			? [{ role: 'system' as const, content: `${messages[0].content as string}\n\n${instructions}` }, ...messages.slice(1)]
			: messages;
		const body = {
			model,
			messages: withSchema,
			...requestParams(options.profile, { temperature: options.temperature, maxTokens: options.maxTokens, name, schema }),
		};
		let requests = 0;
		let outputRetried = false;
		for (;;) {
			if (deadlineAt - now() <= 0) throw new ModelCallError('deadline', 'turn deadline reached', requests);
			requests++;
			const started = now();
			const base = { type: 'request' as const, provider, model, purpose, attempt: requests };
			try {
				const completion = await attempt(body, deadlineAt);
				const usage = { tokensIn: completion.usage?.prompt_tokens ?? 0, tokensOut: completion.usage?.completion_tokens ?? 0 };
				const fail = (kind: FailureKind, outcome: RequestOutcome, reason: string, detail?: string): never => {
					options.listener({ ...base, outcome, reason, ...(detail ? { detail } : {}), latencyMs: now() - started, ...usage });
					throw new ModelCallError(kind, reason, requests, undefined, detail);
				};
				if (!completion || typeof completion !== 'object') fail('malformed', 'malformed', 'model endpoint answered HTTP 200 with a body that is not a chat completion', typeof completion === 'string' ? redact(completion, options.apiKey) : undefined);
				const choice = completion.choices?.[0];
				const refusal = choice?.message?.refusal;
				if (typeof refusal === 'string' && refusal.trim()) fail('refused', 'refused', 'model refused to answer', redact(refusal, options.apiKey));
				const content = choice?.message?.content;
				let value: unknown;
				try {
					if (typeof content !== 'string') throw new SyntaxError('no message content');
					value = parseJsonAnswer(content);
				} catch {
					// An answer cut at the output limit is empty or broken JSON: say which limit, not "not valid JSON".
					if (choice?.finish_reason === 'length') fail('output_limit', 'output_limit', `output limit reached, raise MODEL_MAX_TOKENS (now ${options.maxTokens})`);
					fail('malformed', 'malformed', typeof content === 'string' ? 'model answer was not valid JSON' : 'model answer had no message content');
				}
				if (shape) {
					const parsed = shape.safeParse(value);
					if (!parsed.success) fail('invalid_shape', 'malformed', shapeReason(parsed.error));
					value = parsed.data;
				}
				options.listener({ ...base, outcome: 'ok', reason: 'ok', latencyMs: now() - started, ...usage });
				return { value: value as T, requests, ...usage };
			} catch (error) {
				if (error instanceof ModelCallError && error.requests > 0) throw error; // already reported above
				const c = classify(error);
				options.listener({ ...base, outcome: c.outcome, reason: c.reason, ...(c.status ? { status: c.status } : {}), ...(c.detail ? { detail: c.detail } : {}), latencyMs: now() - started, tokensIn: 0, tokensOut: 0 });
				// A model's own output failure is tried once more, whatever MODEL_MAX_RETRIES (the request was fine).
				const again = c.outputFailure ? !outputRetried : c.kind !== 'deadline' && c.kind !== 'malformed' && retryable(c.status) && requests <= options.maxRetries;
				if (!again) throw new ModelCallError(c.kind, c.reason, requests, c.status, c.detail);
				if (c.outputFailure) outputRetried = true;
				const headers = error instanceof OpenAI.APIError ? (error.headers as Headers | undefined) : undefined;
				const asked = retryAfterMs(headers, now());
				const backoff = c.outputFailure ? 0 : (asked ?? Math.min(4_000, 250 * 2 ** (requests - 1)));
				if (now() + backoff >= deadlineAt) {
					const why = asked !== null ? `${c.reason}; its Retry-After of ${Math.ceil(asked / 1000)} s is beyond the turn deadline` : `${c.reason}; no time left for a retry`;
					throw new ModelCallError(c.kind, why, requests, c.status, c.detail);
				}
				await wait(backoff);
			}
		}
	}

	return { completeJson, profile: options.profile };
}

export type ModelClient = ReturnType<typeof createModelClient>;
