// API keys with scopes: listed without secrets, created and rotated (shown once, stored hashed), revoked; scopes
// limit what a key may call; wrong keys are throttled per client address; TRUST_PROXY decides who the client is.
import { hashApiKey } from '../store/workspaces';
import { buildTestApp, type TestApp } from '../testing/harness';
import { trustProxyFromEnv } from './proxy';

let t: TestApp;
afterEach(() => t.close());

const as = (key: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = {}) =>
	t.app.inject({ method, url, headers: { authorization: `Bearer ${key}`, ...headers }, ...(payload ? { payload } : {}) });

describe('API keys', () => {
	beforeEach(async () => {
		t = await buildTestApp({ authFailuresPerMinute: 1000 });
	});

	test('a created key is shown once, stored only as a hash, listed without its secret, and works at once', async () => {
		const created = await t.call('POST', '/v1/api-keys', { name: 'n8n production', scopes: ['nodes'] });
		expect(created.statusCode).toBe(201);
		expect(created.headers['cache-control']).toBe('no-store');
		const { key, id } = created.json();
		expect(created.json()).toMatchObject({ name: 'n8n production', scopes: ['nodes'], prefix: key.slice(0, 7), revokedAt: null });
		const rows = await t.app.agentBridge.store.db.selectFrom('api_keys').selectAll().where('id', '=', id).execute();
		expect(rows[0].key_hash).toBe(hashApiKey(key));
		expect(JSON.stringify(rows)).not.toContain(key);
		const list = await t.call('GET', '/v1/api-keys');
		expect(list.body).not.toContain(key);
		expect(list.json().data.map((k: { name: string }) => k.name)).toEqual(['configured', 'n8n production']);
		expect((await as(key, 'GET', '/v1/workspace')).statusCode).toBe(200);
	});

	test('scopes: nodes keys reach what the nodes call, inspector keys what the inspector calls, only admin keys manage keys and agents', async () => {
		const nodes = (await t.call('POST', '/v1/api-keys', { name: 'nodes', scopes: ['nodes'] })).json().key;
		const inspector = (await t.call('POST', '/v1/api-keys', { name: 'inspector', scopes: ['inspector'] })).json().key;
		expect((await as(nodes, 'POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' })).statusCode).toBe(200);
		expect((await as(nodes, 'POST', '/v1/contacts', { firstName: 'Dana' })).statusCode).toBe(201);
		expect((await as(inspector, 'GET', '/v1/conversations')).statusCode).toBe(200);
		const refused = await as(nodes, 'GET', '/v1/api-keys');
		expect(refused.json()).toEqual({ statusCode: 403, error: 'Forbidden', message: 'this API key (scopes: nodes) may not call GET /v1/api-keys' });
		expect((await as(nodes, 'POST', '/v1/agents', { id: 'x', name: 'X' })).statusCode).toBe(403);
		expect((await as(inspector, 'POST', '/v1/contacts', { firstName: 'Dana' })).statusCode).toBe(403);
		expect((await as(inspector, 'POST', '/v1/api-keys', { name: 'mine', scopes: ['admin'] })).statusCode).toBe(403);
		const both = (await t.call('POST', '/v1/api-keys', { name: 'both', scopes: ['nodes', 'inspector'] })).json().key;
		expect((await as(both, 'GET', '/v1/conversations')).statusCode).toBe(200);
		expect((await as(both, 'POST', '/v1/contacts', {})).statusCode).toBe(201);
	});

	test('rotating gives a new secret and the old one stops working; a revoked key stops working', async () => {
		const { id, key } = (await t.call('POST', '/v1/api-keys', { name: 'ci', scopes: ['nodes'] })).json();
		const rotated = await t.call('POST', `/v1/api-keys/${id}/rotate`);
		expect(rotated.json()).toMatchObject({ id, name: 'ci', scopes: ['nodes'] });
		const fresh = rotated.json().key;
		expect(fresh).not.toBe(key);
		expect((await as(key, 'GET', '/v1/workspace')).statusCode).toBe(401);
		expect((await as(fresh, 'GET', '/v1/workspace')).statusCode).toBe(200);
		expect((await t.call('DELETE', `/v1/api-keys/${id}`)).statusCode).toBe(204);
		expect((await as(fresh, 'GET', '/v1/workspace')).statusCode).toBe(401);
		expect((await t.call('GET', '/v1/api-keys')).json().data.find((k: { id: string }) => k.id === id).revokedAt).toEqual(expect.any(String));
		expect((await t.call('POST', `/v1/api-keys/${id}/rotate`)).statusCode).toBe(404);
		expect((await t.call('DELETE', `/v1/api-keys/${id}`)).statusCode).toBe(404);
	});

	test('the last active admin key cannot be revoked; bad bodies are 400s', async () => {
		const keys = (await t.call('GET', '/v1/api-keys')).json().data;
		const res = await t.call('DELETE', `/v1/api-keys/${keys[0].id}`);
		expect(res.json()).toMatchObject({ statusCode: 409, message: expect.stringMatching(/last active admin key/) });
		expect((await t.call('GET', '/v1/workspace')).statusCode).toBe(200);
		expect((await t.call('POST', '/v1/api-keys', { name: 'x', scopes: ['root'] })).statusCode).toBe(400);
		expect((await t.call('POST', '/v1/api-keys', { name: 'x', scopes: [] })).statusCode).toBe(400);
		expect((await t.call('POST', '/v1/api-keys', { name: ' ', scopes: ['nodes'] })).statusCode).toBe(400);
	});

	test('a revoked configured key stays revoked when the server starts again with it', async () => {
		const admin = (await t.call('POST', '/v1/api-keys', { name: 'new admin', scopes: ['admin'] })).json();
		const configured = (await t.call('GET', '/v1/api-keys')).json().data.find((k: { name: string }) => k.name === 'configured');
		expect((await as(admin.key, 'DELETE', `/v1/api-keys/${configured.id}`)).statusCode).toBe(204);
		const { buildApp } = await import('../app');
		const again = await buildApp({ ...t.database, apiKey: t.apiKey, relay: { enabled: false } });
		try {
			const res = await again.inject({ method: 'GET', url: '/v1/workspace', headers: { authorization: `Bearer ${t.apiKey}` } });
			expect(res.statusCode).toBe(401);
		} finally {
			await again.close();
		}
	});

	test('another workspace cannot see, rotate or revoke these keys', async () => {
		const { id } = (await t.call('POST', '/v1/api-keys', { name: 'ci', scopes: ['nodes'] })).json();
		const db = t.app.agentBridge.store.db;
		const { createWorkspace, addApiKey } = await import('../store/workspaces');
		const ws = await createWorkspace(db, 'Other');
		await addApiKey(db, ws.id, 'ab_other_workspace_key');
		expect((await as('ab_other_workspace_key', 'GET', '/v1/api-keys')).json().data.map((k: { id: string }) => k.id)).not.toContain(id);
		expect((await as('ab_other_workspace_key', 'POST', `/v1/api-keys/${id}/rotate`)).statusCode).toBe(404);
		expect((await as('ab_other_workspace_key', 'DELETE', `/v1/api-keys/${id}`)).statusCode).toBe(404);
	});
});

