// Widget keys (workspace API) and the public widget routes: sessions, CORS, limits, scoping and long polls.
import type { LightMyRequestResponse } from 'fastify';
import { AgentConfig } from '../../engine/agent-config';
import { addApiKey, createWorkspace } from '../../store/workspaces';
import { buildTestApp, TEST_AGENT, testRegistry, type TestApp } from '../../testing/harness';

const SITE = 'https://shop.example.com';
const API_ONLY = AgentConfig.parse({ id: 'api-only', name: 'API Only', channels: ['api'] });

let t: TestApp;
afterEach(async () => t?.close());

async function start(options: Parameters<typeof buildTestApp>[0] = {}) {
	t = await buildTestApp({ agents: testRegistry([TEST_AGENT, API_ONLY]), web: { pollIntervalMs: 20 }, ...options });
	return t;
}

async function newKey(origins = [SITE]): Promise<string> {
	const res = await t.call('POST', '/v1/widget-keys', { allowedOrigins: origins });
	expect(res.statusCode).toBe(201);
	return res.json().key;
}

function widget(method: 'GET' | 'POST' | 'OPTIONS', url: string, body?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
	return t.app.inject({ method, url, headers: { origin: SITE, ...headers }, ...(body !== undefined ? { payload: body as object } : {}) });
}

async function conversationCount(): Promise<number> {
	const row = await t.app.agentBridge.store.db
		.selectFrom('conversations')
		.select((eb) => eb.fn.countAll<number | string>().as('n'))
		.executeTakeFirstOrThrow();
	return Number(row.n);
}

/** A second workspace with its own API key, for cross-workspace checks. */
async function otherWorkspace(): Promise<(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) => Promise<LightMyRequestResponse>> {
	const ws = await createWorkspace(t.app.agentBridge.store.db, 'Other');
	await addApiKey(t.app.agentBridge.store.db, ws.id, 'ab_other_workspace_key');
	return (method, url, body) =>
		t.app.inject({ method, url, headers: { authorization: 'Bearer ab_other_workspace_key' }, ...(body !== undefined ? { payload: body as object } : {}) });
}

describe('widget keys', () => {
	test('create, list and delete a publishable key; origins are normalised', async () => {
		await start();
		const created = await t.call('POST', '/v1/widget-keys', { allowedOrigins: [`${SITE}/`, 'http://localhost:8080'], name: 'shop' });
		expect(created.statusCode).toBe(201);
		const key = created.json();
		expect(key).toMatchObject({ name: 'shop', allowedOrigins: [SITE, 'http://localhost:8080'] });
		expect(key.key).toMatch(/^pk_/);
		expect(key.id).toMatch(/^wk_/);

		const list = await t.call('GET', '/v1/widget-keys');
		expect(list.json().data).toEqual([key]);

		expect((await t.call('DELETE', `/v1/widget-keys/${key.id}`)).statusCode).toBe(204);
		expect((await t.call('DELETE', `/v1/widget-keys/${key.id}`)).statusCode).toBe(404);
		expect((await t.call('GET', '/v1/widget-keys')).json().data).toEqual([]);
	});

	test.each([
		[{ allowedOrigins: [] }, 'body/allowedOrigins'],
		[{ allowedOrigins: ['https://shop.example.com/checkout'] }, 'must be an origin'],
		[{ allowedOrigins: ['*'] }, 'must be an origin'],
		[{ allowedOrigins: ['ftp://shop.example.com'] }, 'must be an origin'],
		[{}, 'body/allowedOrigins: is required'],
		[{ allowedOrigins: [SITE], extra: 1 }, 'body'],
	])('bad input %j is a 400 and creates nothing', async (body, message) => {
		await start();
		const res = await t.call('POST', '/v1/widget-keys', body);
		expect(res.statusCode).toBe(400);
		expect(res.json().message).toContain(message);
		expect((await t.call('GET', '/v1/widget-keys')).json().data).toEqual([]);
	});

	test('needs the API key, and another workspace neither sees nor deletes the key', async () => {
		await start();
		expect((await t.app.inject({ method: 'GET', url: '/v1/widget-keys' })).statusCode).toBe(401);
		const res = await t.call('POST', '/v1/widget-keys', { allowedOrigins: [SITE] });
		const other = await otherWorkspace();
		expect((await other('GET', '/v1/widget-keys')).json().data).toEqual([]);
		expect((await other('DELETE', `/v1/widget-keys/${res.json().id}`)).statusCode).toBe(404);
		expect((await t.call('GET', '/v1/widget-keys')).json().data).toHaveLength(1);
	});
});

