// Property-based fuzzing of every route the server registers (on SQLite here, on PostgreSQL in the server-pg run):
// whatever the path, query, headers and body, the answer is never a 5xx, and a 4xx leaves every table as it was.
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { buildTestApp, type TestApp } from '../testing/harness';

const TABLES = [
	'workspaces',
	'api_keys',
	'contacts',
	'conversations',
	'messages',
	'timeline',
	'subscriptions',
	'events',
	'deliveries',
	'idempotency_keys',
	'widget_keys',
	'widget_sessions',
	'widget_appearances',
	'workspace_agents',
] as const;

interface Route {
	method: string;
	url: string;
}

/** Every route from the router's own listing (HEAD and the CORS preflight aside), so a new route is fuzzed too. */
function routesOf(tree: string): Route[] {
	const out: Route[] = [];
	const stack: string[] = [];
	for (const line of tree.split('\n')) {
		const m = /^([│ ]*)[├└]── (\S+)(?: \(([^)]+)\))?/.exec(line);
		if (!m) continue;
		const depth = m[1].length / 4;
		stack.length = depth;
		stack[depth] = m[2];
		const url = stack.join('');
		for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
			if (method !== 'HEAD' && method !== 'OPTIONS') out.push({ method, url });
		}
	}
	return out;
}

/** Requests per route; FUZZ_RUNS raises it for a longer hunt. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

let t: TestApp;
let ids: Record<string, string>;
let routes: Route[];

beforeAll(async () => {
	// Live streams stay open by design: with no stream allowed, their routes are fuzzed up to the limit's 429.
	t = await buildTestApp({
		rateLimitPerMinute: 0,
		authFailuresPerMinute: 1_000_000,
		metricsPublic: true,
		conversations: { sweepIntervalMs: 0 },
		web: { rateLimit: { messages: 1_000_000, polls: 1_000_000 } },
		live: { connectionsPerWorkspace: 0 },
	});
	const sub = (await t.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/webhook-test/x', events: ['agent.action.triggered', 'contact.tag.added'] })).json();
	const chat = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'budget:25k fire:lead_scoring' })).json();
	const widgetKey = (await t.call('POST', '/v1/widget-keys', { allowedOrigins: ['https://shop.example.com'] })).json();
	const agent = (await t.call('POST', '/v1/agents', { id: 'fuzz-agent', name: 'Fuzz' })).json();
	const apiKey = (await t.call('POST', '/v1/api-keys', { name: 'spare', scopes: ['nodes'] })).json();
	const delivery = await t.app.agentBridge.store.db.selectFrom('deliveries').select('id').executeTakeFirstOrThrow();
	ids = {
		contact: chat.contact.id,
		conversation: chat.conversation.id,
		subscription: sub.id,
		widgetKeyId: widgetKey.id,
		widgetKey: widgetKey.key,
		agent: agent.id,
		apiKey: apiKey.id,
		delivery: delivery.id,
		event: chat.actions.find((a: { eventId?: string }) => a.eventId)?.eventId ?? 'evt_none',
	};
	// Deleting and rotating come last, so the other routes meet the seeded objects.
	const destructive = (r: Route) => r.method === 'DELETE' || r.url.endsWith('/rotate');
	routes = routesOf(t.app.printRoutes({ commonPrefix: false })).sort((a, b) => Number(destructive(a)) - Number(destructive(b)));
});
afterAll(() => t.close());

/** encodeURIComponent, except that a lone surrogate goes out as its WTF-8 bytes (invalid UTF-8) instead of throwing. */
function enc(s: string): string {
	let out = '';
	for (const ch of s) {
		const code = ch.codePointAt(0)!;
		out += code >= 0xd800 && code <= 0xdfff ? [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63)].map((b) => `%${b.toString(16).toUpperCase()}`).join('') : encodeURIComponent(ch);
	}
	return out;
}

async function dbState(): Promise<string[]> {
	const db = t.app.agentBridge.store.db;
	const out: string[] = [];
	for (const table of TABLES) {
		const rows = await db.selectFrom(table).selectAll().execute();
		out.push(`${table}:${rows.map((r) => JSON.stringify(r)).sort().join('\n')}`);
	}
	return out;
}

