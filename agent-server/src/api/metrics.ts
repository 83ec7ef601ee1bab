// Prometheus metrics for operators: HTTP latency from this instance, and conversations, events, deliveries and
// model calls read from the database at scrape time, so every instance behind a load balancer reports the same truth.
// The operator token is required (unless opened explicitly, then totals only); per-workspace series need the token.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AppContext } from '../context';
import { installModelMetrics } from './model-metrics';
import { deliveriesByExecutionState } from '../store/executions';
import {
	conversationsByStatus,
	countByWorkspace,
	deliveriesByStatus,
	eventsByType,
	pendingDeliveriesByReason,
	probedDestinations,
	totalModelCalls,
	type Count,
} from '../store/metrics';

export interface MetricsOptions {
	/** A scrape sends `Authorization: Bearer <token>` and sees every series, per-workspace ones included. */
	token?: string;
	/** Without the token, serve the totals anyway (no per-workspace series). */
	public?: boolean;
}

function bearer(header: string | undefined): string | undefined {
	return typeof header === 'string' ? /^bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
}

function sameSecret(a: string, b: string): boolean {
	const x = Buffer.from(a);
	const y = Buffer.from(b);
	return x.length === y.length && timingSafeEqual(x, y);
}

export function installMetrics(app: FastifyInstance, ctx: AppContext, options: MetricsOptions = {}): void {
	const { db } = ctx.store;
	const registry = new Registry();
	collectDefaultMetrics({ register: registry, prefix: 'agent_bridge_' });

	const requestDuration = new Histogram({
		name: 'agent_bridge_http_request_duration_seconds',
		help: 'HTTP request duration by route and status',
		labelNames: ['method', 'route', 'status'],
		buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30],
		registers: [registry],
	});
	app.addHook('onResponse', async (request, reply) => {
		const route = request.routeOptions.url ?? 'unmatched';
		requestDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
	});

	const countBy = (name: string, help: string, label: string, query: () => Promise<Count[]>) =>
		new Gauge({
			name,
			help,
			labelNames: [label],
			registers: [registry],
			async collect() {
				this.reset();
				for (const row of await query()) this.set({ [label]: row.key ?? 'unknown' }, Number(row.n));
			},
		});

	countBy('agent_bridge_conversations', 'Conversations by status', 'status', () => conversationsByStatus(db));
	countBy('agent_bridge_events', 'Events written to the outbox, by type', 'type', () => eventsByType(db));
	countBy('agent_bridge_deliveries', 'Deliveries by status (pending, delivered, failed)', 'status', () => deliveriesByStatus(db));
	// n8n's executions of claimed deliveries: `lost` and `failed` are the ones to look at (and redeliver).
	countBy('agent_bridge_delivery_executions', 'Claimed deliveries by what is known of their n8n execution (claimed, running, succeeded, failed, lost)', 'state', () =>
		deliveriesByExecutionState(db),
	);
	// Why pending deliveries wait: many on `schedule` with a destination back means nothing has noticed it yet.
	countBy('agent_bridge_pending_deliveries', 'Pending deliveries by why their next attempt is due when it is', 'reason', () => pendingDeliveriesByReason(db));
	new Gauge({
		name: 'agent_bridge_probed_destinations',
		help: 'Subscriptions whose destination looks down and is being probed',
		registers: [registry],
		async collect() {
			this.set(await probedDestinations(db));
		},
	});
	new Gauge({
		name: 'agent_bridge_model_calls',
		help: 'Model calls made by all conversations',
		registers: [registry],
		async collect() {
			this.set(await totalModelCalls(db));
		},
	});

	installModelMetrics(app, ctx.engine, registry);
	// Per-workspace series: only for the operator token, never on an opened endpoint.
	const perWorkspace = new Registry();
	const workspaceGauge = (name: string, help: string, label: string, table: 'conversations' | 'events' | 'deliveries', column: 'status' | 'type') =>
		new Gauge({
			name,
			help,
			labelNames: ['workspace', label],
			registers: [perWorkspace],
			async collect() {
				this.reset();
				const rows = await countByWorkspace(db, table, column);
				for (const row of rows) this.set({ workspace: row.workspace, [label]: String(row.key ?? 'unknown') }, Number(row.n));
			},
		});
	workspaceGauge('agent_bridge_workspace_conversations', 'Conversations by workspace and status', 'status', 'conversations', 'status');
	workspaceGauge('agent_bridge_workspace_events', 'Events by workspace and type', 'type', 'events', 'type');
	workspaceGauge('agent_bridge_workspace_deliveries', 'Deliveries by workspace and status', 'status', 'deliveries', 'status');

	app.get('/metrics', async (request, reply) => {
		const given = bearer(request.headers.authorization);
		const operator = options.token !== undefined && given !== undefined && sameSecret(given, options.token);
		if (!operator && !options.public) {
			const message = options.token
				? 'metrics need the operator token: send "Authorization: Bearer <METRICS_TOKEN>"'
				: 'metrics are closed: set METRICS_TOKEN (and send it as a bearer token) or METRICS_PUBLIC=true';
			return reply.code(401).send({ statusCode: 401, error: 'Unauthorized', message });
		}
		const body = operator ? `${await registry.metrics()}\n${await perWorkspace.metrics()}` : await registry.metrics();
		return reply.type(registry.contentType).send(body);
	});
}
