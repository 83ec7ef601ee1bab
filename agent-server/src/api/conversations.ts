import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context';
import { chat, getConversationDetail, replyToConversation, startConversation } from '../conversations/service';
import { causationOf } from './causation';
import { chatBody, idParams, replyOptionsBody, startConversationBody } from './schemas';

export const conversationRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	app.post('/chat', { schema: { body: chatBody } }, async (request) => {
		return chat(ctx, request.workspaceId, request.body, causationOf(request));
	});

	app.get('/conversations/:id', { schema: { params: idParams } }, async (request) => {
		return getConversationDetail(ctx, request.workspaceId, request.params.id);
	});

	app.post('/conversations', { schema: { body: startConversationBody } }, async (request, reply) => {
		const result = await startConversation(ctx, request.workspaceId, request.body, causationOf(request));
		return reply.status(201).send(result);
	});

	app.post('/conversations/:id/replies', { schema: { params: idParams, body: replyOptionsBody } }, async (request) => {
		return replyToConversation(ctx, request.workspaceId, request.params.id, request.body, causationOf(request));
	});
};