/** Strings a hostile client would try: control characters, surrogates, long, encoded, and the real ids. */
const nastyString = () =>
	fc.oneof(
		fc.string({ maxLength: 20 }),
		fc.string({ unit: 'binary', maxLength: 20 }),
		fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\ud800', '\u001b[31m', '../../etc/passwd', '%00', '%FF', '{{contact.email}}', 'a'.repeat(101), 'x'.repeat(5000), '😀'),
		fc.constantFrom(...Object.values(ids)),
	);

const jsonValue = () => fc.oneof(nastyString(), fc.jsonValue({ maxDepth: 2 }), fc.constant(null), fc.integer(), fc.double(), fc.boolean());

/** A plausible body for the route, so mutations reach past the first schema check. */
function sampleBody(route: Route): Record<string, unknown> | undefined {
	const key = `${route.method} ${route.url}`;
	const samples: Record<string, Record<string, unknown>> = {
		'POST /v1/chat': { agentId: 'test-agent', text: 'hi budget:10k', conversationId: ids.conversation },
		'POST /v1/conversations': { agentId: 'test-agent', contactId: ids.contact, text: 'Hello {{contact.first_name}}' },
		'POST /v1/conversations/:id/replies': { text: 'Thanks {{contact.first_name}}' },
		'POST /v1/conversations/:id/end': { outcome: 'booked' },
		'POST /v1/conversations/:id/handoff': { reason: 'asked' },
		'POST /v1/conversations/:id/human-replies': { text: 'hello', author: 'Sam' },
		'POST /v1/conversations/:id/events/send': { subscriptionId: ids.subscription },
		'POST /v1/contacts': { firstName: 'Dana', customFields: { plan: 'pro' }, tags: ['vip'] },
		'PATCH /v1/contacts/:id': { email: 'dana@example.com', customFields: { plan: 'pro' } },
		'POST /v1/contacts/:id/tags': { tags: ['hot_lead'] },
		'POST /v1/contacts/:id/score': { writeToField: 'lead_score' },
		'POST /v1/subscriptions': { url: 'http://127.0.0.1:9/hook', events: ['contact.tag.added'], filters: { tags: ['vip'] } },
		'POST /v1/agents': { id: 'made-by-fuzz', name: 'Made' },
		'PUT /v1/agents/:agentId': { name: 'Renamed' },
		'POST /v1/widget-keys': { allowedOrigins: ['https://a.example.com'] },
		'PATCH /v1/widget-keys/:id': { allowedOrigins: ['https://shop.example.com'], name: 'shop' },
		'PATCH /v1/widget-keys/:id/appearance': { title: 'Shop', accentColor: '#123456', position: 'bottom-left', avatar: null },
		'POST /v1/api-keys': { name: 'fuzzed', scopes: ['inspector'] },
		'POST /v1/deliveries/replay': { subscriptionId: ids.subscription },
		'POST /widget/v1/messages': { agentId: 'other-agent', text: 'hi' },
	};
	return samples[key];
}

const paramValue: Record<string, () => string> = {
	id: () => ids.contact,
	agentId: () => ids.agent,
	tag: () => 'vip',
	type: () => 'contact.tag.added',
};

/** The route's path with real ids, or with hostile values in their place. */
function pathArb(route: Route): fc.Arbitrary<string> {
	const names = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]);
	const real = (name: string) => {
		if (name !== 'id') return paramValue[name]?.() ?? 'x';
		if (route.url.startsWith('/v1/conversations')) return ids.conversation;
		if (route.url.startsWith('/v1/subscriptions')) return ids.subscription;
		if (route.url.startsWith('/v1/widget-keys')) return ids.widgetKeyId;
		if (route.url.startsWith('/v1/api-keys')) return ids.apiKey;
		if (route.url.startsWith('/v1/deliveries')) return ids.delivery;
		return ids.contact;
	};
	const value = (name: string) => fc.oneof({ weight: 3, arbitrary: fc.constant(enc(real(name))) }, { weight: 2, arbitrary: nastyString().map(enc) }, { weight: 1, arbitrary: fc.constantFrom('%00', '%FF', '%C3%28', '%ED%A0%80') });
	return fc.tuple(...names.map(value)).map((values) => names.reduce((url, name, i) => url.replace(`:${name}`, values[i]), route.url));
}

function queryArb(route: Route): fc.Arbitrary<string> {
	const known = ['key', 'email', 'phone', 'status', 'agentId', 'limit', 'since', 'after', 'subscriptionId', 'eventId', 'cursor', 'q', 'wait'];
	const pair = fc.tuple(fc.oneof(fc.constantFrom(...known), fc.string({ maxLength: 8 })), fc.oneof(nastyString(), fc.integer().map(String)));
	const widget = route.url.startsWith('/widget/v1') ? [['key', ids.widgetKey] as [string, string]] : [];
	return fc.array(pair, { maxLength: 4 }).map((pairs) => {
		const all = [...widget, ...pairs].filter(([k]) => k !== 'wait');
		// A long poll is held open: fuzz it without waiting.
		if (route.method === 'GET' && route.url === '/widget/v1/messages') all.push(['wait', '0']);
		const raw = all.map(([k, v]) => `${enc(k)}=${enc(v)}`);
		return raw.length ? `?${raw.join('&')}` : '';
	});
}

