// Live streams on one instance (SQLite, or PostgreSQL under server-pg): the console hears every message, typing and
// change of its workspace; a widget hears only its own conversation; slow clients are dropped; shutdown ends streams.
import type { AddressInfo } from 'node:net';
import { buildTestApp, type TestApp } from '../testing/harness';
import { openSse, type SseConnection } from '../testing/sse-client';
import { Writable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { insertMessage } from '../store/conversations';
import { createLiveHub, sseStream } from './hub';
import type { Store } from '../store/database';
import type { FastifyReply } from 'fastify';

let t: TestApp;
let base: string;
const open: SseConnection[] = [];

async function stream(path: string, headers: Record<string, string> = {}) {
	const s = await openSse(`${base}${path}`, headers);
	open.push(s);
	return s;
}

async function widgetVisitor(key: string, text = 'hello from the site') {
	const r = await t.app.inject({ method: 'POST', url: `/widget/v1/messages?key=${key}`, payload: { agentId: 'other-agent', text } });
	expect(r.statusCode).toBe(200);
	return r.json() as { sessionToken: string; messages: { id: string }[] };
}

beforeAll(async () => {
	t = await buildTestApp({ live: { heartbeatMs: 100, connectionsPerWorkspace: 5 } });
	await t.app.listen({ port: 0, host: '127.0.0.1' });
	base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterEach(() => {
	for (const s of open.splice(0)) s.close();
});
afterAll(async () => {
	await t.close();
});

const auth = () => ({ authorization: `Bearer ${t.apiKey}` });

test('the console stream hears a workflow reply, a handoff and a human reply of its workspace as they are written', async () => {
	const chat = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' })).json();
	const live = await stream('/v1/live', auth());
	expect(live.status).toBe(200);
	expect(live.headers['content-type']).toMatch(/^text\/event-stream/);
	await live.next((e) => e.event === 'ready');

	await t.call('POST', `/v1/conversations/${chat.conversation.id}/replies`, { text: 'Your quote is ready' });
	const message = await live.next((e) => e.event === 'message' && e.data.message.text === 'Your quote is ready');
	expect(message.data).toMatchObject({ conversationId: chat.conversation.id, message: { role: 'agent', source: 'api' } });

	await t.call('POST', `/v1/conversations/${chat.conversation.id}/handoff`, { reason: 'needs a person' });
	await live.next((e) => e.event === 'conversation' && e.data.change === 'handoff' && e.data.status === 'human');
	await t.call('POST', `/v1/conversations/${chat.conversation.id}/human-replies`, { text: 'Dana here', author: 'Dana' });
	await live.next((e) => e.event === 'message' && e.data.message.role === 'human' && e.data.message.text === 'Dana here');
	// Heartbeats keep the idle stream open; the stream itself stays usable.
	await new Promise((r) => setTimeout(r, 250));
	expect(t.app.agentBridge.live.count()).toBe(1);
});

test("the agent's turn shows as typing, and a person's typing signal reaches the stream without being stored", async () => {
	const chat = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' })).json();
	const live = await stream(`/v1/live?conversationId=${chat.conversation.id}`, auth());
	await live.next((e) => e.event === 'ready');
	await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'second', conversationId: chat.conversation.id });
	await live.next((e) => e.event === 'typing' && e.data.who === 'agent' && e.data.active === true);
	await live.next((e) => e.event === 'typing' && e.data.who === 'agent' && e.data.active === false);
	const typing = await t.call('POST', `/v1/conversations/${chat.conversation.id}/typing`, { active: true });
	expect(typing.statusCode).toBe(204);
	await live.next((e) => e.event === 'typing' && e.data.who === 'human' && e.data.active === true);
	// Another conversation's messages are filtered out.
	await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'someone else' });
	await new Promise((r) => setTimeout(r, 100));
	expect(live.events.filter((e) => e.event === 'message').every((e) => e.data.conversationId === chat.conversation.id)).toBe(true);
});

