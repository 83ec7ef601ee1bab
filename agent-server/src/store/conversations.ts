import type { Role, TranscriptEntry } from '../engine/types';
import { newId, nowIso } from '../util/ids';
import { parseJson, toJson } from '../util/json';
import { notifyLive } from './live-bus';
import { forUpdate, isPostgres } from './row-lock';
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
	/** The chat request's waitMs cut the wait short: the holding reply is sent and the action's timeout fallback is not. */
	capped?: boolean;
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
	modelRequests: number;
	ending: Ending | null;
	waits: Wait[];
	humanAt: string | null;
	/** Who claimed the conversation in the inbox (a person's name), and when. */
	assignee: string | null;
	assignedAt: string | null;
}

export interface Message {
	id: string;
	role: Role;
	source: MessageRow['source'];
	text: string;
	createdAt: string;
	/** What the channel reported for a message to the contact; absent until a report. */
	delivery?: MessageDelivery;
}

export interface MessageDelivery {
	/** `retrying`: the channel refused for now and the message is sent again at `retryAt`. */
	status: 'delivered' | 'failed' | 'retrying';
	reason: string | null;
	at: string;
	/** Times the message was sent again after a refusal that would pass. */
	retries?: number;
	retryAt?: string;
}

/** A message as the API shows it: the delivery only once a channel reported it. */
function messageFromRow(
	r: Pick<MessageRow, 'id' | 'role' | 'source' | 'text' | 'created_at' | 'delivery_status' | 'delivery_reason' | 'delivery_at' | 'delivery_retries' | 'delivery_retry_at'>,
): Message {
	const message: Message = { id: r.id, role: r.role, source: r.source, text: r.text, createdAt: r.created_at };
	if (r.delivery_status) {
		message.delivery = { status: r.delivery_status, reason: r.delivery_reason ?? null, at: r.delivery_at ?? r.created_at };
		if (r.delivery_retries) message.delivery.retries = r.delivery_retries;
		if (r.delivery_status === 'retrying' && r.delivery_retry_at) message.delivery.retryAt = r.delivery_retry_at;
	}
	return message;
}

/** Every kind of timeline entry; the inspector draws each and docs/debugging.md explains each. */
export type TimelineKind =
	| 'message'
	| 'message.delivery'
	| 'fields.updated'
	| 'fields.rejected'
	| 'action.fired'
	| 'action.not_fired'
	| 'action.suppressed'
	| 'loop.blocked'
	| 'tag.added'
	| 'tag.removed'
	| 'engine.failed'
	| 'engine.fallback'
	| 'disclosure.blocked'
	| 'handoff'
	| 'handoff.released'
	| 'handoff.claimed'
	| 'note'
	| 'wait.fulfilled'
	| 'wait.timed_out'
	| 'wait.late_result'
	| 'workflow.reply'
	| 'workflow.reply_skipped'
	| 'conversation.started'
	| 'conversation.ended'
	| 'delivery'
	| 'execution'
	| 'events.sent_to_test';

