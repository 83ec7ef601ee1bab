#!/usr/bin/env node
// Command line: `agent-bridge serve` starts the agent server; settings come from the environment (settings.ts) or options.
import { Command } from 'commander';
import type { FastifyServerOptions } from 'fastify';
import { buildApp, LOG_REDACT } from './app';
import { createEngine } from './engine/index';
import { checkModel } from './engine/doctor';
import { modelSettingsFrom } from './engine/model-settings';
import { providerProfile } from './engine/providers';
import { openStore } from './store/database';
import { validateAgentsDir } from './agents/validate';
import { registerTestCommand } from './agent-tests/command';
import { addApiKey, createWorkspace, generateApiKey, workspacesNamed } from './store/workspaces';
import { loadSettings, parseModelSettings, type Settings, sqliteFileOf, unknownSettingWarnings } from './settings';
import { SERVER_VERSION as VERSION } from './version';


/** Options given on the command line win over the environment; both go through the same checks. */
function settingsWith(overrides: Record<string, string | undefined>): Settings {
	const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
	return loadSettings({ ...process.env, ...given });
}

/** A misspelt variable would be ignored without a word: say so, with the name it most likely meant. */
function warnAboutUnknownSettings(warn: (line: string) => void = (line) => process.stderr.write(`agent-bridge: warning: ${line}\n`)) {
	for (const line of unknownSettingWarnings(process.env)) warn(line);
}

/** JSON lines for log collectors; readable lines when a person watches a terminal (or LOG_FORMAT=pretty). */
function loggerOptions(settings: Settings): FastifyServerOptions['logger'] {
	const base = { level: settings.LOG_LEVEL, redact: { paths: LOG_REDACT, censor: '[redacted]' } };
	const pretty = settings.LOG_FORMAT ? settings.LOG_FORMAT === 'pretty' : process.stdout.isTTY === true;
	if (!pretty) return base;
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const pinoPretty = require('pino-pretty') as (o: object) => NodeJS.WritableStream;
	return { ...base, stream: pinoPretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) };
}

/** The probe settings given, or none (the relay's defaults). */
function relayProbe(settings: Settings) {
	const probe = Object.fromEntries(
		Object.entries({ baseMs: settings.RELAY_PROBE_BASE_MS, maxMs: settings.RELAY_PROBE_MAX_MS, forMs: settings.RELAY_PROBE_FOR_MS }).filter(([, v]) => v !== undefined),
	);
	return Object.keys(probe).length ? probe : undefined;
}

async function serve(settings: Settings): Promise<void> {
	const model = modelSettingsFrom(settings);
	const sqliteFile = sqliteFileOf(settings);
	const app = await buildApp({
		databaseUrl: settings.DATABASE_URL,
		sqliteFile: settings.DATABASE_URL ? undefined : sqliteFile,
		agentsDir: settings.AGENTS_DIR,
		engine: createEngine({ model }),
		apiKey: settings.AGENT_BRIDGE_API_KEY,
		metricsToken: settings.METRICS_TOKEN,
		metricsPublic: settings.METRICS_PUBLIC,
		relay: Object.fromEntries(
			Object.entries({
				retryScheduleMs: settings.RELAY_RETRY_SCHEDULE_MS,
				attemptTimeoutMs: settings.RELAY_ATTEMPT_TIMEOUT_MS,
				pollIntervalMs: settings.RELAY_POLL_INTERVAL_MS,
				faultPause: settings.AGENT_BRIDGE_FAULT_PAUSE,
				probe: relayProbe(settings),
			}).filter(([, v]) => v !== undefined),
		),
		executions: Object.fromEntries(
			Object.entries({ lostAfterMs: settings.RELAY_EXECUTION_LOST_AFTER_MS, intervalMs: settings.RELAY_EXECUTION_CHECK_MS }).filter(([, v]) => v !== undefined),
		),
		rateLimitPerMinute: settings.RATE_LIMIT_PER_MINUTE,
		webhookAllowedHosts: settings.WEBHOOK_ALLOWED_HOSTS,
		trustProxy: settings.TRUST_PROXY,
		publicUrl: settings.PUBLIC_URL,
		shutdownDrainMs: settings.SHUTDOWN_DRAIN_MS,
		logger: loggerOptions(settings),
		conversations: settings.MODEL_BUDGET !== undefined ? { modelBudgetPerWorkspace: settings.MODEL_BUDGET } : {},
	});
	warnAboutUnknownSettings((line) => app.log.warn(line));
	app.log.info(
		{
			version: VERSION,
			engine: model ? 'model' : 'offline',
			...(model
				? {
						modelBaseUrl: model.baseURL,
						model: model.model,
						modelProvider: providerProfile(model.baseURL, model.model, model).id,
						modelTurnDeadlineMs: model.turnDeadlineMs,
					}
				: {}),
			database: settings.DATABASE_URL ? 'postgres' : sqliteFile,
			dataDir: settings.DATA_DIR,
			agents: app.agentBridge.fileAgents.shared.list().map((a) => a.id),
		},
		'agent server configured',
	);
	// Stop taking requests, let running ones finish within the drain (a turn waiting for a workflow answers its
	// holding reply), then exit 0. Past the drain and a grace for closing the database, exit anyway.
	for (const signal of ['SIGINT', 'SIGTERM'] as const) {
		process.once(signal, () => {
			app.log.info({ signal, drainMs: settings.SHUTDOWN_DRAIN_MS }, 'shutting down');
			setTimeout(() => {
				app.log.error('shutdown did not finish in time; exiting');
				process.exit(1);
			}, settings.SHUTDOWN_DRAIN_MS + 5_000).unref();
			app.close().then(
				() => {
					app.log.info('shut down');
					process.exit(0);
				},
				(err) => {
					app.log.error({ err }, 'shutdown failed');
					process.exit(1);
				},
			);
		});
	}
	await app.listen({ port: settings.PORT, host: settings.HOST });
}

