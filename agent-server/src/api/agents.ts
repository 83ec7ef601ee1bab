import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createAgent, deleteAgent, getAgent, listAgents, replaceAgent, validateWorkspaceAgents } from '../agents/service';
import type { AppContext } from '../context';
import { id } from './schemas';

const agentParams = z.object({ agentId: id });
// Any JSON object here; the agent schema itself runs in the service so that errors read as they do for files.
const agentBody = z.record(z.string(), z.unknown(), { error: 'must be a JSON object (the agent config)' });

export const agentRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	app.get('/agents', async (request) => ({ data: await listAgents(ctx, request.workspaceId) }));

	app.get('/agent-validation', async (request) => ({ data: await validateWorkspaceAgents(ctx, request.workspaceId) }));

	app.get('/agents/:agentId', { schema: { params: agentParams } }, async (request) => getAgent(ctx, request.workspaceId, request.params.agentId));

	app.post('/agents', { schema: { body: agentBody } }, async (request, reply) => {
		const agent = await createAgent(ctx, request.workspaceId, request.body);
		return reply.status(201).send(agent);
	});

	app.put('/agents/:agentId', { schema: { params: agentParams, body: agentBody } }, async (request) =>
		replaceAgent(ctx, request.workspaceId, request.params.agentId, request.body),
	);

	app.delete('/agents/:agentId', { schema: { params: agentParams } }, async (request, reply) => {
		await deleteAgent(ctx, request.workspaceId, request.params.agentId);
		return reply.status(204).send();
	});
};
