// Inspection routes behind the inspector page: recent conversations, the deliveries of one conversation's
// events, re-sending a conversation's events to a workflow's n8n test URL, and a conversation saved as a test file.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context';
import { saveConversationAsTest } from '../agent-tests/from-conversation';
import { conversationDeliveries, listConversations, sendEventsToTest } from '../conversations/inspect';
import { id, idParams } from './schemas';

export { isN8nTestUrl } from '../conversations/inspect';

const listQuery = z.strictObject({
	agentId: id.optional(),
	status: z.enum(['active', 'human', 'ended']).optional(),
	channel: z.string().min(1).max(50).optional(),
	limit: z.coerce.number().int().min(1).max(100).optional(),
});
const sendBody = z.strictObject({ subscriptionId: id });

export const inspectRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	// The inspector refreshes this list every few seconds: each conversation's latest message comes in one query.
	app.get('/conversations', { schema: { querystring: listQuery } }, async (request) => ({
		data: await listConversations(ctx, request.workspaceId, request.query),
	}));

	app.get('/conversations/:id/deliveries', { schema: { params: idParams } }, async (request) => ({
		data: await conversationDeliveries(ctx, request.workspaceId, request.params.id),
	}));

	// Save as test: the conversation as a test file (`agent-bridge test`) with its outcomes as expectations.
	app.get('/conversations/:id/test', { schema: { params: idParams } }, async (request) => {
		return saveConversationAsTest(ctx, request.workspaceId, request.params.id);
	});

	app.post('/conversations/:id/events/send', { schema: { params: idParams, body: sendBody } }, async (request, reply) => {
		return reply.status(202).send(await sendEventsToTest(ctx, request.workspaceId, request.params.id, request.body.subscriptionId));
	});
};
