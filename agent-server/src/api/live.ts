// The console's live stream (GET /v1/live, server-sent events) and a person's typing signal in the inbox.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context';
import { consoleStreamClient, signalTyping } from '../live/console-stream';
import { id, idParams } from './schemas';

const liveQuery = z.strictObject({ conversationId: id.optional() });
const typingBody = z.strictObject({ active: z.boolean() });

export const liveRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	app.get('/live', { schema: { querystring: liveQuery } }, async (request, reply) => {
		await ctx.live.open(reply, consoleStreamClient(request.workspaceId, request.query.conversationId));
	});

	app.post('/conversations/:id/typing', { schema: { params: idParams, body: typingBody } }, async (request, reply) => {
		await signalTyping(ctx, request.workspaceId, request.params.id, request.body.active, request.consoleUser ?? 'a team member');
		return reply.status(204).send();
	});
};
