// Delivery inspection, retry-now and replay: what is pending or failed, the invariant counts, retrying one delivery
// now, and replaying one delivery, a subscription's failed deliveries, or everything since a time.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context';
import { deliveryCounts, listDeliveries, replayDeliveries, retryDeliveryNow, type ReplayResult } from '../store/outbox';
import { EXECUTION_STATES } from '../store/schema';
import { getSubscription } from '../store/subscriptions';
import { HttpError, notFound } from '../util/http-error';
import { id, idParams } from './schemas';

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 time');
const toIso = (s: string | undefined) => (s === undefined ? undefined : new Date(s).toISOString());

const deliveryQuery = z.strictObject({
	status: z.enum(['pending', 'delivered', 'failed']).optional(),
	subscriptionId: id.optional(),
	eventId: id.optional(),
	since: isoTime.optional(),
	execution: z.enum(EXECUTION_STATES).optional(),
	limit: z.coerce.number().int().min(1).max(1000).optional(),
});

const replayBody = z
	.strictObject({
		subscriptionId: id.optional(),
		since: isoTime.optional(),
		includeDelivered: z.boolean().optional(),
	})
	.refine((b) => b.subscriptionId !== undefined || b.since !== undefined, 'give subscriptionId, since, or both');

const replayAnswer = (r: ReplayResult) => ({ replayed: r.reopened.length + r.resent.length, reopened: r.reopened, resent: r.resent });

export const eventRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	app.get('/deliveries', { schema: { querystring: deliveryQuery } }, async (request) => {
		const q = request.query;
		return { data: await listDeliveries(ctx.store.db, request.workspaceId, { ...q, since: toIso(q.since) }) };
	});

	app.get('/deliveries/summary', async (request) => deliveryCounts(ctx.store.db, request.workspaceId));

	app.post('/deliveries/:id/replay', { schema: { params: idParams } }, async (request) => {
		const result = await replayDeliveries(ctx.store.db, request.workspaceId, { deliveryId: request.params.id });
		if (result.reopened.length + result.resent.length === 0) {
			const [known] = await listDeliveries(ctx.store.db, request.workspaceId, { id: request.params.id });
			if (!known) throw notFound('delivery', request.params.id);
			throw new HttpError(409, `delivery ${request.params.id} is ${known.status === 'pending' ? 'already queued' : 'to a deleted subscription'}`);
		}
		ctx.deliveriesQueued();
		return replayAnswer(result);
	});

	// Retry now: a pending delivery goes at once, a failed one is reopened (same webhook-id). A delivered one is not
	// retried (409): replay sends it again under a new webhook-id, on purpose.
	app.post('/deliveries/:id/retry', { schema: { params: idParams } }, async (request) => {
		const { id } = request.params;
		const outcome = await ctx.store.db.transaction().execute((trx) => retryDeliveryNow(trx, request.workspaceId, id, new Date()));
		if (!outcome) throw notFound('delivery', id);
		if (outcome === 'delivered') throw new HttpError(409, `delivery ${id} was already delivered; replay it to send it again under a new webhook-id`);
		if (outcome === 'subscription-deleted') throw new HttpError(409, `delivery ${id} is to a deleted subscription`);
		ctx.deliveriesQueued();
		const [delivery] = await listDeliveries(ctx.store.db, request.workspaceId, { id });
		return { outcome, delivery };
	});

	app.post('/deliveries/replay', { schema: { body: replayBody } }, async (request) => {
		const { subscriptionId, since, includeDelivered } = request.body;
		if (subscriptionId && !(await getSubscription(ctx.store.db, request.workspaceId, subscriptionId))) {
			throw notFound('subscription', subscriptionId);
		}
		const result = await ctx.store.db
			.transaction()
			.execute((trx) => replayDeliveries(trx, request.workspaceId, { subscriptionId, since: toIso(since), includeDelivered }));
		if (result.reopened.length + result.resent.length > 0) ctx.deliveriesQueued();
		return replayAnswer(result);
	});
};
