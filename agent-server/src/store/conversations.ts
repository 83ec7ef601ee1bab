import type { Role, TranscriptEntry } from '../engine/types';
import { newId, nowIso } from '../util/ids';
import { parseJson, toJson } from '../util/json';
import type { ConversationRow, MessageRow, Queryable } from './schema';

/** `human`: a human handles the conversation and the bot stays quiet. */
export type ConversationStatus = 'active' | 'human' | 'ended';

export interface Ending {
	reason: string;
	outcome: string;
	outcomeRule: string;
	summary: string | null;
	endedAt: string;
	by: 'agent' | 'workflow' | 'api' | 'sweeper';
}

/** A fired action whose written-back contact fields the agent awaits (`late`: the timeout passed, a follow-up is owed). */
export interface Wait {
	actionId: string;
	eventId: string;
	fields: string[];
	/** When the action fired: only values written since then are its result. */
	since?: string;
	deadline: string;
	state: 'waiting' | 'late';
}

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
	modelCalls: number;
	ending: Ending | null;
	waits: Wait[];
	humanAt: string | null;
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
		modelCalls: Number(row.model_calls ?? 0),
		ending: parseJson<Ending | null>(row.ending ?? null, null),
		waits: parseJson<Wait[]>(row.waits ?? '[]', []),
		humanAt: row.human_at ?? null,
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

/** Adds this turn's model calls to the conversation's count. */
export async function addModelCalls(db: Queryable, workspaceId: string, id: string, calls: number): Promise<void> {
	if (calls <= 0) return;
	await db
		.updateTable('conversations')
		.set((eb) => ({ model_calls: eb('model_calls', '+', calls) }))
		.where('workspace_id', '=', workspaceId)
		.where('id', '=', id)
		.execute();
}

/** Model calls of every conversation of the workspace. */
export async function workspaceModelCalls(db: Queryable, workspaceId: string): Promise<number> {
	const row = await db
		.selectFrom('conversations')
		.select((eb) => eb.fn.sum<number | string | null>('model_calls').as('total'))
		.where('workspace_id', '=', workspaceId)
		.executeTakeFirst();
	return Number(row?.total ?? 0);
}

/** Changes the status (and the time a human last acted), touching the conversation. */
export async function setStatus(db: Queryable, workspaceId: string, id: string, status: ConversationStatus, humanAt?: string | null): Promise<void> {
	await db
		.updateTable('conversations')
		.set({ status, updated_at: nowIso(), ...(humanAt !== undefined ? { human_at: humanAt } : {}) })
		.where('workspace_id', '=', workspaceId)
		.where('id', '=', id)
		.execute();
}

export async function setWaits(db: Queryable, workspaceId: string, id: string, waits: Wait[]): Promise<void> {
	await db.updateTable('conversations').set({ waits: toJson(waits) }).where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
}

/** Marks the conversation ended; false when it had already ended (so the ended event is sent once). */
export async function markEnded(db: Queryable, workspaceId: string, id: string, ending: Ending): Promise<boolean> {
	const result = await db
		.updateTable('conversations')
		.set({ status: 'ended', ending: toJson(ending), waits: '[]', updated_at: ending.endedAt })
		.where('workspace_id', '=', workspaceId)
		.where('id', '=', id)
		.where('status', '!=', 'ended')
		.executeTakeFirst();
	return Number(result.numUpdatedRows) === 1;
}

/** Open conversations of every workspace not touched since `before` (oldest first), for the sweeper. */
export async function idleConversations(db: Queryable, before: string, limit: number): Promise<(Conversation & { workspaceId: string })[]> {
	const rows = await db
		.selectFrom('conversations')
		.selectAll()
		.where('status', 'in', ['active', 'human'])
		.where('updated_at', '<', before)
		.orderBy('updated_at')
		.limit(limit)
		.execute();
	return rows.map((r) => ({ ...conversationFromRow(r), workspaceId: r.workspace_id }));
}

/** Open conversations of a contact that owe a workflow result. */
export async function conversationsWithWaits(db: Queryable, workspaceId: string, contactId: string): Promise<Conversation[]> {
	const rows = await db
		.selectFrom('conversations')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where('contact_id', '=', contactId)
		.where('status', '!=', 'ended')
		.where('waits', '!=', '[]')
		.execute();
	return rows.map(conversationFromRow);
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
