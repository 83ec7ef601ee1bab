// buildApp(): one self-contained server instance (store, registry, engine, relay); app.close() releases all of it.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { agentRoutes } from './api/agents';
import { consoleAssetRoutes } from './channels/web/console-assets';
import { statsRoutes } from './api/stats';
import { failureCounter, installAuth } from './api/auth';
import { consoleRoutes } from './api/console';
import { contactRoutes } from './api/contacts';
import { conversationRoutes } from './api/conversations';
import { formatSchemaErrors, installErrorHandlers } from './api/errors';
import { eventRoutes } from './api/events';
import { inspectRoutes } from './api/inspect';
import { erasureRoutes } from './api/erasure';
import { IDEMPOTENT_ROUTES, installIdempotency } from './api/idempotency';
import { apiKeyRoutes } from './api/keys';
import { installMetrics } from './api/metrics';
import { fastifyTrustProxy, type TrustProxy } from './api/proxy';
import { installOpenApi } from './api/openapi';
import { installApiRateLimit } from './api/rate-limit';
import { subscriptionRoutes } from './api/subscriptions';
import { installTextHygiene } from './api/text-hygiene';
import { healthRoutes, readinessRoutes, workspaceRoutes } from './api/system';
import { bindAgentFolders, type BoundFileAgents } from './agents/file-agents';
import { createAgentResolver } from './agents/registry';
import { assetRoutes, widgetKeyRoutes, widgetRoutes, type WebChannelOptions } from './channels/web/index';
import type { AppContext, ConversationOptions } from './context';
import { createSweeper } from './conversations/sweeper';
import { createTurnQueue } from './conversations/turn-queue';
import { createDestinationPolicy } from './delivery/destinations';
import { createRetentionSweeper } from './erasure/service';
import { createRelay, type Relay, type RelayOptions } from './delivery/relay';
import { createExecutionWatch, type ExecutionWatch, type ExecutionWatchOptions } from './delivery/executions';
import { executionRoutes, installExecutionReports } from './api/executions';
import { createEngine } from './engine/index';
import { type AgentRegistry } from './engine/agent-config';
import { loadAgentFolders, type AgentFolders } from './agents/agent-files';
import { BODY_LIMIT_BYTES } from './limits';
import { createLiveHub, type LiveOptions } from './live/hub';
import { liveRoutes } from './api/live';
import { inboxRoutes } from './api/inbox';
import type { Engine } from './engine/types';
import { openStore, type Store } from './store/database';
import { bootstrap, type Workspace } from './store/workspaces';
import { OneLinePerRequest } from './api/request-log';
import fastifyCookie from '@fastify/cookie';
import { installDrain } from './util/drain';
import { createWakers } from './util/wakers';

export const BODY_LIMIT = BODY_LIMIT_BYTES;

export interface BuildAppOptions {
	/** On close, how long running requests may take before their connections are cut (default 8 s). */
	shutdownDrainMs?: number;
	/** Operator token for GET /metrics (per-workspace series included); without it /metrics answers 401. */
	metricsToken?: string;
	/** Serve /metrics without a token (totals only, no per-workspace series): METRICS_PUBLIC=true. */
	metricsPublic?: boolean;
	/** Reverse proxies whose X-Forwarded-For is believed (TRUST_PROXY): true, a hop count, or addresses and ranges. */
	trustProxy?: TrustProxy;
	/** Failed authentications per client address per minute before 429 (default 20). */
	authFailuresPerMinute?: number;
	/** How often each workspace's transcript retention is applied (default hourly; 0: never, tests). */
	retentionSweepIntervalMs?: number;
	/** postgres://... for PostgreSQL; otherwise SQLite (see sqliteFile). */
	databaseUrl?: string;
	/** SQLite file, default ./data/agent-bridge.db. */
	sqliteFile?: string;
	/** PostgreSQL schema to work in (created if missing). */
	pgSchema?: string;
	/** A directory of agent files, loaded on top of the bundled agents; `workspaces/<id or name>/` per workspace. */
	agentsDir?: string;
	/** Load the bundled example agents (default true). */
	bundledAgents?: boolean;
	/** A ready registry of file agents instead of agentsDir (tests). */
	agents?: AgentRegistry;
	/** Conversation engine; default the offline rules engine. */
	engine?: Engine;
	/** The first API key (known to tests and scripts) instead of a generated one. */
	apiKey?: string;
	/** Called once when a key was generated for a fresh database; default prints it to stdout. */
	onGeneratedKey?: (key: string, workspace: Workspace) => void;
	relay?: RelayOptions;
	/** How executions of claimed deliveries are read from n8n (workspaces with an n8n connection) and when one is lost. */
	executions?: ExecutionWatchOptions;
	/** Events deeper than this causation depth are not sent (default 5). */
	maxCausationDepth?: number;
	logger?: FastifyServerOptions['logger'];
	/** Waiting round trips, the model budget and the inactivity sweeper. */
	conversations?: ConversationOptions;
	/** The web chat widget's rate limits and polling. */
	web?: WebChannelOptions;
	/** Requests per minute per workspace on /v1 (default 600; 0 turns it off). */
	rateLimitPerMinute?: number;
	/** Rate limit window (tests); default one minute. */
	rateLimitWindowMs?: number;
	/** Live streams: heartbeat and the bounds per connection and per workspace. */
	live?: LiveOptions;
	/** The server's public address (PUBLIC_URL): links to the console in `conversation.handoff` events. */
	publicUrl?: string;
	/** Webhook hosts the operator allows (names, `*.domain`, IPs, CIDR ranges); unset: any but link-local and metadata. */
	webhookAllowedHosts?: string[];
}

