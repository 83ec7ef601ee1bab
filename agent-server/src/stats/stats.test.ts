// Numbers per agent and day from real conversations over the API: what a team reads on the numbers view, and the
// CSV export holding the same rows.
import { countedEntries, roundTripResults } from '../store/stats';
import { addApiKey, createWorkspace } from '../store/workspaces';
import { stubEngine, useRelayApp, waitUntil, type TestApp } from '../testing/harness';
import { STATS_MAX_DAYS } from '../limits';

const s = useRelayApp();
const today = () => new Date().toISOString().slice(0, 10);

/** "fallback" in a message makes the engine answer with its fallback, as when the model fails. */
function engine() {
	const base = stubEngine();
	return stubEngine({ runTurn: async (input) => ({ ...(await base.runTurn(input)), ...(input.message.includes('fallback') ? { fallback: 'model failed' } : {}) }) });
}

/** Three conversations: a fired action whose workflow writes back 80 ms later and fails delivery, a handoff, another agent. */
async function conversations(t: TestApp): Promise<void> {
	const a = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'budget:5000 fire:lead_scoring' })).json();
	await new Promise((r) => setTimeout(r, 80));
	const written = await t.call('PATCH', `/v1/contacts/${a.contact.id}`, { customFields: { lead_score: '8' } }, { 'x-agent-bridge-causation': a.actions[0].eventId });
	expect(written.statusCode).toBe(200);
	await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'this one falls back: fallback', conversationId: a.conversation.id });
	expect((await t.call('POST', `/v1/conversations/${a.conversation.id}/end`, { outcome: 'booked' })).statusCode).toBe(200);

	const b = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'I want a person' })).json();
	await t.call('POST', `/v1/conversations/${b.conversation.id}/handoff`, { reason: 'asked for a human' });
	expect((await t.call('POST', `/v1/conversations/${b.conversation.id}/end`, { outcome: 'browsing' })).statusCode).toBe(200);

	// The other agent talks on the web only.
	expect((await t.call('POST', '/v1/chat', { agentId: 'other-agent', text: 'hi', channel: 'web' })).statusCode).toBe(200);
}

async function start(): Promise<TestApp> {
	await s.start(() => 500, { engine: engine(), relay: { retryScheduleMs: [0, 10] } });
	await s.t.call('POST', '/v1/subscriptions', { url: s.receiver.url, events: ['agent.action.triggered'] });
	await conversations(s.t);
	await waitUntil(async () => (await s.t.call('GET', '/v1/deliveries/summary')).json().failed === 1, 20_000, 'the delivery to fail');
	return s.t;
}

test('per agent and day: conversations, outcomes, fields, actions with their round trip, fallbacks, handoffs, delivery failures', async () => {
	const t = await start();
	const day = today();
	const stats = (await t.call('GET', `/v1/stats?from=${day}&to=${day}`)).json();

	expect(stats.totals).toMatchObject({
		conversations: 3,
		ended: 2,
		outcomes: { booked: 1, browsing: 1 },
		fieldsCollected: 1,
		actionsFired: 1,
		roundTrips: 1,
		fallbacks: 1,
		handoffs: 1,
		deliveryFailures: 1,
	});
	// Fired -> the workflow's write with the action's event as causation, which came 80 ms later.
	expect(stats.totals.roundTripAvgMs).toBeGreaterThanOrEqual(80);
	expect(stats.totals.roundTripAvgMs).toBeLessThan(5000);
	expect(stats.totals.roundTripMaxMs).toBe(stats.totals.roundTripAvgMs);
	expect(stats.outcomes).toEqual(['booked', 'browsing']);
	expect(stats.agents.map((a: { agentId: string; conversations: number }) => [a.agentId, a.conversations])).toEqual([
		['other-agent', 1],
		['test-agent', 2],
	]);
	expect(stats.rows).toHaveLength(2);
	expect(stats.days).toEqual([expect.objectContaining({ day, conversations: 3, actionsFired: 1 })]);

	const one = (await t.call('GET', `/v1/stats?from=${day}&to=${day}&agentId=other-agent`)).json();
	expect(one.totals).toMatchObject({ conversations: 1, ended: 0, actionsFired: 0, deliveryFailures: 0, roundTripAvgMs: null });
});

