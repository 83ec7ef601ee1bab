// Numbers per agent and day (GET /v1/stats): JSON, or the same rows as CSV with ?format=csv.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context';
import { statsCsv, workspaceStats } from '../stats/service';
import { id } from './schemas';

const day = z
	.string()
	.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day as YYYY-MM-DD')
	.refine((s) => {
		const at = Date.parse(`${s}T00:00:00Z`);
		return !Number.isNaN(at) && new Date(at).toISOString().startsWith(s);
	}, 'must be a real day');

const statsQuery = z.strictObject({
	from: day.optional(),
	to: day.optional(),
	agentId: id.optional(),
	format: z.enum(['json', 'csv']).optional(),
});

export const statsRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	app.get('/stats', { schema: { querystring: statsQuery } }, async (request, reply) => {
		const { format, ...period } = request.query;
		const stats = await workspaceStats(ctx, request.workspaceId, period);
		if (format !== 'csv') return stats;
		const name = `agent-bridge-numbers-${stats.from}-to-${stats.to}${stats.agentId ? `-${stats.agentId}` : ''}.csv`;
		return reply
			.header('content-type', 'text/csv; charset=utf-8')
			.header('content-disposition', `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}"`)
			.send(statsCsv(stats));
	});
};
