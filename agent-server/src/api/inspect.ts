// Inspection routes behind the inspector page: recent conversations, the deliveries of one conversation's
// events, re-sending a conversation's events to a workflow's n8n test URL, and a conversation saved as a test file.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context';
import { saveConversationAsTest } from '../agent-tests/from-conversation';
import { addTimeline, conversationFromRow, getConversation } from '../store/conversations';
import { insertDelivery, type EventEnvelope } from '../store/outbox';
import { getSubscription, subscriptionMatches } from '../store/subscriptions';
import { HttpError, notFound } from '../util/http-error';
import { parseJson } from '../util/json';
import { id, idParams } from './schemas';

const listQuery = z.strictObject({
	agentId: id.optional(),
	status: z.enum(['active', 'human', 'ended']).optional(),
	channel: z.string().min(1).max(50).optional(),
	limit: z.coerce.number().int().min(1).max(100).optional(),
});
const sendBody = z.strictObject({ subscriptionId: id });

/** n8n serves a workflow's test webhook under /webhook-test/ while the editor listens for a test event. */
export const isN8nTestUrl = (url: string) => {
	try {
		return new URL(url).pathname.includes('/webhook-test/');
	} catch {
		return false;
	}
};

export const inspectRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	const { db } = ctx.store;

	app.get('/conversations', { schema: { querystring: listQuery } }, async (request) => {
		const q = request.query;
		let query = db.selectFrom('conversations').selectAll().where('workspace_id', '=', request.workspaceId);
		if (q.agentId) query = query.where('agent_id', '=', q.agentId);
		if (q.status) query = query.where('status', '=', q.status);
		if (q.channel) query = query.where('channel', '=', q.channel);
		const rows = await query.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(q.limit ?? 20).execute();
		// Each listed conversation's latest message, in one query (the inspector refreshes this list every few seconds).
		const ids = rows.map((row) => row.id);
		const latest = ids.length
			? await db
					.selectFrom('messages')
					.select(['conversation_id', 'role', 'text', 'created_at'])
					.where('workspace_id', '=', request.workspaceId)
					.where('id', 'in', (eb) =>
						eb
							.selectFrom('messages')
							.select((m) => m.fn.max('id').as('id'))
							.where('workspace_id', '=', request.workspaceId)
							.where('conversation_id', 'in', ids)
							.groupBy('conversation_id'),
					)
					.execute()
			: [];
		const lastOf = new Map(latest.map((m) => [m.conversation_id, m]));
		const data = rows.map((row) => {
			const c = conversationFromRow(row);
			const last = lastOf.get(c.id);
			return {
				id: c.id,
				agentId: c.agentId,
				contactId: c.contactId,
				channel: c.channel,
				status: c.status,
				turns: c.turnCount,
				createdAt: c.createdAt,
				updatedAt: c.updatedAt,
				lastMessage: last ? { role: last.role, text: last.text, createdAt: last.created_at } : null,
			};
		});
		return { data };
	});

	app.get('/conversations/:id/deliveries', { schema: { params: idParams } }, async (request) => {
		if (!(await getConversation(db, request.workspaceId, request.params.id))) throw notFound('conversation', request.params.id);
		const rows = await db
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
			.where('deliveries.workspace_id', '=', request.workspaceId)
			.where('events.conversation_id', '=', request.params.id)
			.orderBy('deliveries.id')
			.limit(1000)
			.execute();
		return {
			data: rows.map((r) => ({
				...r,
				attempts: Number(r.attempts),
				lastStatusCode: r.lastStatusCode === null ? null : Number(r.lastStatusCode),
				testUrl: isN8nTestUrl(r.url),
			})),
		};
	});

	// Save as test: the conversation as a test file (`agent-bridge test`) with its outcomes as expectations.
	app.get('/conversations/:id/test', { schema: { params: idParams } }, async (request) => {
		return saveConversationAsTest(ctx, request.workspaceId, request.params.id);
	});

	// New deliveries (new webhook-ids) so the test webhook runs them even if it saw these events before.
	app.post('/conversations/:id/events/send', { schema: { params: idParams, body: sendBody } }, async (request, reply) => {
		const { workspaceId } = request;
		const conversationId = request.params.id;
		const { subscriptionId } = request.body;
		if (!(await getConversation(db, workspaceId, conversationId))) throw notFound('conversation', conversationId);
		const sub = await getSubscription(db, workspaceId, subscriptionId);
		if (!sub) throw notFound('subscription', subscriptionId);
		if (!isN8nTestUrl(sub.url)) {
			throw new HttpError(400, `subscription ${subscriptionId} is not an n8n test URL (/webhook-test/); use delivery replay for live workflows`);
		}
		const events = await db
			.selectFrom('events')
			.select(['id', 'type', 'envelope'])
			.where('workspace_id', '=', workspaceId)
			.where('conversation_id', '=', conversationId)
			.orderBy('id')
			.execute();
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
		return reply.status(202).send({ queued: deliveries.length, deliveries });
	});
};