test("a widget's stream carries only its own conversation, catches up after Last-Event-ID, and never shows workflow details", async () => {
	const key = (await t.call('POST', '/v1/widget-keys', { allowedOrigins: ['https://site.example'] })).json().key;
	const visitor = await widgetVisitor(key);
	const other = await widgetVisitor(key, 'another visitor');
	const session = { 'x-widget-session': visitor.sessionToken };
	const live = await stream(`/widget/v1/live?key=${key}`, { ...session, origin: 'https://site.example' });
	expect(live.headers['access-control-allow-origin']).toBe('https://site.example');
	await live.next((e) => e.event === 'ready');
	// Without Last-Event-ID the whole conversation so far comes first.
	expect(live.events.filter((e) => e.event === 'message').map((e) => e.data.text)).toEqual(['hello from the site', 'You said: hello from the site']);

	// A reply to each visitor's conversation: this widget hears its own only.
	const mine = (await t.call('GET', `/v1/conversations?agentId=other-agent`)).json().data;
	for (const c of mine) await t.call('POST', `/v1/conversations/${c.id}/replies`, { text: `reply to ${c.id}` }, { 'x-agent-bridge-causation': 'evt_x' });
	const reply = await live.next((e) => e.event === 'message' && /^reply to/.test(e.data.text));
	expect(Object.keys(reply.data).sort()).toEqual(['createdAt', 'id', 'role', 'text']);
	await new Promise((r) => setTimeout(r, 150));
	expect(live.events.filter((e) => e.event === 'message' && /^reply to/.test(e.data.text))).toHaveLength(1);

	// A reconnect after the last id it saw gets what it missed, and nothing twice.
	const last = live.events.filter((e) => e.event === 'message').at(-1)!.id!;
	live.close();
	const conv = mine.find((c: { id: string }) => reply.data.text === `reply to ${c.id}`);
	await t.call('POST', `/v1/conversations/${conv.id}/human-replies`, { text: 'A person answers', author: 'Dana' });
	const again = await stream(`/widget/v1/live?key=${key}`, { ...session, 'last-event-id': last });
	await again.next((e) => e.event === 'ready');
	expect(again.events.filter((e) => e.event === 'message').map((e) => [e.data.role, e.data.text])).toEqual([['human', 'A person answers']]);
	expect(other.sessionToken).not.toBe(visitor.sessionToken);
});

test('a widget stream without a valid session is refused', async () => {
	const key = (await t.call('POST', '/v1/widget-keys', { allowedOrigins: ['https://site.example'] })).json().key;
	expect((await stream(`/widget/v1/live?key=${key}`)).status).toBe(400);
	expect((await stream(`/widget/v1/live?key=${key}`, { 'x-widget-session': 'nope' })).status).toBe(404);
	expect((await stream(`/widget/v1/live?key=pk_unknown`, { 'x-widget-session': 'nope' })).status).toBe(401);
	expect((await stream('/v1/live')).status).toBe(401);
});

test('past the per-workspace limit a new stream gets 429', async () => {
	const streams = [];
	for (let i = 0; i < 5; i++) streams.push(await stream('/v1/live', auth()));
	await Promise.all(streams.map((s) => s.next((e) => e.event === 'ready')));
	const refused = await stream('/v1/live', auth());
	expect(refused.status).toBe(429);
	streams[0].close();
	await streams[0].closed;
	await new Promise((r) => setTimeout(r, 50));
	expect((await stream('/v1/live', auth())).status).toBe(200);
});

test('a message written in a transaction that rolls back is never announced', async () => {
	const chat = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' })).json();
	const live = await stream(`/v1/live?conversationId=${chat.conversation.id}`, auth());
	await live.next((e) => e.event === 'ready');
	const { db } = t.app.agentBridge.store;
	await expect(
		db.transaction().execute(async (trx) => {
			await insertMessage(trx, 'ws_does_not_matter', chat.conversation.id, { role: 'agent', source: 'api', text: 'never committed' });
			throw new Error('abort');
		}),
	).rejects.toThrow('abort');
	await t.call('POST', `/v1/conversations/${chat.conversation.id}/replies`, { text: 'committed' });
	await live.next((e) => e.event === 'message' && e.data.message.text === 'committed');
	expect(live.events.some((e) => e.event === 'message' && e.data.message.text === 'never committed')).toBe(false);
});

test('a client that does not read is dropped once its bytes waiting pass the bound, instead of growing memory', () => {
	// A socket whose reader never takes anything: every write stays buffered.
	const stuck = new Writable({ highWaterMark: 1024, write: () => undefined }) as unknown as ServerResponse;
	let dropped = 0;
	const s = sseStream(stuck, 4096, () => (dropped += 1));
	for (let i = 0; i < 100; i++) s.send('message', { text: 'x'.repeat(200) });
	expect(dropped).toBe(1);
	expect((stuck as unknown as Writable).writableLength).toBeLessThan(4096 + 400);
});

test('closing the server ends its open streams at once', async () => {
	const other = await buildTestApp({ live: { heartbeatMs: 100 } });
	await other.app.listen({ port: 0, host: '127.0.0.1' });
	const url = `http://127.0.0.1:${(other.app.server.address() as AddressInfo).port}/v1/live`;
	const s = await openSse(url, { authorization: `Bearer ${other.apiKey}` });
	await s.next((e) => e.event === 'ready');
	const started = Date.now();
	await other.close();
	await s.closed;
	// Heartbeats every 100 ms would keep it open for good: closed well within the test's time.
	expect(Date.now() - started).toBeLessThan(10_000);
});

test('a stream is not opened while the bus cannot listen (the database is away): 503, and the client retries', async () => {
	const deaf = { live: { subscribe: () => () => undefined, ready: () => new Promise<void>(() => undefined), close: async () => undefined } } as unknown as Store;
	const hub = createLiveHub(deaf, { readyTimeoutMs: 50 });
	await expect(hub.open({} as FastifyReply, { workspaceId: 'ws_1', onNotice: async () => undefined })).rejects.toMatchObject({ statusCode: 503 });
	expect(hub.count()).toBe(0);
});
