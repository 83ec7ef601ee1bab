// Right to erasure and transcript retention: deletes a contact with everything that holds its data, and a
// workspace's old transcripts; both are recorded on the workspace's own log, never on a contact's timeline.
import { newId, nowIso } from '../util/ids';
import { parseJson, toJson } from '../util/json';
import type { Queryable } from './schema';

export interface ErasureCounts {
	conversations: number;
	messages: number;
	timeline: number;
	events: number;
	deliveries: number;
	widgetSessions: number;
}

const n = (r: { numDeletedRows: bigint } | undefined) => Number(r?.numDeletedRows ?? 0);

/**
 * Deletes the contact, its conversations with their messages and timelines, every event about it or them with all
 * their deliveries (pending ones are never sent), its widget sessions and any stored chat answer naming it.
 * Undefined when the workspace has no such contact. Run it in a transaction.
 */
export async function eraseContact(trx: Queryable, workspaceId: string, contactId: string): Promise<ErasureCounts | undefined> {
	const found = await trx.selectFrom('contacts').select('id').where('workspace_id', '=', workspaceId).where('id', '=', contactId).executeTakeFirst();
	if (!found) return undefined;
	const conversations = trx.selectFrom('conversations').select('id').where('workspace_id', '=', workspaceId).where('contact_id', '=', contactId);
	const events = trx
		.selectFrom('events')
		.select('id')
		.where('workspace_id', '=', workspaceId)
		.where((eb) => eb.or([eb('contact_id', '=', contactId), eb('conversation_id', 'in', conversations)]));
	const deliveries = n(await trx.deleteFrom('deliveries').where('workspace_id', '=', workspaceId).where('event_id', 'in', events).executeTakeFirst());
	const eventCount = n(
		await trx
			.deleteFrom('events')
			.where('workspace_id', '=', workspaceId)
			.where((eb) => eb.or([eb('contact_id', '=', contactId), eb('conversation_id', 'in', conversations)]))
			.executeTakeFirst(),
	);
	const messages = n(await trx.deleteFrom('messages').where('workspace_id', '=', workspaceId).where('conversation_id', 'in', conversations).executeTakeFirst());
	const timeline = n(await trx.deleteFrom('timeline').where('workspace_id', '=', workspaceId).where('conversation_id', 'in', conversations).executeTakeFirst());
	const widgetSessions = n(await trx.deleteFrom('widget_sessions').where('workspace_id', '=', workspaceId).where('contact_id', '=', contactId).executeTakeFirst());
	// A retried chat's stored answer names the contact (ids are random, so the match is exact enough).
	await trx.deleteFrom('idempotency_keys').where('workspace_id', '=', workspaceId).where('response_body', 'like', `%"${contactId}"%`).execute();
	const conversationCount = n(await trx.deleteFrom('conversations').where('workspace_id', '=', workspaceId).where('contact_id', '=', contactId).executeTakeFirst());
	await trx.deleteFrom('contact_identities').where('workspace_id', '=', workspaceId).where('contact_id', '=', contactId).execute();
	await trx.deleteFrom('contacts').where('workspace_id', '=', workspaceId).where('id', '=', contactId).execute();
	return { conversations: conversationCount, messages, timeline, events: eventCount, deliveries, widgetSessions };
}

export interface RetentionCounts {
	messages: number;
	events: number;
	deliveries: number;
}

/**
 * Deletes transcripts older than `before` (ISO time): the messages of ended conversations, and events (whose
 * envelopes carry transcripts) with their deliveries once none of them is still pending.
 */
export async function deleteTranscriptsBefore(trx: Queryable, workspaceId: string, before: string): Promise<RetentionCounts> {
	const ended = trx.selectFrom('conversations').select('id').where('workspace_id', '=', workspaceId).where('status', '=', 'ended');
	const messages = n(
		await trx.deleteFrom('messages').where('workspace_id', '=', workspaceId).where('created_at', '<', before).where('conversation_id', 'in', ended).executeTakeFirst(),
	);
	const oldEvents = trx
		.selectFrom('events')
		.select('id')
		.where('workspace_id', '=', workspaceId)
		.where('created_at', '<', before)
		.where(({ not, exists, selectFrom }) =>
			not(exists(selectFrom('deliveries').select('deliveries.id').whereRef('deliveries.event_id', '=', 'events.id').where('deliveries.status', '=', 'pending'))),
		);
	const ids = (await oldEvents.execute()).map((r) => r.id);
	let deliveries = 0;
	let events = 0;
	// In slices: a parameter list stays far below either database's limit.
	for (let i = 0; i < ids.length; i += 500) {
		const slice = ids.slice(i, i + 500);
		deliveries += n(await trx.deleteFrom('deliveries').where('workspace_id', '=', workspaceId).where('event_id', 'in', slice).executeTakeFirst());
		events += n(await trx.deleteFrom('events').where('workspace_id', '=', workspaceId).where('id', 'in', slice).executeTakeFirst());
	}
	return { messages, events, deliveries };
}

export async function getTranscriptRetentionDays(db: Queryable, workspaceId: string): Promise<number | null> {
	const row = await db.selectFrom('workspaces').select('transcript_retention_days').where('id', '=', workspaceId).executeTakeFirst();
	return row?.transcript_retention_days ?? null;
}

export async function setTranscriptRetentionDays(db: Queryable, workspaceId: string, days: number | null): Promise<void> {
	await db.updateTable('workspaces').set({ transcript_retention_days: days }).where('id', '=', workspaceId).execute();
}

/** Workspaces that keep transcripts for a limited time. */
export async function workspacesWithRetention(db: Queryable): Promise<Array<{ id: string; days: number }>> {
	const rows = await db.selectFrom('workspaces').select(['id', 'transcript_retention_days']).where('transcript_retention_days', 'is not', null).execute();
	return rows.map((r) => ({ id: r.id, days: Number(r.transcript_retention_days) }));
}

export interface WorkspaceLogEntry {
	id: string;
	at: string;
	kind: string;
	detail: Record<string, unknown>;
}

export async function addWorkspaceLog(db: Queryable, workspaceId: string, kind: string, detail: Record<string, unknown>): Promise<void> {
	await db.insertInto('workspace_log').values({ id: newId('wlog'), workspace_id: workspaceId, at: nowIso(), kind, detail: toJson(detail) }).execute();
}

/** The newest entries first. */
export async function listWorkspaceLog(db: Queryable, workspaceId: string, limit: number): Promise<WorkspaceLogEntry[]> {
	const rows = await db.selectFrom('workspace_log').selectAll().where('workspace_id', '=', workspaceId).orderBy('id', 'desc').limit(limit).execute();
	return rows.map((r) => ({ id: r.id, at: r.at, kind: r.kind, detail: parseJson<Record<string, unknown>>(r.detail, {}) }));
}
