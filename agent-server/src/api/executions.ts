// Exactly once through n8n over the API: a trigger's claim of a delivery, the executions that ran for events, the
// workspace's n8n connection, and the execution headers the action nodes send with every call.
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context';
import type { DestinationPolicy } from '../delivery/destinations';
import { claimForTrigger, reportFromCall } from '../delivery/executions';
import { deleteN8nConnection, executionsForConversation, executionsForEvents, getN8nConnection, putN8nConnection } from '../store/executions';
import { getConversation } from '../store/conversations';
import { HttpError, notFound } from '../util/http-error';
import { causationOf } from './causation';
import { id, idParams } from './schemas';

/** Headers every action node sends: which n8n execution of which workflow makes the call. */
export const EXECUTION_HEADER = 'x-agent-bridge-execution';
export const WORKFLOW_HEADER = 'x-agent-bridge-workflow';
export const WORKFLOW_NAME_HEADER = 'x-agent-bridge-workflow-name';
export const EXECUTION_MODE_HEADER = 'x-agent-bridge-execution-mode';

const n8nId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an n8n id (letters, digits, _ and -, at most 64)');

const claimBody = z.strictObject({
	subscriptionId: id,
	workflowId: n8nId,
	workflowName: z.string().max(256).optional(),
});

const connectionBody = z.strictObject({
	url: z
		.string()
		.max(2048)
		.url()
		.refine((u) => /^https?:\/\//.test(u), 'must be an http or https URL'),
	apiKey: z.string().min(1).max(4096),
});

const executionQuery = z
	.strictObject({ eventId: id.optional(), conversationId: id.optional() })
	.refine((q) => q.eventId !== undefined || q.conversationId !== undefined, 'give eventId or conversationId');

function header(value: string | string[] | undefined): string | undefined {
	return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The execution a call names, or nothing; malformed headers are ignored here (they report, they do not decide). */
function executionOfCall(request: { headers: Record<string, string | string[] | undefined> }) {
	const executionId = header(request.headers[EXECUTION_HEADER]);
	const workflowId = header(request.headers[WORKFLOW_HEADER]);
	if (!executionId || !workflowId || !n8nId.safeParse(executionId).success || !n8nId.safeParse(workflowId).success) return undefined;
	let workflowName: string | null = null;
	try {
		workflowName = decodeURIComponent(header(request.headers[WORKFLOW_NAME_HEADER]) ?? '').slice(0, 256) || null;
	} catch {
		workflowName = null;
	}
	const mode = header(request.headers[EXECUTION_MODE_HEADER]);
	return { executionId, workflowId, workflowName, mode: mode && /^[a-z_-]{1,32}$/i.test(mode) ? mode : null };
}

/**
 * Each successful call from an action node records its execution against the delivery its workflow claimed, before the
 * answer goes out (so whoever reads the timeline next sees it).
 */
export function installExecutionReports(scope: FastifyInstance, ctx: AppContext): void {
	scope.addHook('onSend', async (request, reply, payload) => {
		if (reply.statusCode >= 400) return payload;
		const execution = executionOfCall(request);
		if (!execution) return payload;
		let eventId: string | undefined;
		try {
			eventId = causationOf(request);
		} catch {
			return payload;
		}
		if (!eventId) return payload;
		await reportFromCall(ctx, request.log, request.workspaceId, { eventId, ...execution }).catch((err) =>
			request.log.error({ err }, 'could not record the execution of a call'),
		);
		return payload;
	});
}

export const executionRoutes: FastifyPluginAsyncZod<{ ctx: AppContext; destinations: DestinationPolicy }> = async (app, { ctx, destinations }) => {
	app.post('/deliveries/:id/claim', { schema: { params: idParams, body: claimBody } }, async (request) => {
		const outcome = await claimForTrigger(ctx, request.workspaceId, {
			deliveryId: request.params.id,
			subscriptionId: request.body.subscriptionId,
			workflowId: request.body.workflowId,
			workflowName: request.body.workflowName ?? null,
		});
		if (outcome.outcome === 'unknown') throw notFound('delivery', request.params.id);
		return { deliveryId: request.params.id, claimed: outcome.outcome === 'claimed', claimedAt: outcome.claimedAt };
	});

	app.get('/executions', { schema: { querystring: executionQuery } }, async (request) => {
		const { eventId, conversationId } = request.query;
		if (conversationId) {
			if (!(await getConversation(ctx.store.db, request.workspaceId, conversationId))) throw notFound('conversation', conversationId);
			const all = await executionsForConversation(ctx.store.db, request.workspaceId, conversationId);
			return { data: eventId ? all.filter((e) => e.eventId === eventId) : all };
		}
		return { data: await executionsForEvents(ctx.store.db, request.workspaceId, [eventId!]) };
	});

	app.get('/n8n-connection', async (request) => {
		const row = await getN8nConnection(ctx.store.db, request.workspaceId);
		if (!row) throw new HttpError(404, 'no n8n connection: PUT /v1/n8n-connection with {url, apiKey} to add one');
		// The key is never shown again, only that there is one.
		return { url: row.url, hasApiKey: true, lastCheckedAt: row.last_checked_at, lastError: row.last_error, updatedAt: row.updated_at };
	});

	app.put('/n8n-connection', { schema: { body: connectionBody } }, async (request) => {
		const refused = await destinations.checkUrl(request.body.url);
		if (refused) throw new HttpError(400, `body/url: ${refused}`);
		const at = new Date().toISOString();
		await putN8nConnection(ctx.store.db, request.workspaceId, request.body.url.replace(/\/+$/, ''), request.body.apiKey, at);
		return { url: request.body.url.replace(/\/+$/, ''), hasApiKey: true, lastCheckedAt: null, lastError: null, updatedAt: at };
	});

	app.delete('/n8n-connection', async (request, reply) => {
		if (!(await deleteN8nConnection(ctx.store.db, request.workspaceId))) throw new HttpError(404, 'no n8n connection');
		return reply.status(204).send();
	});
};