describe('widget messages', () => {
	test('a visitor talks to a web agent with a publishable key; the session continues the same conversation', async () => {
		await start();
		const key = await newKey();
		const first = await widget('POST', `/widget/v1/messages?key=${key}`, { agentId: 'test-agent', text: 'hello' });
		expect(first.statusCode).toBe(200);
		expect(first.headers['access-control-allow-origin']).toBe(SITE);
		const body = first.json();
		expect(body.sessionToken).toMatch(/^ws_/);
		expect(body.reply.text).toBe('You said: hello');
		expect(body.messages.map((m: { role: string; text: string }) => [m.role, m.text])).toEqual([
			['contact', 'hello'],
			['agent', 'You said: hello'],
		]);
		// Nothing about workflows or actions reaches the browser.
		expect(body).not.toHaveProperty('actions');
		expect(Object.keys(body.messages[0]).sort()).toEqual(['createdAt', 'id', 'role', 'text']);

		const second = await widget('POST', `/widget/v1/messages?key=${key}`, { agentId: 'test-agent', text: 'budget:5000', sessionToken: body.sessionToken });
		expect(second.statusCode).toBe(200);
		expect(second.json().messages.map((m: { text: string }) => m.text)).toEqual(['budget:5000', 'You said: budget:5000']);

		const list = (await t.call('GET', '/v1/conversations')).json().data;
		expect(list).toHaveLength(1);
		expect(list[0]).toMatchObject({ channel: 'web', agentId: 'test-agent', turns: 2 });
		// The session token is stored hashed.
		const stored = await t.app.agentBridge.store.db.selectFrom('widget_sessions').selectAll().execute();
		expect(JSON.stringify(stored)).not.toContain(body.sessionToken);
	});

	test('a workflow reply reaches an open long poll without a new request', async () => {
		await start();
		const key = await newKey();
		const first = (await widget('POST', `/widget/v1/messages?key=${key}`, { agentId: 'test-agent', text: 'hello' })).json();
		const cursor = first.messages[first.messages.length - 1].id;
		const headers = { 'x-widget-session': first.sessionToken };

		const empty = await widget('GET', `/widget/v1/messages?key=${key}&after=${cursor}&wait=0`, undefined, headers);
		expect(empty.statusCode).toBe(200);
		expect(empty.json()).toEqual({ status: 'active', messages: [] });

		const poll = widget('GET', `/widget/v1/messages?key=${key}&after=${cursor}&wait=5`, undefined, headers);
		await new Promise((r) => setTimeout(r, 100));
		const [conversation] = (await t.call('GET', '/v1/conversations')).json().data;
		const reply = await t.call('POST', `/v1/conversations/${conversation.id}/replies`, { text: 'Your quote is ready' });
		expect(reply.statusCode).toBe(200);
		const answered = await poll;
		expect(answered.statusCode).toBe(200);
		expect(answered.headers['access-control-allow-origin']).toBe(SITE);
		expect(answered.json().messages.map((m: { role: string; text: string }) => [m.role, m.text])).toEqual([['agent', 'Your quote is ready']]);

		// Without a cursor the poll answers the whole history at once (a reloaded page).
		const history = await widget('GET', `/widget/v1/messages?key=${key}&wait=0`, undefined, headers);
		expect(history.json().messages).toHaveLength(3);
	});

	test('closing the server ends a held poll instead of waiting for it', async () => {
		await start();
		const key = await newKey();
		const first = (await widget('POST', `/widget/v1/messages?key=${key}`, { agentId: 'test-agent', text: 'hello' })).json();
		const cursor = first.messages[first.messages.length - 1].id;
		const holdS = 25;
		const poll = widget('GET', `/widget/v1/messages?key=${key}&after=${cursor}&wait=${holdS}`, undefined, { 'x-widget-session': first.sessionToken });
		await new Promise((r) => setTimeout(r, 100));
		const started = Date.now();
		await t.app.close();
		expect((await poll).statusCode).toBe(503);
		// Long before the poll's own end.
		expect(Date.now() - started).toBeLessThan((holdS * 1000) / 2);
	});

	test('after the conversation ended, the next message starts a new one for the same contact', async () => {
		await start();
		const key = await newKey();
		const first = (await widget('POST', `/widget/v1/messages?key=${key}`, { agentId: 'test-agent', text: 'hello' })).json();
		const [conversation] = (await t.call('GET', '/v1/conversations')).json().data;
		expect((await t.call('POST', `/v1/conversations/${conversation.id}/end`)).statusCode).toBe(200);
		const next = await widget('POST', `/widget/v1/messages?key=${key}`, { agentId: 'test-agent', text: 'back again', sessionToken: first.sessionToken });
		expect(next.statusCode).toBe(200);
		const list = (await t.call('GET', '/v1/conversations')).json().data;
		expect(list).toHaveLength(2);
		expect(list[0].contactId).toBe(conversation.contactId);
		expect(list[0].id).not.toBe(conversation.id);
	});

	test('the agent name is public for the widget title; an agent off the web channel is not', async () => {
		await start();
		const key = await newKey();
		const res = await widget('GET', `/widget/v1/agents/test-agent?key=${key}`);
		expect(res.json()).toMatchObject({ id: 'test-agent', name: 'Test Agent' });
		expect((await widget('GET', `/widget/v1/agents/api-only?key=${key}`)).statusCode).toBe(404);
	});
});

