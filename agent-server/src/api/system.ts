import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context';
import type { Relay, RelayStatus } from '../delivery/relay';
import { destinationSignal } from '../delivery/resume';
import { pingDatabase } from '../store/health';
import { getWorkspace } from '../store/workspaces';
import { notFound } from '../util/http-error';
import { SERVER_VERSION } from '../version';

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
	app.get('/healthz', async () => ({ status: 'ok' }));
};

/** A relay whose last pass failed, or that has not finished one for this many poll intervals, is not ready. */
const RELAY_STALL_INTERVALS = 30;
const RELAY_STALL_MIN_MS = 60_000;

/** The relay's part of readiness: running, and its last pass neither failed nor lies too far back. */
export function relayReadiness(status: RelayStatus, now = Date.now()): { ok: boolean; error?: string } {
	if (!status.running) return { ok: false, error: 'stopped' };
	if (status.lastPassError) return { ok: false, error: status.lastPassError };
	const stallMs = Math.max(RELAY_STALL_MIN_MS, RELAY_STALL_INTERVALS * status.pollIntervalMs);
	if (status.lastPassAt && now - status.lastPassAt.getTime() > stallMs) {
		return { ok: false, error: `no pass for ${Math.round((now - status.lastPassAt.getTime()) / 1000)} s` };
	}
	return { ok: true };
}

/** GET /readyz: 200 when the database answers and the delivery relay runs; 503 with what is wrong otherwise. */
export const readinessRoutes: FastifyPluginAsyncZod<{ ctx: AppContext; relay: Relay }> = async (app, { ctx, relay }) => {
	app.get('/readyz', async (_request, reply) => {
		const checks = { database: await pingDatabase(ctx.store.db), relay: relayReadiness(relay.status()) };
		const ready = checks.database.ok && checks.relay.ok;
		reply.code(ready ? 200 : 503);
		return { status: ready ? 'ready' : 'not ready', checks };
	});
};

export const workspaceRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	// n8n's credential test calls these routes (earlier node versions the first): an n8n using this workspace is up,
	// so its failing destinations are probed.
	const workspaceOf = async (workspaceId: string) => {
		const workspace = await getWorkspace(ctx.store.db, workspaceId);
		if (!workspace) throw notFound('workspace', workspaceId);
		const signal = await destinationSignal(ctx.store.db, workspaceId, {});
		if (signal.probed.length > 0) ctx.deliveriesQueued();
		return { id: workspace.id, name: workspace.name };
	};
	app.get('/workspace', async (request) => workspaceOf(request.workspaceId));
	// `agentBridge` tells the credential test that an Agent Bridge server answered, not any server that says 200.
	app.get('/whoami', async (request) => ({
		agentBridge: { version: SERVER_VERSION },
		workspace: await workspaceOf(request.workspaceId),
		scopes: request.apiKeyScopes,
	}));
};
