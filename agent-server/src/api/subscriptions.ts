import { isIP } from 'node:net';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context';
import { z } from 'zod';
import { exampleEnvelope } from '../events/examples';
import { insertDelivery, insertEventRow, recentEvents, subscriptionHealth } from '../store/outbox';
import {
	EVENT_TYPES,
	createSubscription,
	deleteSubscription,
	getSubscription,
	listSubscriptions,
	subscriptionMatches,
	withoutSecret,
} from '../store/subscriptions';
import { HttpError, notFound } from '../util/http-error';
import { idParams, subscriptionBody } from './schemas';

// Cloud metadata endpoints and link-local addresses are never valid webhook destinations.
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata', '169.254.169.254', '100.100.100.200', 'fd00:ec2::254']);

export function refusedDestination(url: string): string | undefined {
	const host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
	if (METADATA_HOSTS.has(host)) return 'cloud metadata addresses are not allowed';
	if (isIP(host) === 4 && host.startsWith('169.254.')) return 'link-local addresses are not allowed';
	if (isIP(host) === 6 && /^fe[89ab][0-9a-f]:/.test(host)) return 'link-local addresses are not allowed';
	return undefined;
}

export const subscriptionRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	app.post('/subscriptions', { schema: { body: subscriptionBody } }, async (request, reply) => {
		const refused = refusedDestination(request.body.url);
		if (refused) throw new HttpError(400, `body/url: ${refused}`);
		const filters = Object.fromEntries(Object.entries(request.body.filters ?? {}).filter(([, v]) => v !== undefined));
		const events = [...new Set(request.body.events)];
		const sub = await ctx.store.db.transaction().execute(async (trx) => {
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
		if (request.body.sendTestEvent) ctx.deliveriesQueued();
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
		return withoutSecret(sub);
	});

	app.delete('/subscriptions/:id', { schema: { params: idParams } }, async (request, reply) => {
		const deleted = await ctx.store.db.transaction().execute((trx) => deleteSubscription(trx, request.workspaceId, request.params.id));
		if (!deleted) throw notFound('subscription', request.params.id);
		return reply.status(204).send();
	});
};
