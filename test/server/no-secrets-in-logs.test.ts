// No API key, webhook secret, signature or widget session token in the server's log output, over a realistic run
// on a listening server with the production logger settings (level trace, LOG_REDACT).
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { LOG_REDACT } from '../../agent-server/src/app';
import { buildTestApp, startReceiver, waitUntil, type Receiver, type TestApp } from '../../agent-server/src/testing/harness';

const API_KEY = 'ab_live_secret_key_9f8e7d6c5b4a3210';
const SITE = 'https://shop.example.com';

describe('log output', () => {
	const lines: string[] = [];
	const sink = new Writable({
		write(chunk: Buffer, _encoding, done) {
			lines.push(chunk.toString('utf8'));
			done();
		},
	});
	let t: TestApp;
	let receiver: Receiver;
	let base = '';

	beforeAll(async () => {
		receiver = await startReceiver();
		t = await buildTestApp({
			apiKey: API_KEY,
			relay: { pollIntervalMs: 20 },
			logger: { level: 'trace', stream: sink, redact: { paths: LOG_REDACT, censor: '[redacted]' } },
		});
		await t.app.listen({ port: 0, host: '127.0.0.1' });
		base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
	});
	afterAll(async () => {
		await t.close();
		await receiver.close();
	});

	async function api(method: string, path: string, body?: unknown, key = API_KEY, headers: Record<string, string> = {}) {
		const res = await fetch(`${base}${path}`, {
			method,
			headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
			...(body !== undefined ? { body: JSON.stringify(body) } : {}),
		});
		return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, any> };
	}

	it('keeps keys, secrets, signatures and session tokens out of a realistic run', async () => {
		// Subscription creation returns the signing secret.
		const sub = await api('POST', '/v1/subscriptions', { url: receiver.url, events: ['agent.action.triggered'] });
		expect(sub.status).toBe(201);
		const secret = sub.body.secret as string;
		expect(secret).toMatch(/^whsec_/);

		// A chat that fires an action, delivered and signed.
		const chat = await api('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring budget:5000' }, API_KEY, { 'idempotency-key': 'log-test-1' });
		expect(chat.status).toBe(200);
		await receiver.waitFor(1);
		const signature = receiver.received[0].headers['webhook-signature'] as string;
		expect(signature).toMatch(/^v1,/);
		await waitUntil(async () => (await api('GET', '/v1/deliveries?status=delivered')).body.data.length === 1);

		// A wrong key, and a request signed like a webhook with the key in a second header.
		expect((await api('GET', '/v1/workspace', undefined, 'ab_wrong_key_that_must_not_show')).status).toBe(401);
		expect((await api('GET', '/v1/workspace', undefined, API_KEY, { 'webhook-signature': signature, 'x-api-key': API_KEY })).status).toBe(200);

		// The widget: a message (session token returned) and a poll with the token in its header.
		const widgetKey = (await api('POST', '/v1/widget-keys', { allowedOrigins: [SITE] })).body.key as string;
		const first = await fetch(`${base}/widget/v1/messages?key=${widgetKey}`, {
			method: 'POST',
			headers: { origin: SITE, 'content-type': 'application/json' },
			body: JSON.stringify({ agentId: 'test-agent', text: 'hello from the site' }),
		});
		expect(first.status).toBe(200);
		const sessionToken = ((await first.json()) as { sessionToken: string }).sessionToken;
		expect(sessionToken.length).toBeGreaterThan(10);
		const again = await fetch(`${base}/widget/v1/messages?key=${widgetKey}`, {
			method: 'POST',
			headers: { origin: SITE, 'content-type': 'application/json' },
			body: JSON.stringify({ agentId: 'test-agent', text: 'again', sessionToken }),
		});
		expect(again.status).toBe(200);
		const poll = await fetch(`${base}/widget/v1/messages?key=${widgetKey}&wait=0`, { headers: { origin: SITE, 'x-widget-session': sessionToken } });
		expect(poll.status).toBe(200);

		// Whatever a handler might log about these objects is redacted too.
		t.app.log.info({ secret, apiKey: API_KEY, subscription: { secret }, headers: { authorization: `Bearer ${API_KEY}` } }, 'redaction probe');

		const output = lines.join('');
		expect(output).toContain('request completed');
		expect(output).not.toContain('incoming request');
		expect(output).toContain('webhook delivery attempt');
		expect(output).toContain('redaction probe');
		for (const [what, value] of Object.entries({ apiKey: API_KEY, wrongKey: 'ab_wrong_key_that_must_not_show', secret, signature, sessionToken })) {
			expect({ what, leaked: output.includes(value) }).toEqual({ what, leaked: false });
		}
		// The signature value without its version prefix, and the secret's key material, are not there either.
		expect(output.includes(signature.slice(3))).toBe(false);
		expect(output.includes(secret.slice('whsec_'.length))).toBe(false);
	});
});