function bodyArb(route: Route): fc.Arbitrary<string | Buffer | undefined> {
	const sample = sampleBody(route);
	const mutated = sample
		? fc.tuple(fc.constantFrom(...Object.keys(sample), 'unknownKey'), fc.oneof(jsonValue(), fc.constant(undefined))).map(([k, v]) => JSON.stringify({ ...sample, [k]: v }))
		: fc.constant(undefined);
	return fc.oneof(
		{ weight: 4, arbitrary: mutated },
		{ weight: 2, arbitrary: fc.constant(sample ? JSON.stringify(sample) : undefined) },
		{ weight: 2, arbitrary: jsonValue().map((v) => JSON.stringify(v)) },
		{ weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
		{ weight: 1, arbitrary: fc.constantFrom('{', '{"a":', '[]', 'null', '""', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}') },
	);
}

function headersArb(route: Route): fc.Arbitrary<Record<string, string>> {
	const auth = fc.oneof(
		{ weight: 18, arbitrary: fc.constant(`Bearer ${t.apiKey}`) },
		{ weight: 1, arbitrary: fc.constantFrom('', 'Bearer', `bearer ${t.apiKey}`, 'Basic abc', `Bearer ${t.apiKey}x`) },
		{ weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')) },
	);
	const optional = (arb: fc.Arbitrary<string>) => fc.option(arb.map((s) => s.replace(/[^\x20-\x7e]/g, '')), { nil: undefined });
	return fc
		.record({
			authorization: auth,
			'idempotency-key': optional(fc.string({ maxLength: 40 })),
			'x-agent-bridge-causation': optional(fc.oneof(fc.constant(ids.event), fc.string({ maxLength: 40 }))),
			'x-widget-session': optional(fc.string({ maxLength: 40 })),
			'content-type': fc.oneof({ weight: 8, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') }, { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded') }),
			origin: fc.constantFrom('https://shop.example.com', 'https://evil.example.com'),
		})
		.map((h) => {
			const out: Record<string, string> = {};
			for (const [k, v] of Object.entries(h)) if (v !== undefined && (k !== 'authorization' || route.url.startsWith('/v1') || v !== '')) out[k] = v;
			return out;
		});
}

describe('every route under arbitrary input', () => {
	test('the router lists the routes this suite fuzzes', () => {
		expect(routes.length).toBeGreaterThan(40);
		expect(routes).toEqual(expect.arrayContaining([{ method: 'POST', url: '/v1/chat' }, { method: 'GET', url: '/widget/v1/agents/:agentId' }, { method: 'DELETE', url: '/v1/contacts/:id/tags/:tag' }]));
	});

	test('never answers 5xx, and a 4xx changes nothing', async () => {
		const failures: string[] = [];
		for (const route of routes) {
			await fc.assert(
				fc.asyncProperty(pathArb(route), queryArb(route), bodyArb(route), headersArb(route), async (path, query, body, headers) => {
					const before = await dbState();
					const hasBody = body !== undefined && route.method !== 'GET' && route.method !== 'DELETE';
					let res: LightMyRequestResponse;
					try {
						res = await t.app.inject({ method: route.method as 'GET', url: path + query, headers, ...(hasBody ? { payload: body } : {}) });
					} catch (err) {
						// A URL light-my-request itself cannot send is not a server answer.
						if (/Invalid URL|ERR_INVALID_URL/.test(String(err))) return;
						throw err;
					}
					const where = `${route.method} ${path}${query} ${hasBody ? String(body).slice(0, 200) : ''}`;
					// /readyz answers 503 by design while a part is not ready (the test app runs without its relay).
					const notReady = route.url === '/readyz' && res.statusCode === 503;
					expect({ where, status: res.statusCode < 500 || notReady ? 'not 5xx' : res.body }).toEqual({ where, status: 'not 5xx' });
					if (res.statusCode >= 400) expect({ where, unchanged: (await dbState()).join('\n') === before.join('\n') }).toEqual({ where, unchanged: true });
				}),
				{ numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 20261130), endOnFailure: true },
			).catch((err: Error) => failures.push(`${route.method} ${route.url}: ${err.message.split('\n').slice(0, 12).join('\n')}`));
		}
		expect(failures).toEqual([]);
	}, 600_000);
});
