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

test('every fallback cause is a metric label and a warn line: wrong-shape JSON is not "ok", a 200 that is not JSON is not "unreachable" and is not retried, a refusal keeps its text', async () => {
	lines.length = 0;
	const sink = new Writable({
		write(chunk, _enc, done) {
			for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
			done();
		},
	});
	// A proxy that answers 200 with its HTML error page, as JSON content-type or not.
	const http = await import('node:http');
	let htmlAsJson = false;
	const proxy = http.createServer((req, res) => {
		req.resume();
		req.on('end', () => {
			res.writeHead(200, { 'content-type': htmlAsJson ? 'application/json' : 'text/html' });
			res.end('<html><body>Gateway error</body></html>');
		});
	});
	await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
	const proxyUrl = `http://127.0.0.1:${(proxy.address() as any).port}/v1`;
	let proxied = 0;
	proxy.on('request', () => proxied++);
	t = await buildTestApp({
		agents: testRegistry([AGENT]),
		engine: createModelEngine({ baseURL: fake.url, apiKey: KEY, model: 'fake', timeoutMs: 300, maxRetries: 2 }),
		conversations: { sweepIntervalMs: 0 },
		metricsToken: 'operator-token',
		logger: { level: 'info', stream: sink },
	});
	const faults: Scripted[] = [{ content: '{"reply": 42}' }, { refusal: "I'm sorry, I can't help with that request." }];
	for (const fault of faults) {
		next = fault;
		expect((await t.call('POST', '/v1/chat', { agentId: 'modeled', text: 'hello' })).statusCode).toBe(200);
	}
	next = undefined;
	const metrics = async (app: TestApp) => (await app.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer operator-token' } })).body;
	const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
	let m = await metrics(t);
	expect(value(m, 'agent_bridge_model_requests_total{provider="generic",outcome="ok",status=""}')).toBeNaN();
	expect(value(m, 'agent_bridge_model_requests_total{provider="generic",outcome="malformed",status=""}')).toBe(1);
	expect(value(m, 'agent_bridge_model_requests_total{provider="generic",outcome="refused",status=""}')).toBe(1);
	expect(value(m, 'agent_bridge_model_fallbacks_total{purpose="turn",reason="invalid_shape"}')).toBe(1);
	expect(value(m, 'agent_bridge_model_fallbacks_total{purpose="turn",reason="refused"}')).toBe(1);
	const fallbacks = lines.filter((l) => l.msg === 'model fallback: the rules answered');
	expect(fallbacks.map((l) => [l.level, l.kind])).toEqual([
		[40, 'invalid_shape'],
		[40, 'refused'],
	]);
	expect(fallbacks[0].reason).toMatch(/did not match the expected shape \(reply:/);
	expect(fallbacks[1].detail).toBe("I'm sorry, I can't help with that request.");
	await t.close();

	for (const asJson of [false, true]) {
		htmlAsJson = asJson;
		lines.length = 0;
		proxied = 0;
		t = await buildTestApp({
			agents: testRegistry([AGENT]),
			engine: createModelEngine({ baseURL: proxyUrl, apiKey: KEY, model: 'fake', timeoutMs: 300, maxRetries: 2 }),
			conversations: { sweepIntervalMs: 0 },
			metricsToken: 'operator-token',
			logger: { level: 'info', stream: sink },
		});
		await t.call('POST', '/v1/chat', { agentId: 'modeled', text: 'hello' });
		expect(proxied).toBe(1);
		m = await metrics(t);
		expect(value(m, 'agent_bridge_model_requests_total{provider="generic",outcome="malformed",status=""}')).toBe(1);
		expect(value(m, 'agent_bridge_model_fallbacks_total{purpose="turn",reason="malformed"}')).toBe(1);
		expect(lines.find((l) => l.msg === 'model fallback: the rules answered').reason).toMatch(/^model endpoint answered HTTP 200 with a body that is not/);
		await t.close();
	}
	t = undefined as unknown as TestApp;
	await new Promise<void>((r) => proxy.close(() => r()));
}, 30_000);
