import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context';
import { z } from 'zod';
import { createDestinationPolicy, type DestinationPolicy } from '../delivery/destinations';
import { exampleEnvelope } from '../events/examples';
import { destinationSignal, retrySubscriptionNow } from '../delivery/resume';
import { insertDelivery, insertEventRow, recentEvents, subscriptionHealth } from '../store/outbox';
import {
	EVENT_TYPES,
	countSubscriptions,
	createSubscription,
	deleteSubscription,
	getSubscription,
	listSubscriptions,
	subscriptionMatches,
	withoutSecret,
} from '../store/subscriptions';
import { SUBSCRIPTIONS_PER_WORKSPACE } from '../limits';
import { lockWorkspace } from '../store/workspaces';
import { HttpError, notFound } from '../util/http-error';
import { idParams, subscriptionBody } from './schemas';

export const subscriptionRoutes: FastifyPluginAsyncZod<{ ctx: AppContext; destinations?: DestinationPolicy }> = async (
	app,
	{ ctx, destinations = createDestinationPolicy() },
) => {
	app.post('/subscriptions', { schema: { body: subscriptionBody } }, async (request, reply) => {
		// Link-local and metadata hosts are always refused; with WEBHOOK_ALLOWED_HOSTS only the operator's hosts pass.
		const refused = await destinations.checkUrl(request.body.url);
		if (refused) throw new HttpError(400, `body/url: ${refused}`);
		const filters = Object.fromEntries(Object.entries(request.body.filters ?? {}).filter(([, v]) => v !== undefined));
		const events = [...new Set(request.body.events)];
		const sub = await ctx.store.db.transaction().execute(async (trx) => {
			await lockWorkspace(trx, request.workspaceId);
			if ((await countSubscriptions(trx, request.workspaceId)) >= SUBSCRIPTIONS_PER_WORKSPACE) {
				throw new HttpError(409, `a workspace has at most ${SUBSCRIPTIONS_PER_WORKSPACE} subscriptions; delete one first`);
			}
			const created = await createSubscription(trx, request.workspaceId, { url: request.body.url, events, filters });
			if (request.body.sendTestEvent) {
				// The newest real event this subscription would have received, else the documented example.
				const recent = (await recentEvents(trx, request.workspaceId, events)).find((e) => subscriptionMatches(created, e.envelope));
				let eventId = recent?.id;
				if (!eventId) {
					const example = exampleEnvelope(events[0], request.workspaceId);
					await insertEventRow(trx, request.workspaceId, example);
					eventId = example.id;
				}
				await insertDelivery(trx, request.workspaceId, eventId, created.id);
			}
			return created;
		});
		// n8n creates a subscription when it activates a workflow: its other webhooks there may be back too.
		const signal = await destinationSignal(ctx.store.db, request.workspaceId, { url: sub.url });
		if (request.body.sendTestEvent || signal.probed.length > 0) ctx.deliveriesQueued();
		return reply.status(201).send(sub);
	});

	app.get('/events/examples/:type', { schema: { params: z.object({ type: z.enum(EVENT_TYPES) }) } }, async (request) => {
		return exampleEnvelope(request.params.type, request.workspaceId);
	});

	app.get('/subscriptions', async (request) => ({
		data: (await listSubscriptions(ctx.store.db, request.workspaceId)).map(withoutSecret),
	}));

	// Delivery health of every live subscription, so a destination failing for a long time is visible.
	app.get('/subscriptions/health', async (request) => {
		const health = await subscriptionHealth(ctx.store.db, request.workspaceId);
		const subs = await listSubscriptions(ctx.store.db, request.workspaceId);
		return { data: subs.map((s) => ({ subscriptionId: s.id, url: s.url, ...health.get(s.id) })) };
	});

	app.get('/subscriptions/:id', { schema: { params: idParams } }, async (request) => {
		const sub = await getSubscription(ctx.store.db, request.workspaceId, request.params.id);
		if (!sub) throw notFound('subscription', request.params.id);
		// A trigger node's checkExists: n8n is (re)activating the workflow, so the destination is back.
		const signal = await destinationSignal(ctx.store.db, request.workspaceId, { subscriptionId: sub.id, url: sub.url });
		if (signal.released.length + signal.probed.length > 0) {
			request.log.info({ subscriptionId: sub.id, released: signal.released.length, probed: signal.probed.length }, 'subscription checked: pending deliveries released');
			ctx.deliveriesQueued();
		}
		return withoutSecret(sub);
	});

	// Retry now, for every pending delivery of a subscription (failed ones are replayed with /deliveries/replay).
	app.post('/subscriptions/:id/retry', { schema: { params: idParams } }, async (request) => {
		const sub = await getSubscription(ctx.store.db, request.workspaceId, request.params.id);
		if (!sub) throw notFound('subscription', request.params.id);
		const released = await ctx.store.db.transaction().execute((trx) => retrySubscriptionNow(trx, request.workspaceId, sub.id));
		if (released.length > 0) ctx.deliveriesQueued();
		return { retried: released.length, deliveryIds: released };
	});

	app.delete('/subscriptions/:id', { schema: { params: idParams } }, async (request, reply) => {
		const deleted = await ctx.store.db.transaction().execute((trx) => deleteSubscription(trx, request.workspaceId, request.params.id));
		if (!deleted) throw notFound('subscription', request.params.id);
		return reply.status(204).send();
	});
};
