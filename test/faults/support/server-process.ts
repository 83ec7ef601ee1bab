// The agent server as its own process (as `npm start` runs it) on a SQLite file that outlives the process,
// so a test can SIGKILL it mid-delivery and start it again on the same data.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanEnv, freePort, repoRoot } from '../../e2e/support/n8n';

export interface ServerProcess {
	url: string;
	/** Everything the process wrote to stdout (JSON log lines). */
	output(): string;
	/** Resolves with the first log line containing `text` (rejects after timeoutMs). */
	waitForLog(text: string, timeoutMs?: number): Promise<string>;
	api<T = any>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
	kill(signal: NodeJS.Signals): Promise<void>;
}

/** Fast retries and a short attempt timeout, so a lease left by a killed process expires within seconds. */
const FAST_RELAY = { RELAY_RETRY_SCHEDULE_MS: '0,100,200,400,800', RELAY_ATTEMPT_TIMEOUT_MS: '1000', RELAY_POLL_INTERVAL_MS: '50' };

export async function startServerProcess(dir: string, apiKey: string, env: Record<string, string> = {}): Promise<ServerProcess> {
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	// One process (node with the TypeScript loader), not the tsx wrapper: a SIGKILL must hit the server itself.
	const loader = pathToFileURL(require.resolve('tsx')).href;
	const child: ChildProcess = spawn(process.execPath, ['--import', loader, path.join(repoRoot, 'agent-server', 'src', 'main.ts'), 'serve'], {
		cwd: dir,
		stdio: ['ignore', 'pipe', 'pipe'],
		env: {
			...cleanEnv(),
			PORT: String(port),
			HOST: '127.0.0.1',
			AGENT_BRIDGE_API_KEY: apiKey,
			SQLITE_FILE: path.join(dir, 'agent-bridge.db'),
			LOG_LEVEL: 'info',
			...FAST_RELAY,
			...env,
		},
	});
	let out = '';
	const listeners = new Set<() => void>();
	child.stdout?.on('data', (c: Buffer) => {
		out += c.toString('utf8');
		for (const l of [...listeners]) l();
	});
	child.stderr?.on('data', (c: Buffer) => (out += c.toString('utf8')));
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

	const api: ServerProcess['api'] = async (method, route, body) => {
		const res = await fetch(`${url}${route}`, {
			method,
			headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		return { status: res.status, body: text ? JSON.parse(text) : undefined };
	};

	const deadline = Date.now() + 30_000;
	for (;;) {
		if (child.exitCode !== null) throw new Error(`agent server exited early:\n${out}`);
		if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
		if (Date.now() > deadline) {
			child.kill('SIGKILL');
			throw new Error(`agent server did not start:\n${out}`);
		}
		await new Promise((r) => setTimeout(r, 100));
	}

	return {
		url,
		output: () => out,
		waitForLog(text, timeoutMs = 15_000) {
			const find = () => out.split('\n').find((line) => line.includes(text));
			return new Promise((resolve, reject) => {
				const timer = setTimeout(() => {
					listeners.delete(check);
					reject(new Error(`no log line with ${text}`));
				}, timeoutMs);
				const check = () => {
					const line = find();
					if (!line) return;
					clearTimeout(timer);
					listeners.delete(check);
					resolve(line);
				};
				listeners.add(check);
				check();
			});
		},
		api,
		async kill(signal) {
			if (child.exitCode === null) child.kill(signal);
			await exited;
		},
	};
}
