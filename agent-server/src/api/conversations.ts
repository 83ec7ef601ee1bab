import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context';
import { chat, getConversationDetail, replyToConversation } from '../conversations/service';
import { causationOf } from './causation';
import { chatBody, idParams, replyBody } from './schemas';

export const conversationRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	app.post('/chat', { schema: { body: chatBody } }, async (request) => {
		return chat(ctx, request.workspaceId, request.body, causationOf(request));
	});

	app.get('/conversations/:id', { schema: { params: idParams } }, async (request) => {
		return getConversationDetail(ctx, request.workspaceId, request.params.id);
	});

	app.post('/conversations/:id/replies', { schema: { params: idParams, body: replyBody } }, async (request) => {
		return replyToConversation(ctx, request.workspaceId, request.params.id, request.body.text, causationOf(request));
	});
};
