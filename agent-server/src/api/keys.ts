// API key management (admin scope): list, create with scopes, rotate and revoke; a key is shown only in the answer
// that made it.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context';
import { createKey, listKeys, revokeKey, rotateKey } from '../keys/service';
import { API_KEY_SCOPES } from '../store/workspaces';
import { idParams, nonBlank } from './schemas';

const createKeyBody = z.strictObject({
	name: nonBlank(100),
	scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).max(API_KEY_SCOPES.length),
});

export const apiKeyRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	app.get('/api-keys', async (request) => ({ data: await listKeys(ctx, request.workspaceId) }));

	app.post('/api-keys', { schema: { body: createKeyBody } }, async (request, reply) => {
		return reply.status(201).header('cache-control', 'no-store').send(await createKey(ctx, request.workspaceId, request.body));
	});

	app.post('/api-keys/:id/rotate', { schema: { params: idParams } }, async (request, reply) => {
		return reply.header('cache-control', 'no-store').send(await rotateKey(ctx, request.workspaceId, request.params.id));
	});

	app.delete('/api-keys/:id', { schema: { params: idParams } }, async (request, reply) => {
		await revokeKey(ctx, request.workspaceId, request.params.id);
		return reply.status(204).send();
	});
};