describe('widget CORS', () => {
	test('a preflight from an allowed origin is answered with the methods and headers the widget uses', async () => {
		await start();
		const key = await newKey();
		const res = await widget('OPTIONS', `/widget/v1/messages?key=${key}`, undefined, {
			'access-control-request-method': 'POST',
			'access-control-request-headers': 'content-type',
		});
		expect(res.statusCode).toBe(204);
		expect(res.headers['access-control-allow-origin']).toBe(SITE);
		expect(res.headers['access-control-allow-methods']).toContain('POST');
		expect(String(res.headers['access-control-allow-headers'])).toContain('x-widget-session');
	});

	test('another origin is refused, gets no CORS header, and starts no conversation', async () => {
		await start();
		const key = await newKey();
		const evil = { origin: 'https://evil.example.net' };
		const preflight = await widget('OPTIONS', `/widget/v1/messages?key=${key}`, undefined, { ...evil, 'access-control-request-method': 'POST' });
		expect(preflight.statusCode).toBe(403);
		expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
		const post = await widget('POST', `/widget/v1/messages?key=${key}`, { agentId: 'test-agent', text: 'hello' }, evil);
		expect(post.statusCode).toBe(403);
		expect(post.json().message).toBe('origin https://evil.example.net is not allowed for this widget key');
		expect(post.headers['access-control-allow-origin']).toBeUndefined();
		expect(await conversationCount()).toBe(0);
	});
});

