import type { Role, TranscriptEntry } from '../engine/types';
import { newId, nowIso } from '../util/ids';
import { parseJson, toJson } from '../util/json';
import type { ConversationRow, MessageRow, Queryable } from './schema';

export type ConversationStatus = 'active' | 'handoff' | 'ended';

export interface Conversation {
	id: string;
	agentId: string;
	contactId: string;
	channel: string;
	status: string;
	collected: Record<string, string>;
	firedActions: string[];
	turnCount: number;
	intent: string | null;
	sentiment: string | null;
	summary: string | null;
	createdAt: string;
	updatedAt: string;
}

export interface Message {
	id: string;
	role: Role;
	source: MessageRow['source'];
	text: string;
	createdAt: string;
}

export interface TimelineEntry {
	at: string;
	kind: string;
	detail: Record<string, unknown>;
}

export function conversationFromRow(row: ConversationRow): Conversation {
	return {
		id: row.id,
		agentId: row.agent_id,
		contactId: row.contact_id,
		channel: row.channel,
		status: row.status,
		collected: parseJson<Record<string, string>>(row.collected, {}),
		firedActions: parseJson<string[]>(row.fired_actions, []),
		turnCount: Number(row.turn_count),
		intent: row.intent,
		sentiment: row.sentiment,
		summary: row.summary,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
	};
}

export async function getConversation(db: Queryable, workspaceId: string, id: string): Promise<Conversation | undefined> {
	const row = await db
		.selectFrom('conversations')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where('id', '=', id)
		.executeTakeFirst();
	return row ? conversationFromRow(row) : undefined;
}

export async function latestConversationOfContact(
	db: Queryable,
	workspaceId: string,
	contactId: string,
): Promise<Conversation | undefined> {
	const row = await db
		.selectFrom('conversations')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where('contact_id', '=', contactId)
		.orderBy('id', 'desc')
		.limit(1)
		.executeTakeFirst();
	return row ? conversationFromRow(row) : undefined;
}

export async function insertConversation(
	db: Queryable,
	workspaceId: string,
	init: { id?: string; agentId: string; contactId: string; channel: string },
): Promise<Conversation> {
	const at = nowIso();
	const row: ConversationRow = {
		id: init.id ?? newId('conv'),
		workspace_id: workspaceId,
		agent_id: init.agentId,
		contact_id: init.contactId,
		channel: init.channel,
		status: 'active',
		collected: '{}',
		fired_actions: '[]',
		turn_count: 0,
		intent: null,
		sentiment: null,
		summary: null,
		created_at: at,
		updated_at: at,
	};
	await db.insertInto('conversations').values(row).execute();
	return conversationFromRow(row);
}

/**
 * Writes the outcome of a turn. Guarded by the turn count read before the engine ran, so two concurrent
 * turns on one conversation cannot both win; returns false when the guard failed.
 */
export async function updateConversationAfterTurn(
	db: Queryable,
	workspaceId: string,
	id: string,
	expectedTurnCount: number,
	next: Pick<Conversation, 'collected' | 'firedActions' | 'turnCount' | 'intent' | 'sentiment' | 'summary' | 'status'>,
): Promise<boolean> {
	const result = await db
		.updateTable('conversations')
		.set({
			collected: toJson(next.collected),
			fired_actions: toJson(next.firedActions),
			turn_count: next.turnCount,
			intent: next.intent,
			sentiment: next.sentiment,
			summary: next.summary,
			status: next.status,
			updated_at: nowIso(),
		})
		.where('workspace_id', '=', workspaceId)
		.where('id', '=', id)
		.where('turn_count', '=', expectedTurnCount)
		.executeTakeFirst();
	return Number(result.numUpdatedRows) === 1;
}

export async function touchConversation(db: Queryable, workspaceId: string, id: string): Promise<void> {
	await db.updateTable('conversations').set({ updated_at: nowIso() }).where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
}

export async function insertMessage(
	db: Queryable,
	workspaceId: string,
	conversationId: string,
	message: { role: Role; source: MessageRow['source']; text: string },
): Promise<Message> {
	const row: MessageRow = {
		id: newId('msg'),
		workspace_id: workspaceId,
		conversation_id: conversationId,
		role: message.role,
		source: message.source,
		text: message.text,
		created_at: nowIso(),
	};
	await db.insertInto('messages').values(row).execute();
	return { id: row.id, role: row.role, source: row.source, text: row.text, createdAt: row.created_at };
}

export async function listMessages(db: Queryable, workspaceId: string, conversationId: string): Promise<Message[]> {
	const rows = await db
		.selectFrom('messages')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where('conversation_id', '=', conversationId)
		.orderBy('id')
		.execute();
	return rows.map((r) => ({ id: r.id, role: r.role, source: r.source, text: r.text, createdAt: r.created_at }));
}

export function toTranscript(messages: Message[]): TranscriptEntry[] {
	return messages.map((m) => ({ role: m.role, text: m.text, at: m.createdAt }));
}

export async function addTimeline(
	db: Queryable,
	workspaceId: string,
	conversationId: string,
	kind: string,
	detail: Record<string, unknown>,
): Promise<void> {
	await db
		.insertInto('timeline')
		.values({ id: newId('tl'), workspace_id: workspaceId, conversation_id: conversationId, at: nowIso(), kind, detail: toJson(detail) })
		.execute();
}

export async function listTimeline(db: Queryable, workspaceId: string, conversationId: string): Promise<TimelineEntry[]> {
	const rows = await db
		.selectFrom('timeline')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where('conversation_id', '=', conversationId)
		.orderBy('id')
		.execute();
	return rows.map((r) => ({ at: r.at, kind: r.kind, detail: parseJson<Record<string, unknown>>(r.detail, {}) }));
}
