// The inspector's views and its one action: recent conversations, a conversation's deliveries, and its events sent
// again to a workflow's n8n test URL (new deliveries, so the test webhook runs them even if it saw them before).
import type { AppContext } from '../context';
import { addTimeline, getConversation } from '../store/conversations';
import { conversationDeliveryRows, conversationEvents, recentConversations, type ConversationFilter } from '../store/inspect';
import { insertDelivery, type EventEnvelope } from '../store/outbox';
import { getSubscription, subscriptionMatches } from '../store/subscriptions';
import { HttpError, notFound } from '../util/http-error';
import { parseJson } from '../util/json';

/** n8n serves a workflow's test webhook under /webhook-test/ while the editor listens for a test event. */
export const isN8nTestUrl = (url: string) => {
	try {
		return new URL(url).pathname.includes('/webhook-test/');
	} catch {
		return false;
	}
};

export async function listConversations(ctx: AppContext, workspaceId: string, filter: ConversationFilter) {
	const rows = await recentConversations(ctx.store.db, workspaceId, filter);
	return rows.map(({ conversation: c, last }) => ({
		id: c.id,
		agentId: c.agentId,
		contactId: c.contactId,
		channel: c.channel,
		status: c.status,
		turns: c.turnCount,
		createdAt: c.createdAt,
		updatedAt: c.updatedAt,
		lastMessage: last,
	}));
}

export async function conversationDeliveries(ctx: AppContext, workspaceId: string, conversationId: string) {
	if (!(await getConversation(ctx.store.db, workspaceId, conversationId))) throw notFound('conversation', conversationId);
	const rows = await conversationDeliveryRows(ctx.store.db, workspaceId, conversationId);
	return rows.map((r) => ({
		...r,
		attempts: Number(r.attempts),
		lastStatusCode: r.lastStatusCode === null ? null : Number(r.lastStatusCode),
		testUrl: isN8nTestUrl(r.url),
	}));
}

export async function sendEventsToTest(ctx: AppContext, workspaceId: string, conversationId: string, subscriptionId: string) {
	const { db } = ctx.store;
	if (!(await getConversation(db, workspaceId, conversationId))) throw notFound('conversation', conversationId);
	const sub = await getSubscription(db, workspaceId, subscriptionId);
	if (!sub) throw notFound('subscription', subscriptionId);
	if (!isN8nTestUrl(sub.url)) {
		throw new HttpError(400, `subscription ${subscriptionId} is not an n8n test URL (/webhook-test/); use delivery replay for live workflows`);
	}
	const events = await conversationEvents(db, workspaceId, conversationId);
	const matching = events.filter((e) => subscriptionMatches(sub, parseJson<EventEnvelope>(e.envelope, {} as EventEnvelope)));
	if (matching.length === 0) {
		throw new HttpError(
			409,
			events.length === 0
				? `conversation ${conversationId} has no events yet`
				: `none of the ${events.length} events of conversation ${conversationId} match subscription ${subscriptionId} (events ${sub.events.join(', ')}${Object.keys(sub.filters).length ? ' and its filters' : ''})`,
		);
	}
	const deliveries = await db.transaction().execute(async (trx) => {
		const queued = [];
		for (const e of matching) queued.push({ id: await insertDelivery(trx, workspaceId, e.id, sub.id), eventId: e.id, eventType: e.type });
		await addTimeline(trx, workspaceId, conversationId, 'events.sent_to_test', { subscriptionId: sub.id, url: sub.url, deliveries: queued.length });
		return queued;
	});
	ctx.deliveriesQueued();
	return { queued: deliveries.length, deliveries };
}
