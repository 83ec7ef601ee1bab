// Two server instances on one PostgreSQL schema: a message written through one reaches a live stream open on the
// other (NOTIFY on commit, LISTEN on each instance). PostgreSQL only; skipped when unreachable, except under CI.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { dropPgSchema } from '../store/database';
import { buildTestApp, type TestApp } from '../testing/harness';
import { openSse } from '../testing/sse-client';

const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function pgReachable(): boolean {
	const probe = `const {Client}=require('pg');const c=new Client({connectionString:process.argv[1],connectionTimeoutMillis:3000});c.connect().then(()=>c.end()).then(()=>process.exit(0),()=>process.exit(1));`;
	return spawnSync(process.execPath, ['-e', probe, PG_URL], { timeout: 8000, cwd: __dirname }).status === 0;
}

(process.env.CI || pgReachable() ? describe : describe.skip)('live streams across two instances on one PostgreSQL schema', () => {
	const pgSchema = `test_live_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
	const otherSchema = `${pgSchema}_other`;
	let one: TestApp;
	let two: TestApp;
	let elsewhere: TestApp;

	beforeAll(async () => {
		one = await buildTestApp({ databaseUrl: PG_URL, pgSchema });
		two = await buildTestApp({ databaseUrl: PG_URL, pgSchema });
		elsewhere = await buildTestApp({ databaseUrl: PG_URL, pgSchema: otherSchema });
		await two.app.listen({ port: 0, host: '127.0.0.1' });
		await elsewhere.app.listen({ port: 0, host: '127.0.0.1' });
	});
	afterAll(async () => {
		for (const t of [one, two, elsewhere]) await t?.close();
		await dropPgSchema(PG_URL, pgSchema);
		await dropPgSchema(PG_URL, otherSchema);
	});

	const liveUrl = (t: TestApp) => `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/v1/live`;

	it('a reply written through instance 1 arrives on a stream open on instance 2, and not on another schema', async () => {
		const stream = await openSse(liveUrl(two), { authorization: `Bearer ${two.apiKey}` });
		const unrelated = await openSse(liveUrl(elsewhere), { authorization: `Bearer ${elsewhere.apiKey}` });
		try {
			await stream.next((e) => e.event === 'ready');
			await unrelated.next((e) => e.event === 'ready');
			const chat = (await one.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hello' })).json();
			await one.call('POST', `/v1/conversations/${chat.conversation.id}/replies`, { text: 'written on instance 1' });
			const received = await stream.next((e) => e.event === 'message' && e.data.message.text === 'written on instance 1');
			expect(received.data.conversationId).toBe(chat.conversation.id);
			await one.call('POST', `/v1/conversations/${chat.conversation.id}/handoff`);
			await stream.next((e) => e.event === 'conversation' && e.data.change === 'handoff');
			await new Promise((r) => setTimeout(r, 200));
			expect(unrelated.events.filter((e) => e.event !== 'ready')).toEqual([]);
		} finally {
			stream.close();
			unrelated.close();
		}
	});

	it("when an instance's listening connection drops, its streams are told to refetch and it listens again", async () => {
		const stream = await openSse(liveUrl(two), { authorization: `Bearer ${two.apiKey}` });
		const admin = new Client({ connectionString: PG_URL });
		await admin.connect();
		try {
			await stream.next((e) => e.event === 'ready');
			const killed = await admin.query(
				"select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'agent-bridge-live' and query = $1",
				[`LISTEN "agent_bridge_live:${pgSchema}"`],
			);
			expect(killed.rowCount).toBeGreaterThanOrEqual(1);
			await stream.next((e) => e.event === 'reset');
			// Back to listening: a write through the other instance arrives again.
			const chat = (await one.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hello again' })).json();
			let received = false;
			for (let i = 0; i < 40 && !received; i++) {
				await one.call('POST', `/v1/conversations/${chat.conversation.id}/replies`, { text: `after the drop ${i}` });
				received = await stream.next((e) => e.event === 'message' && String(e.data.message.text).startsWith('after the drop'), 250).then(() => true, () => false);
			}
			expect(received).toBe(true);
		} finally {
			stream.close();
			await admin.end();
		}
	});
});
