import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context';
import { destinationSignal } from '../delivery/resume';
import { getWorkspace } from '../store/workspaces';
import { notFound } from '../util/http-error';

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
	app.get('/healthz', async () => ({ status: 'ok' }));
};

export const workspaceRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	app.get('/workspace', async (request) => {
		const workspace = await getWorkspace(ctx.store.db, request.workspaceId);
		if (!workspace) throw notFound('workspace', request.workspaceId);
		// n8n's credential test calls this route: an n8n using this workspace is up, so probe its failing destinations.
		const signal = await destinationSignal(ctx.store.db, request.workspaceId, {});
		if (signal.probed.length > 0) ctx.deliveriesQueued();
		return { id: workspace.id, name: workspace.name };
	});
};