export interface TimelineEntry {
	at: string;
	kind: TimelineKind;
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
		modelRequests: Number(row.model_requests ?? 0),
		ending: parseJson<Ending | null>(row.ending ?? null, null),
		waits: parseJson<Wait[]>(row.waits ?? '[]', []),
		humanAt: row.human_at ?? null,
		assignee: row.assignee ?? null,
		assignedAt: row.assigned_at ?? null,
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

/** The contact's latest conversation with this agent that has not ended. */
export async function openConversationWith(db: Queryable, workspaceId: string, contactId: string, agentId: string): Promise<Conversation | undefined> {
	const row = await db
		.selectFrom('conversations')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where('contact_id', '=', contactId)
		.where('agent_id', '=', agentId)
		.where('status', '!=', 'ended')
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

/** The conversation as stored now, locked for the rest of the caller's transaction (see row-lock.ts). */
export async function lockConversation(db: Queryable, workspaceId: string, id: string): Promise<Conversation | undefined> {
	const row = await forUpdate(
		db,
		db.selectFrom('conversations').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id),
	).executeTakeFirst();
	return row ? conversationFromRow(row) : undefined;
}

/** What one turn changes in the conversation: merged into the stored row, never replacing it. */
export interface TurnChanges {
	collected: Record<string, string>;
	fired: string[];
	intent: string | null;
	sentiment: string | null;
	summary: string | null;
	modelCalls: number;
	/** Provider requests of the turn, retries included. */
	modelRequests: number;
}

/** Applies a turn to the conversation as stored now (fields merged, fired actions added, one more turn). */
export async function applyTurn(db: Queryable, workspaceId: string, id: string, changes: TurnChanges): Promise<Conversation> {
	const stored = await lockConversation(db, workspaceId, id);
	if (!stored) throw new Error(`conversation ${id} vanished during its turn`);
	const next = {
		collected: { ...stored.collected, ...changes.collected },
		firedActions: [...new Set([...stored.firedActions, ...changes.fired])],
		turnCount: stored.turnCount + 1,
		intent: changes.intent ?? stored.intent,
		sentiment: changes.sentiment ?? stored.sentiment,
		summary: changes.summary ?? stored.summary,
		modelCalls: stored.modelCalls + changes.modelCalls,
		modelRequests: stored.modelRequests + changes.modelRequests,
		updatedAt: nowIso(),
	};
	await db
		.updateTable('conversations')
		.set({
			collected: toJson(next.collected),
			fired_actions: toJson(next.firedActions),
			turn_count: next.turnCount,
			intent: next.intent,
			sentiment: next.sentiment,
			summary: next.summary,
			model_calls: next.modelCalls,
			model_requests: next.modelRequests,
			updated_at: next.updatedAt,
		})
		.where('workspace_id', '=', workspaceId)
		.where('id', '=', id)
		.execute();
	return { ...stored, ...next };
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
	return (await workspaceModelUse(db, workspaceId)).calls;
}

/** Model calls (turns and composed messages) and provider requests (retries included) of the whole workspace. */
export async function workspaceModelUse(db: Queryable, workspaceId: string): Promise<{ calls: number; requests: number }> {
	const row = await db
		.selectFrom('conversations')
		.select((eb) => [eb.fn.sum<number | string | null>('model_calls').as('calls'), eb.fn.sum<number | string | null>('model_requests').as('requests')])
		.where('workspace_id', '=', workspaceId)
		.executeTakeFirst();
	return { calls: Number(row?.calls ?? 0), requests: Number(row?.requests ?? 0) };
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

/** Adds waits to the conversation's stored ones. */
export async function addWaits(db: Queryable, workspaceId: string, id: string, waits: Wait[]): Promise<void> {
	if (!waits.length) return;
	const stored = await lockConversation(db, workspaceId, id);
	if (!stored) return;
	await writeWaits(db, workspaceId, id, [...stored.waits, ...waits]);
}

/**
 * Settles the stored waits of the given events: removed, or kept as `late` (a follow-up is owed). Returns the waits
 * it settled; none when another request or instance settled them first.
 */
export async function settleWaits(db: Queryable, workspaceId: string, id: string, eventIds: string[], as: 'done' | 'late'): Promise<Wait[]> {
	const stored = await lockConversation(db, workspaceId, id);
	if (!stored) return [];
	const mine = stored.waits.filter((w) => eventIds.includes(w.eventId) && (as === 'done' || w.state !== 'late'));
	if (!mine.length) return [];
	const others = stored.waits.filter((w) => !mine.includes(w));
	await writeWaits(db, workspaceId, id, as === 'late' ? [...others, ...mine.map((w) => ({ ...w, state: 'late' as const }))] : others);
	return mine;
}

async function writeWaits(db: Queryable, workspaceId: string, id: string, waits: Wait[]): Promise<void> {
	await db.updateTable('conversations').set({ waits: toJson(waits) }).where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
}

/**
 * Takes the conversation's turn lease for `owner` until `until`, if nobody holds it or the holder's lease ran out
 * (the holder died). One conditional UPDATE, so exactly one of several instances wins.
 */
export async function claimTurn(
	db: Queryable,
	workspaceId: string,
	id: string,
	owner: string,
	until: string,
	/** Inside a transaction that must not wait: on PostgreSQL, a row locked by a running turn counts as taken. */
	options: { skipLocked?: boolean } = {},
): Promise<boolean> {
	const now = nowIso();
	const result = await db
		.updateTable('conversations')
		.set({ turn_owner: owner, turn_until: until })
		.where('workspace_id', '=', workspaceId)
		.$if(!options.skipLocked || !isPostgres(db), (q) => q.where('id', '=', id))
		.$if(!!options.skipLocked && isPostgres(db), (q) =>
			q.where('id', 'in', (eb) => eb.selectFrom('conversations').select('id').where('workspace_id', '=', workspaceId).where('id', '=', id).forUpdate().skipLocked()),
		)
		.where((eb) => eb.or([eb('turn_owner', 'is', null), eb('turn_until', '<', now), eb('turn_owner', '=', owner)]))
		.executeTakeFirst();
	return Number(result.numUpdatedRows) === 1;
}

/** Gives the lease back, unless it already passed to another owner. */
export async function releaseTurn(db: Queryable, workspaceId: string, id: string, owner: string): Promise<void> {
	await db
		.updateTable('conversations')
		.set({ turn_owner: null, turn_until: null })
		.where('workspace_id', '=', workspaceId)
		.where('id', '=', id)
		.where('turn_owner', '=', owner)
		.execute();
}

/**
 * Records `assignee` as the person handling the open conversation, unless someone else already does: one conditional
 * UPDATE, so of two people claiming at once exactly one wins. Returns the assignee as stored afterwards.
 */
export async function claimConversation(db: Queryable, workspaceId: string, id: string, assignee: string): Promise<{ claimed: boolean; assignee: string | null }> {
	const result = await db
		.updateTable('conversations')
		.set({ assignee, assigned_at: nowIso(), updated_at: nowIso() })
		.where('workspace_id', '=', workspaceId)
		.where('id', '=', id)
		.where('status', '!=', 'ended')
		.where((eb) => eb.or([eb('assignee', 'is', null), eb('assignee', '=', assignee)]))
		.executeTakeFirst();
	if (Number(result.numUpdatedRows) === 1) return { claimed: true, assignee };
	const row = await db.selectFrom('conversations').select('assignee').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
	return { claimed: false, assignee: row?.assignee ?? null };
}

/** Nobody handles the conversation any more (handed back to the agent). */
export async function clearAssignee(db: Queryable, workspaceId: string, id: string): Promise<void> {
	await db.updateTable('conversations').set({ assignee: null, assigned_at: null }).where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
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

export interface NewMessage {
	role: Role;
	source: MessageRow['source'];
	text: string;
	/** A contact message that waits for its turn. */
	pending?: boolean;
	idempotencyKey?: string;
	causationEventId?: string | null;
}

export async function insertMessage(db: Queryable, workspaceId: string, conversationId: string, message: NewMessage): Promise<Message> {
	const row: MessageRow = {
		id: newId('msg'),
		workspace_id: workspaceId,
		conversation_id: conversationId,
		role: message.role,
		source: message.source,
		text: message.text,
		created_at: nowIso(),
		pending: message.pending ? 1 : 0,
		idempotency_key: message.idempotencyKey ?? null,
		causation_event_id: message.causationEventId ?? null,
	};
	await db.insertInto('messages').values(row).execute();
	// Live pages hear of every stored message once it commits.
	await notifyLive(db, { k: 'message', w: workspaceId, c: conversationId, m: row.id, r: row.role });
	return { id: row.id, role: row.role, source: row.source, text: row.text, createdAt: row.created_at };
}

/** A contact message and where its turn stands. */
export interface ReceivedMessage extends Message {
	conversationId: string;
	pending: boolean;
	causationEventId: string | null;
	/** The answer of its turn, once that turn committed. */
	answer: unknown;
}

function receivedFromRow(row: MessageRow): ReceivedMessage {
	return {
		id: row.id,
		role: row.role,
		source: row.source,
		text: row.text,
		createdAt: row.created_at,
		conversationId: row.conversation_id,
		pending: Number(row.pending ?? 0) === 1,
		causationEventId: row.causation_event_id ?? null,
		answer: parseJson<unknown>(row.answer ?? null, null),
	};
}

export async function getReceivedMessage(db: Queryable, workspaceId: string, id: string): Promise<ReceivedMessage | undefined> {
	const row = await db.selectFrom('messages').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
	return row ? receivedFromRow(row) : undefined;
}

export async function messageByIdempotencyKey(db: Queryable, workspaceId: string, key: string): Promise<ReceivedMessage | undefined> {
	const row = await db.selectFrom('messages').selectAll().where('workspace_id', '=', workspaceId).where('idempotency_key', '=', key).executeTakeFirst();
	return row ? receivedFromRow(row) : undefined;
}

/** The contact message that has waited longest for its turn. */
export async function oldestPendingMessage(db: Queryable, workspaceId: string, conversationId: string): Promise<ReceivedMessage | undefined> {
	const row = await db
		.selectFrom('messages')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where('conversation_id', '=', conversationId)
		.where('pending', '=', 1)
		.orderBy('id')
		.limit(1)
		.executeTakeFirst();
	return row ? receivedFromRow(row) : undefined;
}

/** Conversations with a contact message waiting for its turn since before `before` (its request gave up or died). */
export async function conversationsWithStrandedMessages(db: Queryable, before: string, limit: number): Promise<{ workspaceId: string; conversationId: string }[]> {
	const rows = await db
		.selectFrom('messages')
		.select(['workspace_id', 'conversation_id'])
		.distinct()
		.where('pending', '=', 1)
		.where('created_at', '<', before)
		.limit(limit)
		.execute();
	return rows.map((r) => ({ workspaceId: r.workspace_id, conversationId: r.conversation_id }));
}

/** Stores a message's answer and ends its wait for a turn (inside the turn's transaction). */
export async function answerMessage(db: Queryable, workspaceId: string, id: string, answer: unknown): Promise<void> {
	await db.updateTable('messages').set({ pending: 0, answer: toJson(answer) }).where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
}

/** The conversation's messages in order; `answeredOnly` leaves out contact messages still waiting for their turn. */
export async function listMessages(db: Queryable, workspaceId: string, conversationId: string, options: { answeredOnly?: boolean } = {}): Promise<Message[]> {
	const rows = await db
		.selectFrom('messages')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where('conversation_id', '=', conversationId)
		.$if(!!options.answeredOnly, (q) => q.where('pending', '=', 0))
		.orderBy('id')
		.execute();
	return rows.map(messageFromRow);
}

/**
 * The latest `limit` messages, oldest first, and how many there are in all: what a turn and an event read, so their
 * cost does not grow with the conversation.
 */
export async function latestMessages(
	db: Queryable,
	workspaceId: string,
	conversationId: string,
	limit: number,
	options: { answeredOnly?: boolean } = {},
): Promise<{ messages: Message[]; total: number }> {
	const ofConversation = db
		.selectFrom('messages')
		.where('workspace_id', '=', workspaceId)
		.where('conversation_id', '=', conversationId)
		.$if(!!options.answeredOnly, (q) => q.where('pending', '=', 0));
	const rows = await ofConversation.select(['id', 'role', 'source', 'text', 'created_at']).orderBy('id', 'desc').limit(limit).execute();
	const messages = rows.reverse().map((r) => ({ id: r.id, role: r.role, source: r.source, text: r.text, createdAt: r.created_at }));
	// Counted only when there may be more than the latest (most conversations are shorter).
	if (rows.length < limit) return { messages, total: rows.length };
	const { total } = await ofConversation.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
	return { messages, total: Number(total) };
}

/** Up to `limit` messages after message `after` (all from the start without it), oldest first: what a widget polls. */
export async function listMessagesAfter(db: Queryable, workspaceId: string, conversationId: string, after: string | undefined, limit: number): Promise<Message[]> {
	const rows = await db
		.selectFrom('messages')
		.select(['id', 'role', 'source', 'text', 'created_at'])
		.where('workspace_id', '=', workspaceId)
		.where('conversation_id', '=', conversationId)
		.$if(after !== undefined, (q) => q.where('id', '>', after!))
		.orderBy('id')
		.limit(limit)
		.execute();
	return rows.map((r) => ({ id: r.id, role: r.role, source: r.source, text: r.text, createdAt: r.created_at }));
}

/** A message of the conversation, locked for the rest of the transaction (a delivery report's read-modify-write). */
export async function lockMessage(db: Queryable, workspaceId: string, conversationId: string, id: string): Promise<Message | undefined> {
	const row = await forUpdate(
		db,
		db.selectFrom('messages').selectAll().where('workspace_id', '=', workspaceId).where('conversation_id', '=', conversationId).where('id', '=', id),
	).executeTakeFirst();
	return row ? messageFromRow(row) : undefined;
}

export async function setMessageDelivery(db: Queryable, workspaceId: string, id: string, delivery: MessageDelivery): Promise<void> {
	await db
		.updateTable('messages')
		.set({
			delivery_status: delivery.status,
			delivery_reason: delivery.reason,
			delivery_at: delivery.at,
			delivery_retries: delivery.retries ?? 0,
			delivery_retry_at: delivery.retryAt ?? null,
		})
		.where('workspace_id', '=', workspaceId)
		.where('id', '=', id)
		.execute();
}

export async function latestMessageId(db: Queryable, workspaceId: string, conversationId: string): Promise<string | undefined> {
	const row = await db
		.selectFrom('messages')
		.select('id')
		.where('workspace_id', '=', workspaceId)
		.where('conversation_id', '=', conversationId)
		.orderBy('id', 'desc')
		.limit(1)
		.executeTakeFirst();
	return row?.id;
}

export function toTranscript(messages: Message[]): TranscriptEntry[] {
	return messages.map((m) => ({ role: m.role, text: m.text, at: m.createdAt }));
}

export async function addTimeline(
	db: Queryable,
	workspaceId: string,
	conversationId: string,
	kind: TimelineKind,
	detail: Record<string, unknown>,
): Promise<void> {
	await db.insertInto('timeline').values(timelineRow(workspaceId, conversationId, kind, detail)).execute();
}

function timelineRow(workspaceId: string, conversationId: string, kind: TimelineKind, detail: Record<string, unknown>) {
	return { id: newId('tl'), workspace_id: workspaceId, conversation_id: conversationId, at: nowIso(), kind, detail: toJson(detail) };
}

/**
 * Timeline entries of one transaction written as one statement at its end. Each entry's id and time are taken when
 * it is added, so entries written directly in between still sort where they happened.
 */
export class TimelineBatch {
	private readonly rows: ReturnType<typeof timelineRow>[] = [];

	constructor(
		private readonly workspaceId: string,
		private readonly conversationId: string,
	) {}

	add(kind: TimelineKind, detail: Record<string, unknown>): void {
		this.rows.push(timelineRow(this.workspaceId, this.conversationId, kind, detail));
	}

	async write(db: Queryable): Promise<void> {
		if (this.rows.length) await db.insertInto('timeline').values(this.rows.splice(0)).execute();
	}
}

export async function listTimeline(db: Queryable, workspaceId: string, conversationId: string): Promise<TimelineEntry[]> {
	const rows = await db
		.selectFrom('timeline')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where('conversation_id', '=', conversationId)
		.orderBy('id')
		.execute();
	return rows.map((r) => ({ at: r.at, kind: r.kind as TimelineKind, detail: parseJson<Record<string, unknown>>(r.detail, {}) }));
}
