// A turn never outlasts its deadline whatever the provider does, and every failure class is reported with a reason.
import { loadAgents } from '../agents/agent-files';
import { createModelEngine } from './model';
import type { ModelEvent, ModelRequestEvent } from './model-client';
import type { TurnInput } from './types';
import { startLiteralModel, type LiteralModel, type Scripted } from '../testing/literal-model';

const agent = loadAgents().get('lead-qualifier')!;
const DEADLINE = 1_200;
let fake: LiteralModel;
afterEach(async () => {
	await fake?.close();
});

const input: TurnInput = {
	agent,
	contact: { id: 'c', firstName: 'Dana', lastName: null, email: null, phone: null, customFields: {}, tags: [] },
	conversation: { id: 'v', channel: 'web', collected: { service_needed: 'website' }, firedActions: [], turn: 2 },
	transcript: [{ role: 'agent', text: 'What budget do you have in mind for this project?', at: '2026-11-24T12:00:00Z' }],
	message: 'about $20k',
};

/**
 * A clock that moves only when the engine waits between retries: the deadline and every wait are then exact whatever
 * the machine's speed (each request's own timeout still runs on real time).
 */
function waitingClock() {
	let at = Date.parse('2026-11-24T12:00:00Z');
	const waits: number[] = [];
	return {
		waits,
		now: () => at,
		sleep: async (ms: number) => {
			waits.push(ms);
			at += ms;
		},
	};
}

type Over = { timeoutMs?: number; maxRetries?: number; turnDeadlineMs?: number; retryClock?: ReturnType<typeof waitingClock> };

async function turnAgainst(script: (i: number) => Scripted | undefined, over: Over = {}) {
	fake = await startLiteralModel({ script: (_b, i) => script(i) });
	const events: ModelEvent[] = [];
	const engine = createModelEngine({ baseURL: fake.url, apiKey: 'sk-secret-test-key-0123456789', model: 'm', timeoutMs: 1_000, maxRetries: 3, turnDeadlineMs: DEADLINE, onEvent: (e) => events.push(e), ...over });
	const started = Date.now();
	const outcome = await engine.runTurn(input);
	return { outcome, elapsed: Date.now() - started, events, requests: (events.filter((e) => e.type === 'request') as ModelRequestEvent[]) };
}

describe('the turn deadline', () => {
	test('429 with a Retry-After far beyond the deadline falls back at once instead of sleeping', async () => {
		const clock = waitingClock();
		const { outcome, requests } = await turnAgainst(() => ({ status: 429, headers: { 'retry-after': '240' } }), { retryClock: clock });
		expect(clock.waits).toEqual([]);
		expect(requests).toHaveLength(1);
		expect(outcome.fallback).toBe('model answered HTTP 429; its Retry-After of 240 s is beyond the turn deadline');
		expect(outcome.reply).toBe('And when would you like to get started?'); // the rules' next question, budget kept
		expect(outcome.collected).toEqual({ budget: '$20,000' });
	});

	test('a short Retry-After is honoured and the retry answers', async () => {
		const clock = waitingClock();
		const { outcome, requests } = await turnAgainst((i) => (i === 0 ? { status: 429, headers: { 'retry-after-ms': '100' } } : undefined), { retryClock: clock });
		expect(clock.waits).toEqual([100]);
		expect(outcome.fallback).toBeUndefined();
		expect(requests.map((r) => r.outcome)).toEqual(['http_error', 'ok']);
		expect(outcome.modelRequests).toBe(2);
	});

	test('a server that never answers costs at most the deadline, retries included', async () => {
		// Real time: attempts time out at 500 ms, 250 ms apart; the second is cut at the deadline (1,200 ms), not by its own
		// timeout. Without the deadline a third attempt would follow: the turn ends before that one could have timed out.
		const timeoutMs = 500;
		const { outcome, elapsed, requests } = await turnAgainst(() => ({ hang: true }), { timeoutMs });
		expect(elapsed).toBeLessThan(DEADLINE + timeoutMs);
		expect(requests.length).toBeGreaterThanOrEqual(2);
		expect(requests.at(-1)!.outcome).toBe('deadline');
		expect(outcome.fallback).toMatch(/timed out|deadline/);
	});

	test('a body that trickles in byte by byte is cut at the deadline', async () => {
		// Real time: the answer's hundreds of bytes at 50 ms each would take many times the deadline.
		const { outcome, elapsed } = await turnAgainst(() => ({ slowBodyMs: 50 }), { timeoutMs: DEADLINE });
		expect(elapsed).toBeLessThan(2 * DEADLINE);
		expect(outcome.fallback).toMatch(/timed out|deadline/);
		expect(outcome.reply).toBe('And when would you like to get started?');
	});

	test('5xx on every attempt stops retrying when no time is left', async () => {
		// Retry-After 1 s, a 1.9 s deadline, three retries allowed: one wait, a second attempt, then no time for another.
		const clock = waitingClock();
		const { outcome, requests } = await turnAgainst(() => ({ status: 503, headers: { 'retry-after': '1' } }), { turnDeadlineMs: 1_900, retryClock: clock });
		expect(clock.waits).toEqual([1_000]);
		expect(requests.map((r) => r.status)).toEqual([503, 503]);
		expect(outcome.fallback).toBe('model answered HTTP 503; its Retry-After of 1 s is beyond the turn deadline');
	});
});

describe('every failure class is reported (for the warn log and the counters) without secrets', () => {
	const classes: [string, () => Scripted, string, string][] = [
		['wrong key', () => ({ status: 401, body: { error: { message: 'Incorrect API key provided: sk-secret-test-key-0123456789.', type: 'invalid_request_error', code: 'invalid_api_key' } } }), 'http_error', 'auth'],
		['refused parameter', () => ({ status: 400, body: { error: { message: "Unsupported parameter: 'max_tokens'", type: 'invalid_request_error' } } }), 'http_error', 'bad_request'],
		['unknown model', () => ({ status: 404 }), 'http_error', 'not_found'],
		['rate limited', () => ({ status: 429 }), 'http_error', 'rate_limited'],
		['server error', () => ({ status: 500 }), 'http_error', 'server_error'],
		['malformed answer', () => ({ content: 'I think the budget is' }), 'malformed', 'malformed'],
		['hang', () => ({ hang: true }), 'timeout', 'timeout'],
	];
	test.each(classes)('%s', async (_name, script, outcome, kind) => {
		const { events } = await turnAgainst(script, { maxRetries: 0, timeoutMs: 300 });
		const request = events.find((e) => e.type === 'request') as ModelRequestEvent;
		const fallback = events.find((e) => e.type === 'fallback');
		expect(request).toMatchObject({ provider: 'generic', purpose: 'turn', outcome });
		expect(fallback).toMatchObject({ type: 'fallback', purpose: 'turn', kind });
		expect(JSON.stringify(events)).not.toContain('sk-secret-test-key-0123456789');
	});

	test('an unreachable endpoint', async () => {
		const events: ModelEvent[] = [];
		const engine = createModelEngine({ baseURL: 'http://127.0.0.1:9/v1', apiKey: 'k', model: 'm', maxRetries: 0, onEvent: (e) => events.push(e) });
		const outcome = await engine.runTurn(input);
		expect(outcome.fallback).toBe('model endpoint unreachable');
		expect(events.map((e) => (e.type === 'request' ? e.outcome : e.kind))).toEqual(['unreachable', 'unreachable']);
	});
});
