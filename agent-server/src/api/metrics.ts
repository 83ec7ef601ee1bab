// Prometheus metrics for operators: HTTP latency from this instance, and conversations, events, deliveries and
// model calls read from the database at scrape time, so every instance behind a load balancer reports the same truth.
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AppContext } from '../context';
import { installModelMetrics } from './model-metrics';

export interface MetricsOptions {
	/** When set, a scrape must send `Authorization: Bearer <token>`. */
	token?: string;
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

	const countBy = (name: string, help: string, label: string, query: () => Promise<Array<{ key: string | null; n: number | string | bigint }>>) =>
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

	countBy('agent_bridge_conversations', 'Conversations by status', 'status', () =>
		db.selectFrom('conversations').select(['status as key', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute(),
	);
	countBy('agent_bridge_events', 'Events written to the outbox, by type', 'type', () =>
		db.selectFrom('events').select(['type as key', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('type').execute(),
	);
	countBy('agent_bridge_deliveries', 'Deliveries by status (pending, delivered, failed)', 'status', () =>
		db.selectFrom('deliveries').select(['status as key', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute(),
	);
	// Why pending deliveries wait: many on `schedule` with a destination back means nothing has noticed it yet.
	countBy('agent_bridge_pending_deliveries', 'Pending deliveries by why their next attempt is due when it is', 'reason', () =>
		db
			.selectFrom('deliveries')
			.select(['next_attempt_reason as key', (eb) => eb.fn.countAll<number>().as('n')])
			.where('status', '=', 'pending')
			.groupBy('next_attempt_reason')
			.execute(),
	);
	new Gauge({
		name: 'agent_bridge_probed_destinations',
		help: 'Subscriptions whose destination looks down and is being probed',
		registers: [registry],
		async collect() {
			const row = await db
				.selectFrom('subscriptions')
				.select((eb) => eb.fn.countAll<number>().as('n'))
				.where('probe_at', 'is not', null)
				.where('deleted_at', 'is', null)
				.executeTakeFirst();
			this.set(Number(row?.n ?? 0));
		},
	});
	new Gauge({
		name: 'agent_bridge_model_calls',
		help: 'Model calls made by all conversations',
		registers: [registry],
		async collect() {
			const row = await db.selectFrom('conversations').select((eb) => eb.fn.sum<number>('model_calls').as('n')).executeTakeFirst();
			this.set(Number(row?.n ?? 0));
		},
	});

	installModelMetrics(app, ctx.engine, registry);

	app.get('/metrics', async (request, reply) => {
		if (options.token && request.headers.authorization !== `Bearer ${options.token}`) {
			return reply.code(401).send({ statusCode: 401, error: 'Unauthorized', message: 'metrics need the operator token (METRICS_TOKEN)' });
		}
		return reply.type(registry.contentType).send(await registry.metrics());
	});
}
