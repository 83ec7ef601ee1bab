// One JSON answer from an OpenAI-compatible endpoint within a deadline: the engine's own retries (the SDK's are off) so
// that every attempt, every backoff and every Retry-After fits in one budget, and every request is reported.
import OpenAI from 'openai';
import { requestParams, schemaInstructions, type ProviderProfile } from './providers';

export type RequestOutcome = 'ok' | 'http_error' | 'timeout' | 'unreachable' | 'malformed' | 'deadline';
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
}

export type ModelEvent = ModelRequestEvent | ModelFallbackEvent;
export type ModelListener = (event: ModelEvent) => void;

/** The failure classes fallbacks are counted by (a bounded set, for metric labels). */
export type FailureKind = 'timeout' | 'deadline' | 'rate_limited' | 'auth' | 'bad_request' | 'not_found' | 'server_error' | 'unreachable' | 'malformed' | 'budget';

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
		if (c && typeof c === 'object' && typeof (c as any).message === 'string') return (c as any).message;
	}
	return undefined;
}

/**
 * fetch for the SDK that rewrites any provider's error body into OpenAI's `{ error: { message } }`, so the message
 * survives (the SDK reads only that shape; vLLM answers at the top level, Gemini inside an array).
 */
async function normalisingFetch(url: string | URL | Request, init?: RequestInit): Promise<Response> {
	const res = await fetch(url, init);
	if (res.ok) return res;
	const text = await res.text().catch(() => '');
	const headers = new Headers(res.headers);
	headers.delete('content-length');
	headers.delete('content-encoding');
	headers.set('content-type', 'application/json');
	const message = messageFromErrorBody(text) ?? `HTTP ${res.status}`;
	return new Response(JSON.stringify({ error: { message } }), { status: res.status, statusText: res.statusText, headers });
}

/** The provider's message of an SDK error. */
export function providerMessage(error: unknown): string | undefined {
	if (!(error instanceof OpenAI.APIError)) return undefined;
	const body = error.error as any;
	return typeof body?.message === 'string' ? body.message : undefined;
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

	function classify(error: unknown): { outcome: RequestOutcome; kind: FailureKind; reason: string; status?: number; detail?: string } {
		if (error instanceof ModelCallError) return { outcome: error.kind === 'deadline' ? 'deadline' : error.kind === 'malformed' ? 'malformed' : 'timeout', kind: error.kind, reason: error.reason };
		if (error instanceof OpenAI.APIConnectionTimeoutError) return { outcome: 'timeout', kind: 'timeout', reason: 'model request timed out' };
		if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
			const message = providerMessage(error);
			return {
				outcome: 'http_error',
				kind: statusKind(error.status),
				reason: `model answered HTTP ${error.status}`,
				status: error.status,
				...(message ? { detail: redact(message, options.apiKey) } : {}),
			};
		}
		if (error instanceof OpenAI.APIConnectionError) return { outcome: 'unreachable', kind: 'unreachable', reason: 'model endpoint unreachable' };
		return { outcome: 'unreachable', kind: 'unreachable', reason: `model call failed (${error instanceof Error ? error.name : 'unknown error'})` };
	}

	/**
	 * Sends the messages with the profile's parameters and returns the parsed JSON answer. Retries 408/409/429/5xx and
	 * connection failures up to `maxRetries`, waiting what Retry-After asks; gives up at once when that wait, or any
	 * backoff, would pass `deadlineAt`. Throws a ModelCallError carrying the number of requests made.
	 */
	async function completeJson(
		purpose: Purpose,
		model: string,
		messages: OpenAI.Chat.ChatCompletionMessageParam[],
		name: string,
		schema: Record<string, unknown>,
		deadlineAt: number,
	): Promise<JsonAnswer> {
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
		for (;;) {
			if (deadlineAt - now() <= 0) throw new ModelCallError('deadline', 'turn deadline reached', requests);
			requests++;
			const started = now();
			const base = { type: 'request' as const, provider, model, purpose, attempt: requests };
			try {
				const completion = await attempt(body, deadlineAt);
				const usage = { tokensIn: completion.usage?.prompt_tokens ?? 0, tokensOut: completion.usage?.completion_tokens ?? 0 };
				const content = completion.choices?.[0]?.message?.content;
				let value: unknown;
				try {
					if (typeof content !== 'string') throw new SyntaxError('no message content');
					value = parseJsonAnswer(content);
				} catch {
					const reason = typeof content === 'string' ? 'model answer was not valid JSON' : 'model answer had no message content';
					options.listener({ ...base, outcome: 'malformed', reason, latencyMs: now() - started, ...usage });
					throw new ModelCallError('malformed', reason, requests);
				}
				options.listener({ ...base, outcome: 'ok', reason: 'ok', latencyMs: now() - started, ...usage });
				return { value, requests, ...usage };
			} catch (error) {
				if (error instanceof ModelCallError && error.kind === 'malformed') throw error;
				const c = classify(error);
				options.listener({ ...base, outcome: c.outcome, reason: c.reason, ...(c.status ? { status: c.status } : {}), ...(c.detail ? { detail: c.detail } : {}), latencyMs: now() - started, tokensIn: 0, tokensOut: 0 });
				if (c.kind === 'deadline' || !retryable(c.status) || requests > options.maxRetries) throw new ModelCallError(c.kind, c.reason, requests, c.status, c.detail);
				const headers = error instanceof OpenAI.APIError ? (error.headers as Headers | undefined) : undefined;
				const asked = retryAfterMs(headers, now());
				const backoff = asked ?? Math.min(4_000, 250 * 2 ** (requests - 1));
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
