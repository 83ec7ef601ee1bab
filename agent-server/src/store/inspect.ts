// What the inspector reads: recent conversations with their latest message, one conversation's deliveries and events.
import { conversationFromRow, type Conversation } from './conversations';
import type { Queryable } from './schema';

export interface ConversationFilter {
	agentId?: string;
	status?: string;
	channel?: string;
	limit?: number;
}

/** The workspace's conversations, most recently touched first, each with its latest message (one query for all). */
export async function recentConversations(
	db: Queryable,
	workspaceId: string,
	filter: ConversationFilter,
): Promise<{ conversation: Conversation; last: { role: string; text: string; createdAt: string } | null }[]> {
	let query = db.selectFrom('conversations').selectAll().where('workspace_id', '=', workspaceId);
	if (filter.agentId) query = query.where('agent_id', '=', filter.agentId);
	if (filter.status) query = query.where('status', '=', filter.status);
	if (filter.channel) query = query.where('channel', '=', filter.channel);
	const rows = await query.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(filter.limit ?? 20).execute();
	const ids = rows.map((row) => row.id);
	const latest = ids.length
		? await db
				.selectFrom('messages')
				.select(['conversation_id', 'role', 'text', 'created_at'])
				.where('workspace_id', '=', workspaceId)
				.where('id', 'in', (eb) =>
					eb
						.selectFrom('messages')
						.select((m) => m.fn.max('id').as('id'))
						.where('workspace_id', '=', workspaceId)
						.where('conversation_id', 'in', ids)
						.groupBy('conversation_id'),
				)
				.execute()
		: [];
	const lastOf = new Map(latest.map((m) => [m.conversation_id, { role: m.role, text: m.text, createdAt: m.created_at }]));
	return rows.map((row) => ({ conversation: conversationFromRow(row), last: lastOf.get(row.id) ?? null }));
}

/** Every delivery of the conversation's events, with its subscription's URL. */
export async function conversationDeliveryRows(db: Queryable, workspaceId: string, conversationId: string) {
	return db
		.selectFrom('deliveries')
		.innerJoin('events', 'events.id', 'deliveries.event_id')
		.innerJoin('subscriptions', 'subscriptions.id', 'deliveries.subscription_id')
		.select([
			'deliveries.id as id',
			'deliveries.event_id as eventId',
			'events.type as eventType',
			'deliveries.subscription_id as subscriptionId',
			'subscriptions.url as url',
			'deliveries.status as status',
			'deliveries.attempts as attempts',
			'deliveries.last_status_code as lastStatusCode',
			'deliveries.last_error as lastError',
			'deliveries.next_attempt_at as nextAttemptAt',
			'deliveries.next_attempt_reason as nextAttemptReason',
			'deliveries.created_at as createdAt',
			'deliveries.updated_at as updatedAt',
		])
		.where('deliveries.workspace_id', '=', workspaceId)
		.where('events.conversation_id', '=', conversationId)
		.orderBy('deliveries.id')
		.limit(1000)
		.execute();
}

export async function conversationEvents(db: Queryable, workspaceId: string, conversationId: string): Promise<{ id: string; type: string; envelope: string }[]> {
	return db.selectFrom('events').select(['id', 'type', 'envelope']).where('workspace_id', '=', workspaceId).where('conversation_id', '=', conversationId).orderBy('id').execute();
}
