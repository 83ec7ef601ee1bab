// Model failures are visible: a warn log per failed provider request (status, provider, reason, no key) and /metrics
// counters for requests by outcome, fallbacks by reason, tokens and latency, through the real chat route.
import { Writable } from 'node:stream';
import { AgentConfig } from '../engine/agent-config';
import { createModelEngine } from '../engine/model';
import { buildTestApp, testRegistry, type TestApp } from '../testing/harness';
import { startLiteralModel, type LiteralModel, type Scripted } from '../testing/literal-model';

const AGENT = AgentConfig.parse({
	id: 'modeled',
	name: 'Modeled',
	fields: [{ name: 'budget', question: 'Budget?', mapsTo: 'custom_field.budget_range', extract: { kind: 'amount' } }],
	replies: { fallback: 'Sorry, one moment please.' },
});
const KEY = 'sk-live-never-in-logs-0123456789abcdef';

let fake: LiteralModel;
let t: TestApp;
let next: Scripted | undefined;
const lines: any[] = [];

beforeAll(async () => {
	fake = await startLiteralModel({ script: () => next });
});
afterAll(async () => {
	await fake.close();
});
afterEach(async () => {
	await t?.close();
});

async function app() {
	lines.length = 0;
	const sink = new Writable({
		write(chunk, _enc, done) {
			for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
			done();
		},
	});
	t = await buildTestApp({
		agents: testRegistry([AGENT]),
		engine: createModelEngine({ baseURL: fake.url, apiKey: KEY, model: 'fake', timeoutMs: 300, maxRetries: 0 }),
		conversations: { sweepIntervalMs: 0 },
		metricsToken: 'operator-token',
		logger: { level: 'info', stream: sink },
	});
}

test('each failed request is logged once as a warning and counted; fallbacks by reason; tokens and latency', async () => {
	await app();
	const faults: Scripted[] = [{ status: 401 }, { status: 429 }, { status: 500 }, { hang: true }, { content: 'not json' }];
	for (const fault of faults) {
		next = fault;
		expect((await t.call('POST', '/v1/chat', { agentId: 'modeled', text: 'hello' })).statusCode).toBe(200);
	}
	next = undefined;
	await t.call('POST', '/v1/chat', { agentId: 'modeled', text: 'budget 5000' });
	const warnings = lines.filter((l) => l.msg === 'model request failed');
	expect(warnings.map((w) => [w.level, w.status ?? w.outcome, w.provider])).toEqual([
		[40, 401, 'generic'],
		[40, 429, 'generic'],
		[40, 500, 'generic'],
		[40, 'timeout', 'generic'],
		[40, 'malformed', 'generic'],
	]);
	expect(warnings[0].reason).toBe('model answered HTTP 401');
	expect(JSON.stringify(lines)).not.toContain(KEY);

	const metrics = (await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer operator-token' } })).body;
	const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
	expect(value('agent_bridge_model_requests_total{provider="generic",outcome="http_error",status="429"}')).toBe(1);
	expect(value('agent_bridge_model_requests_total{provider="generic",outcome="timeout",status=""}')).toBe(1);
	expect(value('agent_bridge_model_requests_total{provider="generic",outcome="ok",status=""}')).toBe(1);
	for (const reason of ['auth', 'rate_limited', 'server_error', 'timeout', 'malformed']) {
		expect(value(`agent_bridge_model_fallbacks_total{purpose="turn",reason="${reason}"}`)).toBe(1);
	}
	expect(value('agent_bridge_model_tokens_total{direction="in"}')).toBeGreaterThan(100);
	expect(value('agent_bridge_model_tokens_total{direction="out"}')).toBeGreaterThan(10);
	expect(value('agent_bridge_model_request_duration_seconds_count{provider="generic",outcome="ok"}')).toBe(1);
}, 20_000);