describe('widget bad input changes nothing', () => {
	test.each([
		['no key', '/widget/v1/messages', { agentId: 'test-agent', text: 'hi' }, 401, 'missing widget key'],
		['unknown key', '/widget/v1/messages?key=pk_nope', { agentId: 'test-agent', text: 'hi' }, 401, 'invalid widget key'],
		['the workspace API key', '/widget/v1/messages?key=ab_test_key_0123456789', { agentId: 'test-agent', text: 'hi' }, 401, 'invalid widget key'],
		['agent off the web channel', '/widget/v1/messages?key=KEY', { agentId: 'api-only', text: 'hi' }, 404, 'not available on the web channel'],
		['unknown agent', '/widget/v1/messages?key=KEY', { agentId: 'nobody', text: 'hi' }, 404, 'not available on the web channel'],
		['blank text', '/widget/v1/messages?key=KEY', { agentId: 'test-agent', text: '   ' }, 400, 'body/text'],
		['text too long', '/widget/v1/messages?key=KEY', { agentId: 'test-agent', text: 'x'.repeat(2001) }, 400, 'body/text'],
		['unknown field', '/widget/v1/messages?key=KEY', { agentId: 'test-agent', text: 'hi', channel: 'api' }, 400, 'body'],
		['unknown session', '/widget/v1/messages?key=KEY', { agentId: 'test-agent', text: 'hi', sessionToken: 'ws_forged' }, 404, 'widget session not found'],
	])('%s', async (_name, url, body, status, message) => {
		await start();
		const key = await newKey();
		const res = await widget('POST', url.replace('KEY', key), body);
		expect(res.statusCode).toBe(status);
		expect(res.json().message).toContain(message);
		expect(await conversationCount()).toBe(0);
	});

	test('a body over the widget limit is a 413', async () => {
		await start();
		const key = await newKey();
		const res = await widget('POST', `/widget/v1/messages?key=${key}`, { agentId: 'test-agent', text: 'hi', pad: 'x'.repeat(10_000) });
		expect(res.statusCode).toBe(413);
		expect(await conversationCount()).toBe(0);
	});

	test('a poll needs its session header', async () => {
		await start();
		const key = await newKey();
		const res = await widget('GET', `/widget/v1/messages?key=${key}&wait=0`);
		expect(res.statusCode).toBe(400);
		expect(res.json().message).toBe('headers/x-widget-session is required');
	});

	test('a deleted key stops working, sessions included', async () => {
		await start();
		const created = (await t.call('POST', '/v1/widget-keys', { allowedOrigins: [SITE] })).json();
		const first = (await widget('POST', `/widget/v1/messages?key=${created.key}`, { agentId: 'test-agent', text: 'hello' })).json();
		await t.call('DELETE', `/v1/widget-keys/${created.id}`);
		const res = await widget('GET', `/widget/v1/messages?key=${created.key}&wait=0`, undefined, { 'x-widget-session': first.sessionToken });
		expect(res.statusCode).toBe(401);
	});

	test("a session of another workspace's key is not found under this key", async () => {
		await start();
		const key = await newKey();
		const other = await otherWorkspace();
		const otherKey = (await other('POST', '/v1/widget-keys', { allowedOrigins: [SITE] })).json().key;
		const theirs = (await widget('POST', `/widget/v1/messages?key=${otherKey}`, { agentId: 'test-agent', text: 'hello' })).json();
		expect(await conversationCount()).toBe(1);

		const res = await widget('POST', `/widget/v1/messages?key=${key}`, { agentId: 'test-agent', text: 'hi', sessionToken: theirs.sessionToken });
		expect(res.statusCode).toBe(404);
		const poll = await widget('GET', `/widget/v1/messages?key=${key}&wait=0`, undefined, { 'x-widget-session': theirs.sessionToken });
		expect(poll.statusCode).toBe(404);
		expect(await conversationCount()).toBe(1);
		// Their conversation lives in their workspace only.
		expect((await t.call('GET', '/v1/conversations')).json().data).toEqual([]);
		expect((await other('GET', '/v1/conversations')).json().data).toHaveLength(1);
	});
});

describe('widget rate limit', () => {
	test('past the limit a client gets 429 (still readable cross-origin) and no turn runs', async () => {
		await start({ web: { pollIntervalMs: 20, rateLimit: { messages: 2 } } });
		const key = await newKey();
		for (let i = 0; i < 2; i++) {
			expect((await widget('POST', `/widget/v1/messages?key=${key}`, { agentId: 'test-agent', text: `hi ${i}` })).statusCode).toBe(200);
		}
		const limited = await widget('POST', `/widget/v1/messages?key=${key}`, { agentId: 'test-agent', text: 'hi again' });
		expect(limited.statusCode).toBe(429);
		expect(limited.json().message).toMatch(/^too many widget requests; retry in \d+ s$/);
		expect(limited.headers['access-control-allow-origin']).toBe(SITE);
		expect(limited.headers['retry-after']).toBeDefined();
		expect(await conversationCount()).toBe(2);
		// Another client address has its own allowance.
		const elsewhere = await t.app.inject({
			method: 'POST',
			url: `/widget/v1/messages?key=${key}`,
			remoteAddress: '10.1.2.3',
			headers: { origin: SITE },
			payload: { agentId: 'test-agent', text: 'hi' },
		});
		expect(elsewhere.statusCode).toBe(200);
	});
});

describe('static pages', () => {
	test('the widget script and the inspector are served with their content types', async () => {
		await start();
		const js = await t.app.inject({ method: 'GET', url: '/widget.js' });
		expect(js.statusCode).toBe(200);
		expect(js.headers['content-type']).toContain('text/javascript');
		expect(js.body).toContain('data-agent');
		const page = await t.app.inject({ method: 'GET', url: '/inspector' });
		expect(page.statusCode).toBe(200);
		expect(page.headers['content-type']).toContain('text/html');
		expect(page.headers['content-security-policy']).toContain("script-src 'self'");
		expect((await t.app.inject({ method: 'GET', url: '/inspector/inspector.js' })).statusCode).toBe(200);
		expect((await t.app.inject({ method: 'GET', url: '/inspector/inspector.css' })).headers['content-type']).toContain('text/css');
	});
});
