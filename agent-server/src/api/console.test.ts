// Console login: an API key becomes an HttpOnly, SameSite=Strict session cookie that authenticates /v1 calls as the
// key's workspace and scopes; cookie writes need the console header; logout and key revocation end the session.
import { buildTestApp, type TestApp } from '../testing/harness';

let t: TestApp;
beforeAll(async () => {
	t = await buildTestApp({ trustProxy: true, authFailuresPerMinute: 5 });
});
afterAll(async () => {
	await t.close();
});

const CONSOLE = { 'x-agent-bridge-console': '1' };

async function logIn(key: string, name = 'Dana', headers: Record<string, string> = CONSOLE) {
	return t.app.inject({ method: 'POST', url: '/console/login', payload: { key, name }, headers });
}
const cookieOf = (setCookie: string | string[] | undefined) => String(setCookie).split(';')[0];

test('logging in with a key sets a session cookie that only the server can read, and the cookie opens the API', async () => {
	const login = await logIn(t.apiKey);
	expect(login.statusCode).toBe(200);
	expect(login.json()).toMatchObject({ workspace: { name: 'Default workspace' }, user: 'Dana' });
	const setCookie = String(login.headers['set-cookie']);
	expect(setCookie).toMatch(/^agent_bridge_console=cs_[A-Za-z0-9_-]{40,};/);
	expect(setCookie).toContain('HttpOnly');
	expect(setCookie).toContain('SameSite=Strict');
	expect(setCookie).toContain('Path=/');
	expect(setCookie).not.toContain('Secure');
	// Only the hash of the token is stored.
	const token = cookieOf(setCookie).split('=')[1];
	const rows = await t.app.agentBridge.store.db.selectFrom('console_sessions').selectAll().execute();
	expect(JSON.stringify(rows)).not.toContain(token);

	const cookie = cookieOf(setCookie);
	const workspace = await t.app.inject({ method: 'GET', url: '/v1/workspace', headers: { cookie } });
	expect(workspace.statusCode).toBe(200);
	expect((await t.app.inject({ method: 'GET', url: '/console/session', headers: { cookie } })).json()).toMatchObject({ user: 'Dana' });

	// A write with the cookie alone (what a cross-site form could send) is refused and changes nothing.
	const chat = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' })).json();
	const forged = await t.app.inject({ method: 'POST', url: `/v1/conversations/${chat.conversation.id}/claim`, headers: { cookie }, payload: {} });
	expect(forged.statusCode).toBe(403);
	expect((await t.call('GET', `/v1/conversations/${chat.conversation.id}`)).json().assignee).toBeNull();
	// With the console header the person logged in is the one who claims and replies.
	const claimed = await t.app.inject({ method: 'POST', url: `/v1/conversations/${chat.conversation.id}/claim`, headers: { cookie, ...CONSOLE }, payload: {} });
	expect(claimed.json()).toMatchObject({ assignee: 'Dana' });
	await t.app.inject({ method: 'POST', url: `/v1/conversations/${chat.conversation.id}/human-replies`, headers: { cookie, ...CONSOLE }, payload: { text: 'Hello from Dana' } });
	const detail = (await t.call('GET', `/v1/conversations/${chat.conversation.id}`)).json();
	expect(detail.timeline.find((e: { kind: string; detail: { author?: string } }) => e.kind === 'message' && e.detail.author)?.detail.author).toBe('Dana');

	// Logout ends the session at once and clears the cookie.
	const out = await t.app.inject({ method: 'POST', url: '/console/logout', headers: { cookie, ...CONSOLE } });
	expect(out.statusCode).toBe(204);
	expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
	expect((await t.app.inject({ method: 'GET', url: '/v1/workspace', headers: { cookie } })).statusCode).toBe(401);
});

test('people logging in at the same moment each get a working session', async () => {
	const logins = await Promise.all(Array.from({ length: 8 }, (_, i) => logIn(t.apiKey, `Person ${i}`)));
	expect(logins.map((l) => l.statusCode)).toEqual(Array(8).fill(200));
	const who = await Promise.all(logins.map((l) => t.app.inject({ method: 'GET', url: '/console/session', headers: { cookie: cookieOf(l.headers['set-cookie']) } })));
	expect(who.map((w) => w.json().user).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `Person ${i}`));
});

test('the cookie is Secure when the browser came over https through a trusted proxy', async () => {
	const login = await logIn(t.apiKey, 'Sam', { ...CONSOLE, 'x-forwarded-proto': 'https' });
	expect(String(login.headers['set-cookie'])).toContain('Secure');
});

test("a session has its key's scopes and ends when the key is revoked", async () => {
	const created = (await t.call('POST', '/v1/api-keys', { name: 'inbox only', scopes: ['inspector'] })).json();
	const cookie = cookieOf((await logIn(created.key)).headers['set-cookie']);
	expect((await t.app.inject({ method: 'GET', url: '/v1/inbox', headers: { cookie } })).statusCode).toBe(200);
	expect((await t.app.inject({ method: 'GET', url: '/v1/api-keys', headers: { cookie } })).statusCode).toBe(403);
	await t.call('DELETE', `/v1/api-keys/${created.id}`);
	expect((await t.app.inject({ method: 'GET', url: '/v1/inbox', headers: { cookie } })).statusCode).toBe(401);
});

test('a wrong key is refused and counted with the API\'s failures; login without the console header is refused', async () => {
	expect((await logIn(t.apiKey, 'Dana', {})).statusCode).toBe(403);
	const statuses = [];
	for (let i = 0; i < 6; i++) statuses.push((await logIn('ab_wrong_key')).statusCode);
	expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
	expect(statuses[5]).toBe(429);
	// Even the right key waits until the window passes.
	expect((await logIn(t.apiKey)).statusCode).toBe(429);
});

test('the console pages are served with the strict Content-Security-Policy', async () => {
	for (const url of ['/console', '/console/login', '/console/inbox.js', '/console/api.js', '/console/live.js', '/console/console.css']) {
		const page = await t.app.inject({ method: 'GET', url });
		expect({ url, status: page.statusCode }).toEqual({ url, status: 200 });
		expect(page.headers['content-security-policy']).toContain("default-src 'none'");
		expect(page.headers['content-security-policy']).toContain("script-src 'self'");
	}
});
