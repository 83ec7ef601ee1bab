import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context';
import { z } from 'zod';
import { budgetView, endOverApi, getConversationDetail, handOffOverApi, humanReply, releaseOverApi } from '../conversations/service';
import { reportDelivery } from '../conversations/delivery-reports';
import { chat } from '../conversations/turn';
import { replyToConversation, startConversation } from '../conversations/workflow-messages';
import { causationOf } from './causation';
import { DELIVERY_REASON_MAX_CHARS } from '../limits';
import { chatBody, id, idParams, nonBlank, replyOptionsBody, startConversationBody } from './schemas';

// Every field is optional, so no body at all is fine too.
const endBody = z.strictObject({ outcome: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be an outcome name such as booked').optional() }).nullish();
const handoffBody = z.strictObject({ reason: nonBlank(500).optional(), message: nonBlank(4000).optional() }).nullish();
const humanReplyBody = z.strictObject({ text: nonBlank(4000), author: nonBlank(200).optional() });
const messageParams = z.object({ id, messageId: id });
const deliveryBody = z.strictObject({
	status: z.enum(['delivered', 'failed']),
	reason: z.string().max(DELIVERY_REASON_MAX_CHARS).optional(),
	/** Seconds the channel asked to wait (a `Retry-After`), when the reason does not say it. */
	retryAfter: z.number().int().min(0).max(86_400).optional(),
});

export const conversationRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	app.post('/chat', { schema: { body: chatBody } }, async (request, reply) => {
		const key = request.idempotencyClaim?.key;
		const answer = await chat(ctx, request.workspaceId, request.body, causationOf(request), key);
		// Still behind other turns of the conversation past the queue wait: stored, answered on the conversation.
		return 'queued' in answer ? reply.status(202).send(answer) : answer;
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

	app.post('/conversations/:id/end', { schema: { params: idParams, body: endBody } }, async (request) => {
		return endOverApi(ctx, request.workspaceId, request.params.id, request.body ?? {}, causationOf(request));
	});

	app.post('/conversations/:id/handoff', { schema: { params: idParams, body: handoffBody } }, async (request) => {
		return handOffOverApi(ctx, request.workspaceId, request.params.id, request.body ?? {});
	});

	app.post('/conversations/:id/release', { schema: { params: idParams } }, async (request) => {
		return releaseOverApi(ctx, request.workspaceId, request.params.id);
	});

	app.post('/conversations/:id/human-replies', { schema: { params: idParams, body: humanReplyBody } }, async (request, reply) => {
		// In the console the person logged in is the author.
		const author = request.body.author ?? request.consoleUser;
		return reply.status(201).send(await humanReply(ctx, request.workspaceId, request.params.id, { text: request.body.text, ...(author ? { author } : {}) }));
	});

	app.post('/conversations/:id/messages/:messageId/delivery', { schema: { params: messageParams, body: deliveryBody } }, async (request) => {
		return reportDelivery(ctx, request.workspaceId, request.params.id, request.params.messageId, request.body);
	});

	app.get('/budget', async (request) => budgetView(ctx, request.workspaceId));
};
