#!/usr/bin/env node
// Command line: `agent-bridge serve` starts the agent server; configuration comes from options or the environment.
import { Command } from 'commander';
import { buildApp, LOG_REDACT } from './app';
import { rateLimitFromEnv } from './api/rate-limit';
import { allowedHostsFromEnv } from './delivery/destinations';
import { relayOptionsFromEnv } from './delivery/relay-env';
import { createEngine } from './engine/index';
import { checkModel } from './engine/doctor';
import { parseModelSettings } from './engine/model-settings';
import { providerProfile } from './engine/providers';
import { DEFAULT_SQLITE_FILE, openStore } from './store/database';
import { validateAgentsDir } from './agents/validate';
import { registerTestCommand } from './agent-tests/command';
import { addApiKey, createWorkspace, generateApiKey, workspacesNamed } from './store/workspaces';

const program = new Command();
program.name('agent-bridge').description('Agent Bridge agent server');

program
	.command('serve', { isDefault: true })
	.description('start the HTTP server')
	.option('--port <port>', 'port to listen on (env PORT)', process.env.PORT ?? '3000')
	.option('--host <host>', 'address to bind (env HOST)', process.env.HOST ?? '127.0.0.1')
	.option('--database-url <url>', 'postgres://... for PostgreSQL, else SQLite (env DATABASE_URL)', process.env.DATABASE_URL)
	.option('--sqlite-file <file>', 'SQLite file (env SQLITE_FILE)', process.env.SQLITE_FILE ?? DEFAULT_SQLITE_FILE)
	.option('--agents-dir <dir>', 'directory of agent files (env AGENTS_DIR)', process.env.AGENTS_DIR)
	.option('--api-key <key>', 'first API key instead of a generated one (env AGENT_BRIDGE_API_KEY)')
	.option('--log-level <level>', 'pino log level (env LOG_LEVEL)', process.env.LOG_LEVEL ?? 'info')
	.action(async (opts: { port: string; host: string; databaseUrl?: string; sqliteFile: string; agentsDir?: string; apiKey?: string; logLevel: string }) => {
		const port = Number(opts.port);
		if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${opts.port}`);
		// Read from the environment here rather than as an option default, so `--help` never shows it.
		const apiKey = opts.apiKey ?? process.env.AGENT_BRIDGE_API_KEY ?? undefined;
		// Validated before anything starts: a wrong MODEL_* value stops the server with a readable message.
		const model = parseModelSettings(process.env);
		const app = await buildApp({
			databaseUrl: opts.databaseUrl || undefined,
			sqliteFile: opts.sqliteFile,
			agentsDir: opts.agentsDir || undefined,
			engine: createEngine({ model }),
			apiKey: apiKey || undefined,
			metricsToken: process.env.METRICS_TOKEN || undefined,
			relay: relayOptionsFromEnv(process.env),
			rateLimitPerMinute: rateLimitFromEnv(process.env.RATE_LIMIT_PER_MINUTE),
			webhookAllowedHosts: allowedHostsFromEnv(process.env.WEBHOOK_ALLOWED_HOSTS),
			logger: { level: opts.logLevel, redact: { paths: LOG_REDACT, censor: '[redacted]' } },
			conversations: process.env.MODEL_BUDGET ? { modelBudgetPerWorkspace: Number(process.env.MODEL_BUDGET) } : {},
		});
		app.log.info(
			{
				engine: model ? 'model' : 'offline',
				...(model
					? {
							modelBaseUrl: model.baseURL,
							model: model.model,
							modelProvider: providerProfile(model.baseURL, model.model, model.provider).id,
							modelTurnDeadlineMs: model.turnDeadlineMs,
						}
					: {}),
				database: opts.databaseUrl ? 'postgres' : opts.sqliteFile,
				agents: app.agentBridge.fileAgents.shared.list().map((a) => a.id),
			},
			'agent server configured',
		);
		for (const signal of ['SIGINT', 'SIGTERM'] as const) {
			process.once(signal, () => {
				app.log.info({ signal }, 'shutting down');
				app.close().then(
					() => process.exit(0),
					() => process.exit(1),
				);
			});
		}
		await app.listen({ port, host: opts.host });
	});

program
	.command('create-workspace')
	.description('create a workspace and print its first API key (agencies: one workspace per client)')
	.requiredOption('--name <name>', 'workspace name')
	.option('--database-url <url>', 'postgres://... for PostgreSQL, else SQLite (env DATABASE_URL)', process.env.DATABASE_URL)
	.option('--sqlite-file <file>', 'SQLite file (env SQLITE_FILE)', process.env.SQLITE_FILE ?? DEFAULT_SQLITE_FILE)
	.action(async (opts: { name: string; databaseUrl?: string; sqliteFile: string }) => {
		const store = await openStore({ databaseUrl: opts.databaseUrl || undefined, sqliteFile: opts.sqliteFile });
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