declare module 'fastify' {
	interface FastifyInstance {
		/** The app's shared context (store, engine, agents); tests use it to look inside. */
		agentBridge: AppContext & { relay: Relay; executionWatch: ExecutionWatch };
	}
}

export function printGeneratedKey(key: string, workspace: Workspace): void {
	process.stdout.write(
		[
			'',
			'================================================================',
			` Agent Bridge: created workspace "${workspace.name}" (${workspace.id})`,
			' API key (shown only this once, store it now):',
			'',
			`   ${key}`,
			'',
			'================================================================',
			'',
		].join('\n'),
	);
}

/** Keys, secrets and signatures never reach the logs. */
export const LOG_REDACT = [
	'req.headers.authorization',
	'req.headers["webhook-signature"]',
	'headers.authorization',
	'secret',
	'*.secret',
	'apiKey',
	'*.apiKey',
];


export async function buildApp(options: BuildAppOptions = {}): Promise<FastifyInstance> {
	// Files are read before the store opens: an invalid file fails without leaving anything open.
	const folders: AgentFolders = options.agents
		? { shared: options.agents, workspaces: [] }
		: loadAgentFolders(options.agentsDir, { bundled: options.bundledAgents !== false });
	const engine = options.engine ?? createEngine();
	// Before the store opens: a bad allow list fails without leaving anything open.
	const destinations = createDestinationPolicy(options.webhookAllowedHosts);
	const store: Store = await openStore({ databaseUrl: options.databaseUrl, sqliteFile: options.sqliteFile, pgSchema: options.pgSchema });

	let app: FastifyInstance;
	let files: BoundFileAgents;
	try {
		const boot = await bootstrap(store.db, options.apiKey);
		// After bootstrap, so a fresh database's first workspace can already have its folder.
		files = await bindAgentFolders(store.db, folders);
		app = Fastify({
			logger: options.logger ?? false,
			logController: new OneLinePerRequest(),
			bodyLimit: BODY_LIMIT,
			trustProxy: fastifyTrustProxy(options.trustProxy),
			schemaErrorFormatter: formatSchemaErrors,
			// Webhook receivers and reverse proxies sometimes send a trailing slash; treat it as the same route.
			// Long ids reach the schemas (a clear 400) instead of the router's silent 404 past 100 characters.
			routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2000 },
		});
		if (boot.generatedKey) (options.onGeneratedKey ?? printGeneratedKey)(boot.generatedKey, boot.workspace);
		if (boot.addedGivenKey) app.log.info({ workspaceId: boot.workspace.id }, 'configured API key added to the first workspace');
		for (const { folder, agents } of files.unmatched) {
			app.log.warn({ folder, agents }, 'agent folder names no workspace (by id or name); its agents are not used until a restart after that workspace exists');
		}
	} catch (err) {
		await store.close();
		throw err;
	}

	app.setValidatorCompiler(validatorCompiler);
	app.setSerializerCompiler(serializerCompiler);
	installErrorHandlers(app);
	// No answer is ever sniffed into another type by a browser (JSON shown as HTML, say).
	app.addHook('onSend', async (_request, reply, payload) => {
		reply.header('x-content-type-options', 'nosniff');
		return payload;
	});

	installTextHygiene(app);
	// Cookies parsed for the console's session (api/auth.ts) and set by its login (api/console.ts).
	await app.register(fastifyCookie);
	const drain = installDrain(app, options.shutdownDrainMs);

	const relay = createRelay(store, app.log, { destinations, ...options.relay });
	const agentResolver = createAgentResolver(files.agents, store.db);
	const ctx: AppContext = {
		store,
		engine,
		fileAgents: files.agents,
		agentsFor: (workspaceId, db) => agentResolver.forWorkspace(workspaceId, db),
		agentsChanged: (workspaceId) => agentResolver.changed(workspaceId),
		maxCausationDepth: options.maxCausationDepth ?? 5,
		deliveriesQueued: () => relay.wake(),
		conversations: options.conversations ?? {},
		turns: createTurnQueue(store, options.conversations),
		fieldWrites: createWakers(),
		draining: drain.signal,
		live: createLiveHub(store, options.live),
		...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
	};
	const sweeper = createSweeper(ctx, options.conversations?.sweepIntervalMs ?? 30_000, (err) => app.log.error({ err }, 'conversation sweep failed'));
	const retention = createRetentionSweeper(ctx, options.retentionSweepIntervalMs ?? 3_600_000, (err) => app.log.error({ err }, 'transcript retention failed'));
	const executionWatch = createExecutionWatch(ctx, app.log, destinations, options.executions);
	app.decorate('agentBridge', { ...ctx, relay, executionWatch });
	app.decorateRequest('workspaceId', '');

	// One count of wrong keys per address for the API and the console login alike.
	const authFailures = failureCounter(options.authFailuresPerMinute);
	await installOpenApi(app);
	const typed = app.withTypeProvider<ZodTypeProvider>();
	await typed.register(healthRoutes);
	await typed.register(readinessRoutes, { ctx, relay });
	installMetrics(app, ctx, { token: options.metricsToken, public: options.metricsPublic });
	await typed.register(
		async (v1) => {
			installAuth(v1, store, authFailures);
			await installApiRateLimit(v1, { perMinute: options.rateLimitPerMinute, windowMs: options.rateLimitWindowMs });
			installIdempotency(v1, store, IDEMPOTENT_ROUTES);
			installExecutionReports(v1, ctx);
			await v1.register(workspaceRoutes, { ctx });
			await v1.register(agentRoutes, { ctx });
			await v1.register(conversationRoutes, { ctx });
			await v1.register(contactRoutes, { ctx });
			await v1.register(subscriptionRoutes, { ctx, destinations });
			await v1.register(eventRoutes, { ctx });
			await v1.register(executionRoutes, { ctx, destinations });
			await v1.register(inspectRoutes, { ctx });
			await v1.register(widgetKeyRoutes, { ctx });
			await v1.register(apiKeyRoutes, { ctx });
			await v1.register(erasureRoutes, { ctx });
			await v1.register(statsRoutes, { ctx });
			await v1.register(liveRoutes, { ctx });
			await v1.register(inboxRoutes, { ctx });
		},
		{ prefix: '/v1' },
	);
	// The browser side: public widget routes (publishable key, no API key), the widget script and the inspector.
	await typed.register(widgetRoutes, { ctx, options: options.web, prefix: '/widget/v1' });
	await typed.register(assetRoutes);
	await typed.register(consoleAssetRoutes);
	await typed.register(consoleRoutes, { ctx, failures: authFailures });

	// Webhooks to the server itself are refused unless the allow list names its address.
	app.addHook('onListen', async () => {
		destinations.setOwnAddresses(app.addresses().flatMap((a) => (typeof a === 'string' ? [] : [{ address: a.address, port: a.port }])));
	});
	app.addHook('onReady', async () => {
		relay.start();
		executionWatch.start();
		sweeper.start();
		retention.start();
	});
	// Shutdown: turns waiting for a workflow answer their holding reply and queued chat requests answer 202 now (new
	// requests get 503 from Fastify). Open streams would hold the server open: they end first, and their clients
	// reconnect to another instance.
	app.addHook('preClose', async () => {
		drain.begin();
		ctx.fieldWrites.wakeAll();
		ctx.turns.stopWaiting();
		await ctx.live.close();
	});
	// The requests still running finish (within the drain) before the database goes away; stop sending before it does.
	app.addHook('onClose', async () => {
		const unfinished = await drain.settled();
		if (unfinished > 0) app.log.warn({ requests: unfinished }, 'shutdown drain over: requests still running are cut; their messages are answered by another instance');
		await sweeper.stop();
		await retention.stop();
		await executionWatch.stop();
		await relay.stop();
		await store.close();
	});
	return app;
}