describe('failed authentication', () => {
	test('is limited per client address: past the limit even the right key waits, other addresses do not', async () => {
		t = await buildTestApp({ authFailuresPerMinute: 3 });
		const from = (ip: string, key: string) => t.app.inject({ method: 'GET', url: '/v1/workspace', remoteAddress: ip, headers: { authorization: `Bearer ${key}` } });
		for (let i = 0; i < 3; i++) expect((await from('203.0.113.7', 'ab_guess_' + i)).statusCode).toBe(401);
		const blocked = await from('203.0.113.7', t.apiKey);
		expect(blocked.statusCode).toBe(429);
		expect(blocked.json().message).toMatch(/too many failed authentications/);
		expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
		expect((await from('203.0.113.8', t.apiKey)).statusCode).toBe(200);
	});

	test('behind a trusted proxy the forwarded address is the client; without TRUST_PROXY the header is ignored', async () => {
		t = await buildTestApp({ authFailuresPerMinute: 2, trustProxy: ['10.0.0.1'] });
		const via = (proxy: string, client: string, key: string) =>
			t.app.inject({ method: 'GET', url: '/v1/workspace', remoteAddress: proxy, headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': client } });
		for (let i = 0; i < 2; i++) await via('10.0.0.1', '198.51.100.1', 'ab_guess');
		expect((await via('10.0.0.1', '198.51.100.1', t.apiKey)).statusCode).toBe(429);
		// Another visitor behind the same proxy has a bucket of their own.
		expect((await via('10.0.0.1', '198.51.100.2', t.apiKey)).statusCode).toBe(200);
		// An untrusted sender cannot pick its address by header: its failures count on its socket address.
		for (let i = 0; i < 2; i++) await via('192.0.2.9', `198.51.100.${10 + i}`, 'ab_guess');
		expect((await via('192.0.2.9', '198.51.100.99', t.apiKey)).statusCode).toBe(429);
	});

	test('behind a trusted proxy each widget visitor has a rate-limit bucket of their own', async () => {
		t = await buildTestApp({ trustProxy: 1, web: { rateLimit: { messages: 1 } } });
		const site = 'https://shop.example.com';
		const key = (await t.call('POST', '/v1/widget-keys', { allowedOrigins: [site] })).json().key;
		const send = (visitor: string) =>
			t.app.inject({
				method: 'POST',
				url: `/widget/v1/messages?key=${key}`,
				remoteAddress: '10.0.0.1',
				headers: { origin: site, 'x-forwarded-for': visitor },
				payload: { agentId: 'other-agent', text: 'hi' },
			});
		expect((await send('198.51.100.1')).statusCode).toBe(200);
		expect((await send('198.51.100.2')).statusCode).toBe(200);
		expect((await send('198.51.100.1')).statusCode).toBe(429);
	});

	test('TRUST_PROXY reads true, a hop count, or addresses and ranges', () => {
		expect(trustProxyFromEnv(undefined)).toBeUndefined();
		expect(trustProxyFromEnv('false')).toBeUndefined();
		expect(trustProxyFromEnv('true')).toBe(true);
		expect(trustProxyFromEnv('2')).toBe(2);
		expect(trustProxyFromEnv('10.0.0.0/8, ::1')).toEqual(['10.0.0.0/8', '::1']);
		expect(() => trustProxyFromEnv('proxy.lan')).toThrow(/TRUST_PROXY: "proxy.lan" is not an address/);
	});
});

test('every answer carries X-Content-Type-Options: nosniff', async () => {
	t = await buildTestApp();
	for (const res of [
		await t.app.inject({ method: 'GET', url: '/healthz' }),
		await t.call('GET', '/v1/workspace'),
		await t.app.inject({ method: 'GET', url: '/v1/workspace' }),
		await t.app.inject({ method: 'GET', url: '/nowhere' }),
		await t.call('POST', '/v1/chat', { nope: 1 }),
		await t.app.inject({ method: 'GET', url: '/widget.js' }),
	]) {
		expect(res.headers['x-content-type-options']).toBe('nosniff');
	}
});
