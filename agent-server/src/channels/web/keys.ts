// Workspace routes (behind the API key) that manage publishable widget keys and how their widget looks.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idParams } from '../../api/schemas';
import type { AppContext } from '../../context';
import { notFound } from '../../util/http-error';
import { createWidgetKey, deleteWidgetKey, listWidgetKeys, updateWidgetKey } from '../../store/widgets';
import { appearancePatch, readAppearance, updateAppearance } from './appearance';

/** "https://example.com" or "http://localhost:8080"; a trailing slash is dropped, a path is refused. */
export const origin = z
	.string()
	.max(300)
	.transform((s) => s.replace(/\/$/, ''))
	.refine((s) => {
		try {
			const u = new URL(s);
			return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === s && !u.hostname.includes('*');
		} catch {
			return false;
		}
	}, 'must be an origin such as https://example.com (scheme, host and optional port; no path, no wildcard)');

const widgetKeyBody = z.strictObject({
	allowedOrigins: z.array(origin).min(1).max(20),
	name: z.string().min(1).max(100).optional(),
});

const widgetKeyPatch = z
	.strictObject({
		allowedOrigins: z.array(origin).min(1).max(20).optional(),
		name: z.string().min(1).max(100).optional(),
	})
	.refine((b) => b.allowedOrigins !== undefined || b.name !== undefined, 'give allowedOrigins, name, or both');

export const widgetKeyRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	app.post('/widget-keys', { schema: { body: widgetKeyBody } }, async (request, reply) => {
		const allowedOrigins = [...new Set(request.body.allowedOrigins)];
		const key = await createWidgetKey(ctx.store.db, request.workspaceId, { name: request.body.name, allowedOrigins });
		return reply.status(201).send(key);
	});

	app.get('/widget-keys', async (request) => ({ data: await listWidgetKeys(ctx.store.db, request.workspaceId) }));

	// Origins are replaced as given: the list sent is the list kept.
	app.patch('/widget-keys/:id', { schema: { params: idParams, body: widgetKeyPatch } }, async (request) => {
		const { allowedOrigins, name } = request.body;
		const key = await updateWidgetKey(ctx.store.db, request.workspaceId, request.params.id, { name, allowedOrigins: allowedOrigins && [...new Set(allowedOrigins)] });
		if (!key) throw notFound('widget key', request.params.id);
		return key;
	});

	app.delete('/widget-keys/:id', { schema: { params: idParams } }, async (request, reply) => {
		if (!(await deleteWidgetKey(ctx.store.db, request.workspaceId, request.params.id))) throw notFound('widget key', request.params.id);
		return reply.status(204).send();
	});

	app.get('/widget-keys/:id/appearance', { schema: { params: idParams } }, async (request) => readAppearance(ctx, request.workspaceId, request.params.id));

	app.patch('/widget-keys/:id/appearance', { schema: { params: idParams, body: appearancePatch } }, async (request) =>
		updateAppearance(ctx, request.workspaceId, request.params.id, request.body),
	);
};
