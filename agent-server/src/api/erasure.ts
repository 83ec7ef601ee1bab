// Right to erasure (delete a contact and everything about it), transcript retention, and the workspace's log.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context';
import { eraseContactOverApi, retentionOf, setRetention } from '../erasure/service';
import { listWorkspaceLog } from '../store/erasure';
import { causationOf } from './causation';
import { idParams } from './schemas';

const retentionBody = z.strictObject({ transcriptDays: z.number().int().min(1).max(36_500).nullable() });
const logQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).optional() });

export const erasureRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	app.delete('/contacts/:id', { schema: { params: idParams } }, async (request, reply) => {
		await eraseContactOverApi(ctx, request.workspaceId, request.params.id, causationOf(request) ? 'workflow' : 'api');
		return reply.status(204).send();
	});

	app.get('/workspace/retention', async (request) => ({ transcriptDays: await retentionOf(ctx, request.workspaceId) }));

	app.put('/workspace/retention', { schema: { body: retentionBody } }, async (request) => {
		await setRetention(ctx, request.workspaceId, request.body.transcriptDays);
		return { transcriptDays: request.body.transcriptDays };
	});

	app.get('/workspace/log', { schema: { querystring: logQuery } }, async (request) => ({
		data: await listWorkspaceLog(ctx.store.db, request.workspaceId, request.query.limit ?? 100),
	}));
};
