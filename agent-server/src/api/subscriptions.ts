import { isIP } from 'node:net';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context';
import { createSubscription, deleteSubscription, getSubscription, listSubscriptions, withoutSecret } from '../store/subscriptions';
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
		const sub = await createSubscription(ctx.store.db, request.workspaceId, {
			url: request.body.url,
			events: [...new Set(request.body.events)],
			filters,
		});
		return reply.status(201).send(sub);
	});

	app.get('/subscriptions', async (request) => ({
		data: (await listSubscriptions(ctx.store.db, request.workspaceId)).map(withoutSecret),
	}));

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
