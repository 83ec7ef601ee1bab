// Right to erasure and transcript retention, on the workspace's log rather than any contact's timeline.
import { applyRetention } from './service';
import { addApiKey, createWorkspace } from '../store/workspaces';
import { buildTestApp, type TestApp } from '../testing/harness';

let t: TestApp;
beforeEach(async () => {
	t = await buildTestApp({ retentionSweepIntervalMs: 0, conversations: { sweepIntervalMs: 0 } });
});
afterEach(() => t.close());

const db = () => t.app.agentBridge.store.db;

/** Rows of each table that mention the value anywhere. */
async function rowsMentioning(value: string): Promise<Record<string, number>> {
	const out: Record<string, number> = {};
	for (const table of ['contacts', 'conversations', 'messages', 'timeline', 'events', 'deliveries', 'widget_sessions', 'idempotency_keys', 'workspace_log'] as const) {
		const rows = await db().selectFrom(table).selectAll().execute();
		out[table] = rows.filter((r) => JSON.stringify(r).includes(value)).length;
	}
	return out;
}

async function contactWithHistory(email: string) {
	const chat = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: `fire:lead_scoring email:${email}` }, { 'idempotency-key': `k-${email}` })).json();
	await t.call('POST', `/v1/contacts/${chat.contact.id}/tags`, { tags: ['vip'] });
	await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: `and again ${email}`, conversationId: chat.conversation.id });
	return { contactId: chat.contact.id as string, conversationId: chat.conversation.id as string };
}

describe('erasure', () => {
	test('deleting a contact removes it with its conversations, messages, timeline, events and pending deliveries; others stay', async () => {
		await t.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/hook', events: ['agent.action.triggered', 'contact.tag.added'] });
		const gone = await contactWithHistory('dana@example.com');
		const kept = await contactWithHistory('lee@example.com');
		const pendingBefore = await db().selectFrom('deliveries').select('id').where('status', '=', 'pending').execute();
		expect(pendingBefore.length).toBe(4);

		expect((await t.call('DELETE', `/v1/contacts/${gone.contactId}`)).statusCode).toBe(204);

		expect(await rowsMentioning('dana@example.com')).toEqual({
			contacts: 0, conversations: 0, messages: 0, timeline: 0, events: 0, deliveries: 0, widget_sessions: 0, idempotency_keys: 0, workspace_log: 0,
		});
		expect(await rowsMentioning(gone.conversationId)).toMatchObject({ conversations: 0, messages: 0, timeline: 0, events: 0 });
		expect((await db().selectFrom('deliveries').select('id').where('status', '=', 'pending').execute()).length).toBe(2);
		expect((await t.call('GET', `/v1/contacts/${gone.contactId}`)).statusCode).toBe(404);
		expect((await t.call('GET', `/v1/conversations/${gone.conversationId}`)).statusCode).toBe(404);
		// The other contact is untouched.
		expect((await t.call('GET', `/v1/contacts/${kept.contactId}`)).json().email).toBe('lee@example.com');
		expect((await t.call('GET', `/v1/conversations/${kept.conversationId}`)).json().messages).toHaveLength(4);

		// Logged on the workspace, with counts and the id, not the contact's data.
		const log = (await t.call('GET', '/v1/workspace/log')).json().data;
		expect(log).toEqual([
			expect.objectContaining({ kind: 'contact.erased', detail: { contactId: gone.contactId, by: 'api', conversations: 1, messages: 4, timeline: expect.any(Number), events: 2, deliveries: 2, widgetSessions: 0 } }),
		]);
		expect((await t.call('DELETE', `/v1/contacts/${gone.contactId}`)).statusCode).toBe(404);
	});

	test('another workspace cannot erase the contact, and a nodes key may not erase at all', async () => {
		const { contactId } = await contactWithHistory('dana@example.com');
		const ws = await createWorkspace(db(), 'Other');
		await addApiKey(db(), ws.id, 'ab_other_workspace_key');
		const other = await t.app.inject({ method: 'DELETE', url: `/v1/contacts/${contactId}`, headers: { authorization: 'Bearer ab_other_workspace_key' } });
		expect(other.statusCode).toBe(404);
		const nodesKey = (await t.call('POST', '/v1/api-keys', { name: 'n8n', scopes: ['nodes'] })).json().key;
		const nodes = await t.app.inject({ method: 'DELETE', url: `/v1/contacts/${contactId}`, headers: { authorization: `Bearer ${nodesKey}` } });
		expect(nodes.statusCode).toBe(403);
		expect((await t.call('GET', `/v1/contacts/${contactId}`)).statusCode).toBe(200);
	});
});

describe('transcript retention', () => {
	test('removes transcripts of ended conversations older than the workspace keeps them, and logs it', async () => {
		expect((await t.call('GET', '/v1/workspace/retention')).json()).toEqual({ transcriptDays: null });
		expect((await t.call('PUT', '/v1/workspace/retention', { transcriptDays: 30 })).json()).toEqual({ transcriptDays: 30 });
		const old = await contactWithHistory('old@example.com');
		const current = await contactWithHistory('current@example.com');
		expect((await t.call('POST', `/v1/conversations/${old.conversationId}/end`, {})).statusCode).toBe(200);
		const longAgo = new Date(Date.now() - 40 * 86_400_000).toISOString();
		await db().updateTable('messages').set({ created_at: longAgo }).execute();
		await db().updateTable('events').set({ created_at: longAgo }).execute();

		const [applied] = await applyRetention(t.app.agentBridge);
		// Events carry transcripts too: all five are older than the cutoff and none waits for a delivery.
		expect(applied).toMatchObject({ messages: 4, events: 5 });
		// The ended conversation keeps its record but no transcript; the active one keeps everything.
		expect((await t.call('GET', `/v1/conversations/${old.conversationId}`)).json().messages).toEqual([]);
		expect((await t.call('GET', `/v1/conversations/${current.conversationId}`)).json().messages).toHaveLength(4);
		const log = (await t.call('GET', '/v1/workspace/log')).json().data.map((e: { kind: string }) => e.kind);
		expect(log).toEqual(['retention.applied', 'retention.changed']);
		// Nothing left to remove: no new entry.
		await applyRetention(t.app.agentBridge);
		expect((await t.call('GET', '/v1/workspace/log')).json().data).toHaveLength(2);
	});

	test('old events are removed once none of their deliveries is pending', async () => {
		await t.call('PUT', '/v1/workspace/retention', { transcriptDays: 1 });
		await t.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/hook', events: ['contact.tag.added'] });
		const { contactId } = await contactWithHistory('x@example.com');
		await db().updateTable('events').set({ created_at: new Date(Date.now() - 3 * 86_400_000).toISOString() }).execute();
		expect((await applyRetention(t.app.agentBridge))[0]).toMatchObject({ events: 1 });
		// The tag event still waits for its delivery.
		expect(await db().selectFrom('events').select('type').execute()).toEqual([{ type: 'contact.tag.added' }]);
		await db().updateTable('deliveries').set({ status: 'failed' }).execute();
		expect((await applyRetention(t.app.agentBridge))[0]).toMatchObject({ events: 1, deliveries: 1 });
		expect((await t.call('GET', `/v1/contacts/${contactId}`)).statusCode).toBe(200);
	});

	test('bad retention values are 400s', async () => {
		for (const transcriptDays of [0, -1, 1.5, '30', 40_000]) {
			expect((await t.call('PUT', '/v1/workspace/retention', { transcriptDays })).statusCode).toBe(400);
		}
		expect((await t.call('PUT', '/v1/workspace/retention', { transcriptDays: null })).statusCode).toBe(200);
	});
});
