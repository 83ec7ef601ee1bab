import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { agentView } from '../agents/view';
import type { AppContext } from '../context';
import { notFound } from '../util/http-error';
import { id } from './schemas';

export const agentRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	app.get('/agents', async () => ({ data: ctx.agents.list().map(agentView) }));

	app.get('/agents/:agentId', { schema: { params: z.object({ agentId: id }) } }, async (request) => {
		const agent = ctx.agents.get(request.params.agentId);
		if (!agent) throw notFound('agent', request.params.agentId);
		return agentView(agent);
	});
};