test('the CSV holds the same rows as the JSON, one line per day and agent', async () => {
	const t = await start();
	const q = `from=${today()}&to=${today()}`;
	const json = (await t.call('GET', `/v1/stats?${q}`)).json();
	const csv = await t.call('GET', `/v1/stats?${q}&format=csv`);
	expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
	expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="agent-bridge-numbers-/);
	const [header, ...lines] = csv.body.trimEnd().split('\r\n').map((l) => l.split(','));
	expect(header).toEqual(['day', 'agent_id', 'conversations', 'ended', 'outcome:booked', 'outcome:browsing', 'fields_collected', 'actions_fired', 'round_trips', 'round_trip_avg_ms', 'round_trip_max_ms', 'fallbacks', 'handoffs', 'delivery_failures']);
	const fromJson = json.rows.map((r: Record<string, unknown> & { outcomes: Record<string, number> }) =>
		[r.day, r.agentId, r.conversations, r.ended, r.outcomes.booked ?? 0, r.outcomes.browsing ?? 0, r.fieldsCollected, r.actionsFired, r.roundTrips, r.roundTripAvgMs ?? '', r.roundTripMaxMs ?? '', r.fallbacks, r.handoffs, r.deliveryFailures].map(String),
	);
	expect(lines).toEqual(fromJson);
});

test('the period: the last 30 days by default, every day listed, whole days in UTC; a bad or too long period is a 400', async () => {
	await s.start(undefined, { relay: { enabled: false } });
	const t = s.t;
	const stats = (await t.call('GET', '/v1/stats')).json();
	expect(stats.days).toHaveLength(30);
	expect(stats.to).toBe(today());
	expect(stats.days.at(-1)).toMatchObject({ day: today(), conversations: 0, roundTripAvgMs: null });
	expect(stats.rows).toEqual([]);

	const cases: [string, RegExp][] = [
		['from=2026-03-10&to=2026-03-01', /before from/],
		['from=2026-01-01&to=2026-04-03', new RegExp(`93 days; at most ${STATS_MAX_DAYS} days`)],
		['from=2026-02-30', /real day/],
		['from=yesterday', /YYYY-MM-DD/],
		['format=xml', /format/],
		['agent=x', /agent/],
	];
	for (const [query, message] of cases) {
		const res = await t.call('GET', `/v1/stats?${query}`);
		expect({ query, status: res.statusCode }).toEqual({ query, status: 400 });
		expect(res.json().message).toMatch(message);
	}
	expect((await t.call('GET', `/v1/stats?from=2026-01-01&to=2026-04-02`)).json().days).toHaveLength(STATS_MAX_DAYS);
});

test("a workspace sees only its own numbers, and an inspector key may read them", async () => {
	const t = await start();
	const db = t.app.agentBridge.store.db;
	const ws = await createWorkspace(db, 'Other');
	await addApiKey(db, ws.id, 'ab_other_workspace_key');
	const other = await t.app.inject({ method: 'GET', url: '/v1/stats', headers: { authorization: 'Bearer ab_other_workspace_key' } });
	expect(other.json().totals).toMatchObject({ conversations: 0, actionsFired: 0, deliveryFailures: 0 });

	const inspector = (await t.call('POST', '/v1/api-keys', { name: 'team', scopes: ['inspector'] })).json();
	const read = await t.app.inject({ method: 'GET', url: '/v1/stats', headers: { authorization: `Bearer ${inspector.key}` } });
	expect(read.statusCode).toBe(200);
	expect(read.json().totals.conversations).toBe(3);
});

test('read page by page (entries of the same millisecond included), the entries are those of one read, each once', async () => {
	const t = await start();
	const db = t.app.agentBridge.store.db;
	const workspaceId = (await t.call('GET', '/v1/workspace')).json().id;
	// Two entries at the same instant: the page boundary falls between them.
	const at = new Date().toISOString();
	await db.updateTable('timeline').set({ at }).where('kind', 'in', ['handoff', 'engine.fallback']).execute();
	const period = { workspaceId, from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' };
	const all = async <T>(pages: AsyncIterable<T[]>) => {
		const out: T[] = [];
		for await (const page of pages) out.push(...page);
		return out;
	};
	const whole = await all(countedEntries(db, period, 10_000));
	expect(whole.length).toBeGreaterThan(5);
	for (const size of [1, 2, 3]) expect(await all(countedEntries(db, period, size))).toEqual(whole);
	const results = await all(roundTripResults(db, period, 10_000));
	expect(results).toHaveLength(1);
	expect(await all(roundTripResults(db, period, 1))).toEqual(results);
});
