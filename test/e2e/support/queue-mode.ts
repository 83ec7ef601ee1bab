// Runs a real n8n in queue mode for end-to-end tests: a main, workers and webhook processes behind a round-robin
// proxy, on a fresh PostgreSQL database and the machine's Redis, with the packed package installed as users do.
//
// What `startQueueModeN8n({ tarball, webhookProcesses: 2, workers: 1 })` sets up:
// - PostgreSQL at 127.0.0.1:5432 (trust auth, user postgres): a new database `n8n_qm_<random>`, dropped by `stop()`.
// - Redis at 127.0.0.1:6379: every key and channel n8n uses starts with one random id, `<id>-bull` for the Bull
//   queue (QUEUE_BULL_PREFIX) and `<id>-n8n` for pub/sub and the cache (N8N_REDIS_KEY_PREFIX); `stop()` deletes
//   the keys. Several runs can share the Redis.
// - One user folder (`.e2e/<name>`) with the package installed by `installPackage`, one N8N_ENCRYPTION_KEY.
// - `main`: `n8n start` with N8N_DISABLE_PRODUCTION_MAIN_PROCESS=true (it serves the editor, the REST and public API
//   and activates workflows, so triggers' `create` runs here; production webhooks are not served by it). The owner
//   and a public-API key are bootstrapped as `startN8n` does: the result has `RunningN8n`'s shape (url, apiKey,
//   cookie, pid = the main's), so `N8nApi` and the other helpers work on it unchanged.
// - `workers[i]`: `n8n worker --concurrency=N` (default 10), ready when its health server (/healthz/readiness on
//   its own port) answers.
// - `webhooks[i]`: `n8n webhook`, each on its own port; `proxy` forwards to them in turn. N8N_WEBHOOK_URL (and
//   WEBHOOK_URL) is the proxy's address, so every trigger subscription n8n creates points at the balancer.
// - Each process: `kill(signal = 'SIGKILL')` signals its process group (n8n and its task runner) and resolves once it
//   exited; `restart()` stops it if running (SIGTERM) and starts it again with the same port and settings.
//   Logs: `.e2e/<name>-<process>.log`.
// - `stop()` ends every process, drops the database, deletes the Redis keys, removes the user folder, stops the proxy.
//
// Stall detection, tuned so that a killed worker's job is seen within seconds (n8n's defaults are a 60 s lock,
// a 30 s stall check and a 3-minute recovery):
// - QUEUE_WORKER_LOCK_DURATION=10000 / QUEUE_WORKER_LOCK_RENEW_TIME=2000: a running job's lock lapses 10 s after its
//   worker died (a live worker renews it every 2 s, so a busy machine has 8 s of slack before a false stall).
// - QUEUE_WORKER_STALLED_INTERVAL=5000: every 5 s a *running worker* looks for active jobs without a lock. n8n sets
//   Bull's maxStalledCount to 0, so such a job is failed, never retried. No worker running means no stall check:
//   with a single worker, its jobs are only found when it (or another worker) is back.
// - N8N_EXECUTIONS_QUEUE_RECOVERY_INTERVAL=0.2 (minutes, 12 s): the main marks executions that are `new` or
//   `running` in the database but have no active or waiting job in Redis as `crashed`. It runs once at start,
//   then every interval. (In theory it can race an execution written to the database but not yet queued.)
//
// Seen with n8n 2.40.7 (read in its dist/ and measured by queue-mode.e2e.test.ts):
// - Right after activation the webhook processes answer 404 "The requested webhook ... is not registered" for a
//   while (13 of 20 first requests in one run). UNSOLVED: with `waitForWebhookOnEveryProcess` (a CORS preflight
//   probe) the preflight stopped answering 404 but every POST kept answering 404 for the whole run; perhaps the
//   probe's lookup leaves a cached miss (N8N_CACHE_BACKEND is Redis in queue mode). A 2 s pause after activation
//   with no probe worked in a script run (6 of 6 answered 200, 3 per webhook process).
// - (Read in n8n's code.) A killed worker's running executions stay `running` in the database while no worker runs (nothing checks
//   stalls); after a worker is back, its stall check fails the job and the main's next recovery run marks the
//   execution `crashed` (public API `status=crashed`). Waiting jobs survive in Redis and run on the restarted worker.
//   Listings without `status` include every status. See the kill test's console output for the timeline.
// - Startup on a busy 2-core machine: about 85 s (the main's migrations on an empty PostgreSQL database).
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { openSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { bootstrapOwner, cleanEnv, e2eDir, freePort, installN8n, installPackage, startN8n, stopN8n, waitFor, type RunningN8n } from './n8n';
import { RoundRobinProxy } from './round-robin-proxy';

export const QUEUE_MODE_N8N_VERSION = '2.40.7';
const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres' };
const REDIS = { host: '127.0.0.1', port: 6379 };

/** The stall settings described above; a test may pass others. */
export const FAST_STALL_DETECTION = {
	QUEUE_WORKER_LOCK_DURATION: '10000',
	QUEUE_WORKER_LOCK_RENEW_TIME: '2000',
	QUEUE_WORKER_STALLED_INTERVAL: '5000',
	N8N_EXECUTIONS_QUEUE_RECOVERY_INTERVAL: '0.2',
};

export type N8nRole = 'main' | 'worker' | 'webhook';

export interface N8nProcess {
	role: N8nRole;
	/** main, worker-1, webhook-2 ... */
	name: string;
	/** Its HTTP address: the editor and API for the main, the webhook server, a worker's health server. */
	url: string;
	pid: number;
	running: boolean;
	/** Signals its process group and resolves once it exited (SIGKILL: a crash; SIGTERM: n8n's own shutdown). */
	kill(signal?: NodeJS.Signals): Promise<void>;
	/** Stops it if running (SIGTERM), starts it again with the same port and settings, resolves when ready. */
	restart(): Promise<void>;
}

export interface QueueModeN8n extends RunningN8n {
	proxy: RoundRobinProxy;
	main: N8nProcess;
	workers: N8nProcess[];
	webhooks: N8nProcess[];
	/** The PostgreSQL database n8n uses. */
	database: string;
	/** Every Redis key n8n writes starts with this. */
	redisPrefix: string;
	/** Kills everything and removes the database, the Redis keys and the user folder. Safe to call twice. */
	stop(): Promise<void>;
}

export interface QueueModeOptions {
	tarball: string;
	webhookProcesses?: number;
	workers?: number;
	/** Jobs each worker runs at once (`n8n worker --concurrency`). Default 10. */
	concurrency?: number;
	/** The user folder and log names under .e2e. Default n8n-qm. */
	name?: string;
	/** Extra environment for every process (overrides the defaults, e.g. other stall settings). */
	env?: Record<string, string>;
}

export async function startQueueModeN8n(options: QueueModeOptions): Promise<QueueModeN8n> {
	const { tarball, webhookProcesses = 2, workers = 1, concurrency = 10, name = 'n8n-qm' } = options;
	const id = `qm${randomBytes(5).toString('hex')}`;
	const database = `n8n_${id}`;
	const redisPrefix = `${id}-`;
	const userFolder = path.join(e2eDir, name);
	const { n8nDir, nodeBin } = installN8n(QUEUE_MODE_N8N_VERSION);
	const processes: ManagedProcess[] = [];
	let proxy: RoundRobinProxy | undefined;
	let stopped = false;

	const stop = async () => {
		if (stopped) return;
		stopped = true;
		await Promise.all(processes.map((p) => p.stopForGood()));
		await proxy?.stop();
		await dropDatabase(database);
		await deleteRedisKeys(n8nDir, redisPrefix);
		rmSync(userFolder, { recursive: true, force: true });
	};

	try {
		rmSync(userFolder, { recursive: true, force: true });
		installPackage(userFolder, tarball);
		await createDatabase(database);

		const webhookPorts = await Promise.all(Array.from({ length: webhookProcesses }, () => freePort()));
		proxy = await RoundRobinProxy.start(webhookPorts.map((p) => `http://127.0.0.1:${p}`));
		const env: NodeJS.ProcessEnv = {
			...cleanEnv(),
			NODE_ENV: 'production',
			PATH: `${nodeBin}:${process.env.PATH}`,
			N8N_USER_FOLDER: userFolder,
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_ENCRYPTION_KEY: randomBytes(24).toString('hex'),
			WEBHOOK_URL: `${proxy.url}/`,
			N8N_WEBHOOK_URL: `${proxy.url}/`,
			EXECUTIONS_MODE: 'queue',
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: POSTGRES.host,
			DB_POSTGRESDB_PORT: String(POSTGRES.port),
			DB_POSTGRESDB_USER: POSTGRES.user,
			DB_POSTGRESDB_DATABASE: database,
			QUEUE_BULL_REDIS_HOST: REDIS.host,
			QUEUE_BULL_REDIS_PORT: String(REDIS.port),
			QUEUE_BULL_PREFIX: `${id}-bull`,
			N8N_REDIS_KEY_PREFIX: `${id}-n8n`,
			N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '10',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_SECURE_COOKIE: 'false',
			N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
			N8N_HIRING_BANNER_ENABLED: 'false',
			EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
			...FAST_STALL_DETECTION,
			...options.env,
		};
		const bin = path.join(n8nDir, 'node_modules', '.bin', 'n8n');
		const spec = (role: N8nRole, procName: string, port: number, args: string[], extra: NodeJS.ProcessEnv = {}) =>
			new ManagedProcess(role, procName, port, bin, args, { ...env, ...extra }, path.join(e2eDir, `${name}-${procName}.log`));

		const mainPort = await freePort();
		const main = spec('main', 'main', mainPort, ['start'], {
			N8N_PORT: String(mainPort),
			N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true',
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		});
		processes.push(main);
		// The main runs the migrations on the empty database: the others start once it is ready.
		await main.start();
		const { apiKey, cookie } = await bootstrapOwner(main.url);

		const workerProcs: ManagedProcess[] = [];
		for (let i = 1; i <= workers; i++) {
			const port = await freePort();
			workerProcs.push(
				spec('worker', `worker-${i}`, port, ['worker', `--concurrency=${concurrency}`], {
					QUEUE_HEALTH_CHECK_ACTIVE: 'true',
					QUEUE_HEALTH_CHECK_PORT: String(port),
					N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
					N8N_RUNNERS_BROKER_PORT: String(await freePort()),
				}),
			);
		}
		const webhookProcs: ManagedProcess[] = [];
		for (let i = 1; i <= webhookProcesses; i++) {
			webhookProcs.push(
				spec('webhook', `webhook-${i}`, webhookPorts[i - 1], ['webhook'], {
					N8N_PORT: String(webhookPorts[i - 1]),
					N8N_RUNNERS_BROKER_PORT: String(await freePort()),
				}),
			);
		}
		processes.push(...workerProcs, ...webhookProcs);
		await Promise.all([...workerProcs, ...webhookProcs].map((p) => p.start()));

		return {
			version: QUEUE_MODE_N8N_VERSION,
			url: main.url,
			apiKey,
			cookie,
			get pid() {
				return main.pid;
			},
			userFolder,
			proxy,
			main,
			workers: workerProcs,
			webhooks: webhookProcs,
			database,
			redisPrefix,
			stop,
		};
	} catch (error) {
		await stop().catch(() => undefined);
		throw error;
	}
}

/**
 * Waits until every webhook process serves /webhook/<path>: right after activation they answer 404 for a while
 * (seen: the first 13 of 20 requests). Probes with a CORS preflight for POST, which n8n answers after looking the
 * webhook up (404 while it is unknown) and without starting an execution.
 */
export async function waitForWebhookOnEveryProcess(qm: QueueModeN8n, webhookPath: string, timeoutMs = 60_000): Promise<void> {
	await waitFor(
		async () => {
			const answers = await Promise.all(
				qm.webhooks.map((w) => fetch(`${w.url}/webhook/${webhookPath}`, {
						method: 'OPTIONS',
						headers: { origin: 'http://127.0.0.1', 'access-control-request-method': 'POST' },
					}).then((r) => r.status)),
			);
			return answers.every((status) => status !== 404);
		},
		timeoutMs,
		`every webhook process to serve /webhook/${webhookPath}`,
	);
}

export interface N8nBehindProxy extends RunningN8n {
	proxy: RoundRobinProxy;
	/** Stops n8n and the proxy (the user folder under .e2e stays, as with `startN8n`). */
	stop(): Promise<void>;
}

/**
 * One regular-mode n8n (SQLite, as `startN8n` runs it) with the proxy in front: N8N_WEBHOOK_URL is the proxy's
 * address, so trigger subscriptions go through it and its fault injection applies. `restartN8n` keeps both.
 */
export async function startRegularN8nBehindProxy(tarball: string, name = 'n8n-behind-proxy'): Promise<N8nBehindProxy> {
	// n8n's port is known only once it runs; the proxy's address must be known before.
	const proxy = await RoundRobinProxy.start(['http://127.0.0.1:9']);
	try {
		const n8n = await startN8n(QUEUE_MODE_N8N_VERSION, tarball, name, proxy.url);
		proxy.setBackends([n8n.url]);
		return {
			...n8n,
			proxy,
			stop: async () => {
				stopN8n(n8n.pid);
				await proxy.stop();
			},
		};
	} catch (error) {
		await proxy.stop();
		throw error;
	}
}

/** One n8n process with its own port; spawned in its own process group so a kill takes its task runner too. */
class ManagedProcess implements N8nProcess {
	private child?: ChildProcess;
	private exited: Promise<void> = Promise.resolve();
	private retired = false;

	constructor(
		readonly role: N8nRole,
		readonly name: string,
		private readonly port: number,
		private readonly bin: string,
		private readonly args: string[],
		private readonly env: NodeJS.ProcessEnv,
		private readonly logPath: string,
	) {}

	get url(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	get pid(): number {
		return this.child?.pid ?? -1;
	}

	get running(): boolean {
		return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
	}

	async start(): Promise<void> {
		if (this.retired) throw new Error(`${this.name} was stopped for good`);
		const log = openSync(this.logPath, 'a');
		const child = spawn(this.bin, this.args, { cwd: this.env.N8N_USER_FOLDER, detached: true, stdio: ['ignore', log, log], env: this.env });
		this.child = child;
		this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
		let gone = false;
		void this.exited.then(() => (gone = true));
		await waitFor(
			async () => {
				if (gone) throw new Error(`${this.name} exited while starting; see ${this.logPath}`);
				return (await fetch(`${this.url}/healthz/readiness`)).ok;
			},
			180_000,
			`n8n ${this.name} to be ready`,
		).catch((error) => {
			if (gone) throw new Error(`${this.name} exited while starting; see ${this.logPath}`);
			throw error;
		});
	}

	async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
		if (!this.running) return;
		try {
			process.kill(-this.pid, signal);
		} catch {
			// already gone
		}
		const slow = setTimeout(() => {
			try {
				process.kill(-this.pid, 'SIGKILL');
			} catch {
				// already gone
			}
		}, 30_000);
		await this.exited;
		clearTimeout(slow);
		// The task runner may outlive the n8n it belongs to by a moment.
		try {
			process.kill(-this.pid, 'SIGKILL');
		} catch {
			// the whole group is gone
		}
	}

	async restart(): Promise<void> {
		await this.kill('SIGTERM');
		await this.start();
	}

	async stopForGood(): Promise<void> {
		this.retired = true;
		await this.kill('SIGTERM');
	}
}

async function withPostgres<T>(run: (client: Client) => Promise<T>): Promise<T> {
	const client = new Client({ ...POSTGRES, database: 'postgres' });
	await client.connect();
	try {
		return await run(client);
	} finally {
		await client.end();
	}
}

async function createDatabase(name: string): Promise<void> {
	await withPostgres((c) => c.query(`CREATE DATABASE "${name}"`));
}

async function dropDatabase(name: string): Promise<void> {
	await withPostgres((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/** Whether a PostgreSQL database of that name exists (to check `stop()` cleaned up). */
export async function databaseExists(name: string): Promise<boolean> {
	return withPostgres(async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1);
}

// The Redis client n8n itself ships (ioredis), taken from the installed n8n: the project needs no Redis client.
type RedisClient = {
	scan(cursor: string, ...args: (string | number)[]): Promise<[string, string[]]>;
	del(...keys: string[]): Promise<number>;
	quit(): Promise<unknown>;
};
function redisClient(n8nDir: string): RedisClient {
	const Redis = createRequire(path.join(n8nDir, 'package.json'))('ioredis') as new (options: object) => RedisClient;
	return new Redis({ ...REDIS, lazyConnect: false, maxRetriesPerRequest: 2 });
}

async function scanKeys(redis: RedisClient, prefix: string): Promise<string[]> {
	const keys: string[] = [];
	let cursor = '0';
	do {
		const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
		keys.push(...batch);
		cursor = next;
	} while (cursor !== '0');
	return keys;
}

/** The Redis keys that start with `prefix` (a queue-mode n8n's `redisPrefix`). */
export async function redisKeys(prefix: string): Promise<string[]> {
	const redis = redisClient(installN8n(QUEUE_MODE_N8N_VERSION).n8nDir);
	try {
		return await scanKeys(redis, prefix);
	} finally {
		await redis.quit();
	}
}

async function deleteRedisKeys(n8nDir: string, prefix: string): Promise<void> {
	const redis = redisClient(n8nDir);
	try {
		const keys = await scanKeys(redis, prefix);
		for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
	} finally {
		await redis.quit();
	}
}