const program = new Command();
program.name('agent-bridge').description('Agent Bridge agent server').version(VERSION, '-v, --version', 'print the version');

program
	.command('serve', { isDefault: true })
	.description('start the HTTP server (every setting: docs/deploy.md)')
	.option('--port <port>', 'port to listen on (env PORT, default 3000)')
	.option('--host <host>', 'address to bind (env HOST, default 127.0.0.1)')
	.option('--database-url <url>', 'postgres://... for PostgreSQL, else SQLite (env DATABASE_URL)')
	.option('--data-dir <dir>', 'folder for the SQLite file (env DATA_DIR, default the server folder\'s data/)')
	.option('--sqlite-file <file>', 'SQLite file, relative to the data folder (env SQLITE_FILE)')
	.option('--agents-dir <dir>', 'directory of agent files (env AGENTS_DIR)')
	.option('--api-key <key>', 'first API key instead of a generated one (env AGENT_BRIDGE_API_KEY)')
	.option('--log-level <level>', 'pino log level (env LOG_LEVEL, default info)')
	.action(async (opts: Record<string, string | undefined>) => {
		const settings = settingsWith({
			PORT: opts.port,
			HOST: opts.host,
			DATABASE_URL: opts.databaseUrl,
			DATA_DIR: opts.dataDir,
			SQLITE_FILE: opts.sqliteFile,
			AGENTS_DIR: opts.agentsDir,
			AGENT_BRIDGE_API_KEY: opts.apiKey,
			LOG_LEVEL: opts.logLevel,
		});
		await serve(settings);
	});

program
	.command('create-workspace')
	.description('create a workspace and print its first API key (agencies: one workspace per client)')
	.requiredOption('--name <name>', 'workspace name')
	.option('--database-url <url>', 'postgres://... for PostgreSQL, else SQLite (env DATABASE_URL)')
	.option('--data-dir <dir>', 'folder for the SQLite file (env DATA_DIR)')
	.option('--sqlite-file <file>', 'SQLite file, relative to the data folder (env SQLITE_FILE)')
	.action(async (opts: { name: string; databaseUrl?: string; dataDir?: string; sqliteFile?: string }) => {
		const settings = settingsWith({ DATABASE_URL: opts.databaseUrl, DATA_DIR: opts.dataDir, SQLITE_FILE: opts.sqliteFile });
		warnAboutUnknownSettings();
		const store = await openStore({ databaseUrl: settings.DATABASE_URL, sqliteFile: settings.DATABASE_URL ? undefined : sqliteFileOf(settings) });
		try {
			const key = generateApiKey();
			const workspace = await store.db.transaction().execute(async (trx) => {
				// A folder AGENTS_DIR/workspaces/<name>/ must name one workspace.
				const [taken] = await workspacesNamed(trx, opts.name);
				if (taken) throw new Error(`a workspace named "${opts.name}" already exists (${taken.id}); workspace names are unique`);
				const ws = await createWorkspace(trx, opts.name);
				await addApiKey(trx, ws.id, key, 'created');
				return ws;
			});
			process.stdout.write(`workspace ${workspace.id} "${workspace.name}"\nAPI key (shown only once): ${key}\n`);
		} finally {
			await store.close();
		}
	});

program
	.command('doctor')
	.description('call the configured model once (OPENAI_*, MODEL_* settings) and say in plain words what is wrong')
	.action(async () => {
		const settings = parseModelSettings(process.env);
		warnAboutUnknownSettings();
		if (!settings) {
			process.stdout.write('No model configured (set OPENAI_BASE_URL and/or OPENAI_API_KEY): the offline rules engine answers.\n');
			return;
		}
		const report = await checkModel(settings);
		for (const line of report.lines) process.stdout.write(`${line}\n`);
		if (!report.ok) process.exitCode = 1;
	});

const agents = program.command('agents').description('agent files');
agents
	.command('validate')
	.description('check every agent file of a folder (shared and workspaces/*/) as the server would at start; no database')
	.argument('[dir]', 'the agents folder (env AGENTS_DIR)', process.env.AGENTS_DIR)
	.action((dir: string | undefined) => {
		if (!dir) throw new Error('agents validate: give the agents folder, or set AGENTS_DIR');
		const report = validateAgentsDir(dir);
		for (const line of report.problems) process.stderr.write(`${line}\n`);
		if (report.problems.length) process.exitCode = 1;
		else process.stdout.write(`${report.summary}\n`);
	});

registerTestCommand(program);

program.parseAsync(process.argv).catch((err: Error) => {
	process.stderr.write(`agent-bridge: ${err.message}\n`);
	process.exit(1);
});
