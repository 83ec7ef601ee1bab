// A widget key's appearance over the API (validated, applied as changes, concurrent writers) and as the widget gets it;
// widget sessions expire after their documented lifetime.
import type { LightMyRequestResponse } from 'fastify';
import { WIDGET_AVATAR_MAX_BYTES, WIDGET_SESSION_LIFETIME_DAYS } from '../../limits';
import { addApiKey, createWorkspace } from '../../store/workspaces';
import { buildTestApp, OTHER_AGENT, type TestApp } from '../../testing/harness';

const SITE = 'https://shop.example.com';
const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

let t: TestApp;
let keyId: string;
let publicKey: string;

beforeEach(async () => {
	t = await buildTestApp();
	const created = (await t.call('POST', '/v1/widget-keys', { allowedOrigins: [SITE] })).json();
	keyId = created.id;
	publicKey = created.key;
});
afterEach(async () => t?.close());

const widget = (url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
	t.app.inject({ method: 'GET', url, headers: { origin: SITE, ...headers } });
const patch = (body: unknown) => t.call('PATCH', `/v1/widget-keys/${keyId}/appearance`, body);

test('a new key has the default appearance, and the widget config carries it with the session lifetime', async () => {
	const stored = await t.call('GET', `/v1/widget-keys/${keyId}/appearance`);
	expect(stored.json()).toEqual({
		title: null,
		accentColor: '#2f5bea',
		accentTextColor: '#ffffff',
		openingMessage: null,
		position: 'bottom-right',
		timestamps: false,
		avatar: null,
		updatedAt: null,
	});
	const config = (await widget(`/widget/v1/agents/${OTHER_AGENT.id}?key=${publicKey}`)).json();
	expect(config).toMatchObject({ id: OTHER_AGENT.id, name: OTHER_AGENT.name, appearance: { position: 'bottom-right', avatarPath: null }, sessionLifetimeDays: WIDGET_SESSION_LIFETIME_DAYS });
});

test('settings set over the API reach the widget; null puts one back to its default, others stay', async () => {
	const set = await patch({ title: '  Acme help  ', accentColor: '#0A7', accentTextColor: '#000000', openingMessage: 'Hi! How can we help?', position: 'bottom-left', timestamps: true });
	expect(set.statusCode).toBe(200);
	expect(set.json()).toMatchObject({ title: 'Acme help', accentColor: '#00aa77', accentTextColor: '#000000', openingMessage: 'Hi! How can we help?', position: 'bottom-left', timestamps: true });

	const config = (await widget(`/widget/v1/agents/${OTHER_AGENT.id}?key=${publicKey}`)).json();
	expect(config.appearance).toEqual({ title: 'Acme help', accentColor: '#00aa77', accentTextColor: '#000000', openingMessage: 'Hi! How can we help?', position: 'bottom-left', timestamps: true, avatarPath: null });

	const reset = (await patch({ title: null })).json();
	expect(reset).toMatchObject({ title: null, accentColor: '#00aa77', position: 'bottom-left', timestamps: true });
});

test('an avatar is kept by the server and served from its own origin under a versioned path', async () => {
	const res = await patch({ avatar: `data:image/png;base64,${PNG_1PX}` });
	expect(res.statusCode).toBe(200);
	expect(res.json().avatar).toBe(`data:image/png;base64,${PNG_1PX}`);
	const { appearance } = (await widget(`/widget/v1/agents/${OTHER_AGENT.id}?key=${publicKey}`)).json();
	expect(appearance.avatarPath).toMatch(new RegExp(`^/widget/v1/avatar\\?key=${publicKey}&v=[0-9a-f]{16}$`));
	const image = await widget(appearance.avatarPath);
	expect(image.statusCode).toBe(200);
	expect(image.headers['content-type']).toBe('image/png');
	expect(image.headers['x-content-type-options']).toBe('nosniff');
	expect(image.rawPayload.equals(Buffer.from(PNG_1PX, 'base64'))).toBe(true);

	await patch({ avatar: null });
	expect((await widget(appearance.avatarPath)).statusCode).toBe(404);
});

test('bad settings answer 400 naming the problem and change nothing', async () => {
	await patch({ title: 'Kept' });
	const cases: [unknown, RegExp][] = [
		[{ accentColor: 'red' }, /accentColor.*#rgb or #rrggbb/],
		[{ accentColor: '#ffff00' }, /contrast of 1\.07:1; at least 4\.5:1/],
		[{ accentTextColor: '#7f8fff' }, /contrast/],
		[{ position: 'top-left' }, /position/],
		[{ title: '   ' }, /title.*blank/],
		[{ title: 'x'.repeat(61) }, /title/],
		[{ avatar: 'https://cdn.example.com/a.png' }, /avatar: must be a data: URL/],
		[{ avatar: 'data:image/svg+xml;base64,PHN2Zy8+' }, /avatar: must be a data: URL|not accepted/],
		[{ avatar: `data:image/jpeg;base64,${PNG_1PX}` }, /not a image\/jpeg image/],
		[{ avatar: `data:image/png;base64,${Buffer.concat([Buffer.from(PNG_1PX, 'base64'), Buffer.alloc(WIDGET_AVATAR_MAX_BYTES)]).toString('base64')}` }, /at most 65536 bytes/],
		[{ colour: '#000000' }, /colour/],
	];
	for (const [body, message] of cases) {
		const res = await patch(body);
		expect({ body, status: res.statusCode }).toEqual({ body, status: 400 });
		expect(res.json().message).toMatch(message);
	}
	expect((await t.call('GET', `/v1/widget-keys/${keyId}/appearance`)).json()).toMatchObject({ title: 'Kept', accentColor: '#2f5bea', avatar: null, position: 'bottom-right' });
});

test("unknown, revoked and another workspace's keys answer 404", async () => {
	expect((await t.call('PATCH', '/v1/widget-keys/wk_nope/appearance', { title: 'x' })).statusCode).toBe(404);
	const ws = await createWorkspace(t.app.agentBridge.store.db, 'Other');
	await addApiKey(t.app.agentBridge.store.db, ws.id, 'ab_other_workspace_key');
	const other = await t.app.inject({ method: 'PATCH', url: `/v1/widget-keys/${keyId}/appearance`, headers: { authorization: 'Bearer ab_other_workspace_key' }, payload: { title: 'Hijack' } });
	expect(other.statusCode).toBe(404);
	await t.call('DELETE', `/v1/widget-keys/${keyId}`);
	expect((await t.call('GET', `/v1/widget-keys/${keyId}/appearance`)).statusCode).toBe(404);
});

test('concurrent writers of different settings all keep their change (the first write included)', async () => {
	const writes = [{ title: 'One' }, { accentColor: '#004400' }, { openingMessage: 'Hello' }, { position: 'bottom-left' }, { timestamps: true }, { avatar: `data:image/png;base64,${PNG_1PX}` }];
	const answers = await Promise.all(writes.map((w) => patch(w)));
	expect(answers.map((a) => a.statusCode)).toEqual(writes.map(() => 200));
	expect((await t.call('GET', `/v1/widget-keys/${keyId}/appearance`)).json()).toMatchObject({
		title: 'One',
		accentColor: '#004400',
		openingMessage: 'Hello',
		position: 'bottom-left',
		timestamps: true,
		avatar: `data:image/png;base64,${PNG_1PX}`,
	});
});

test(`a widget session returns to its conversation for ${WIDGET_SESSION_LIFETIME_DAYS} days after the last message, then a new one starts`, async () => {
	const post = (body: unknown) => t.app.inject({ method: 'POST', url: `/widget/v1/messages?key=${publicKey}`, headers: { origin: SITE }, payload: body as object });
	const first = (await post({ agentId: OTHER_AGENT.id, text: 'Hello' })).json();
	const db = t.app.agentBridge.store.db;
	const day = 86_400_000;
	const age = async (days: number) => db.updateTable('widget_sessions').set({ last_seen_at: new Date(Date.now() - days * day).toISOString() }).execute();

	await age(WIDGET_SESSION_LIFETIME_DAYS - 1);
	const back = await widget(`/widget/v1/messages?key=${publicKey}&wait=0`, { 'x-widget-session': first.sessionToken });
	expect(back.statusCode).toBe(200);
	expect(back.json().messages.map((m: { text: string }) => m.text)).toContain('Hello');
	const again = (await post({ agentId: OTHER_AGENT.id, text: 'Still there?', sessionToken: first.sessionToken })).json();
	expect(again.messages[0].text).toBe('Still there?');

	await age(WIDGET_SESSION_LIFETIME_DAYS + 1);
	expect((await widget(`/widget/v1/messages?key=${publicKey}&wait=0`, { 'x-widget-session': first.sessionToken })).statusCode).toBe(404);
	expect((await post({ agentId: OTHER_AGENT.id, text: 'Back after weeks', sessionToken: first.sessionToken })).statusCode).toBe(404);
});

test("a key's origins and name are changed as given, and the widget routes follow at once", async () => {
	const other = 'https://www.shop.example.com';
	const config = (origin: string) => t.app.inject({ method: 'GET', url: `/widget/v1/agents/${OTHER_AGENT.id}?key=${publicKey}`, headers: { origin } });
	expect((await config(other)).statusCode).toBe(403);
	const res = await t.call('PATCH', `/v1/widget-keys/${keyId}`, { allowedOrigins: [`${other}/`, other], name: 'shop' });
	expect(res.statusCode).toBe(200);
	expect(res.json()).toMatchObject({ id: keyId, key: publicKey, name: 'shop', allowedOrigins: [other] });
	expect((await config(other)).statusCode).toBe(200);
	expect((await config(SITE)).statusCode).toBe(403);

	for (const body of [{}, { allowedOrigins: [] }, { allowedOrigins: ['https://*.example.com'] }, { key: 'pk_mine' }]) {
		expect({ body, status: (await t.call('PATCH', `/v1/widget-keys/${keyId}`, body)).statusCode }).toEqual({ body, status: 400 });
	}
	expect((await t.call('POST', '/v1/widget-keys', { allowedOrigins: ['https://*.example.com'] })).statusCode).toBe(400);
	expect((await t.call('PATCH', '/v1/widget-keys/wk_nope', { name: 'x' })).statusCode).toBe(404);
	expect((await t.call('GET', '/v1/widget-keys')).json().data).toEqual([expect.objectContaining({ name: 'shop', allowedOrigins: [other] })]);
});
