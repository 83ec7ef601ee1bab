// The agent server as its own process, from its sources (as `npm run dev` runs it), on a free port, for the suites that need a real
// process rather than an in-process app: the end-to-end suite and the crash faults.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanEnv, freePort, repoRoot } from '../e2e/support/n8n';

export interface AgentServerProcessOptions {
	cwd: string;
	apiKey: string;
	env?: Record<string, string>;
	/**
	 * 'tsx': the tsx wrapper, as `npm run dev` runs it. 'node': one node process with the TypeScript loader, so a
	 * SIGKILL hits the server itself and not a wrapper that leaves it running.
	 */
	runner: 'tsx' | 'node';
	/** Where stdout and stderr go; without it they are kept in memory for output() and waitForLog(). */
	logFile?: (port: number) => string;
	startTimeoutMs?: number;
}

export interface AgentServerProcess {
	url: string;
	apiKey: string;
	/** Everything the process wrote (JSON log lines); empty when it logs to a file. */
	output(): string;
	/** Resolves with the first log line containing `text` (rejects after timeoutMs). */
	waitForLog(text: string, timeoutMs?: number): Promise<string>;
	api<T = any>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
	/** Sends the signal (unless the process is gone) and resolves once it has exited, with how it exited. */
	kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the server and resolves once /healthz answers; rejects with its output if it exits or hangs first. */
export async function spawnAgentServer(options: AgentServerProcessOptions): Promise<AgentServerProcess> {
	const { cwd, apiKey, runner, startTimeoutMs = 60_000 } = options;
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const main = path.join(repoRoot, 'agent-server', 'src', 'main.ts');
	const [command, args] =
		runner === 'tsx'
			? [path.join(repoRoot, 'node_modules', '.bin', 'tsx'), [main, 'serve']]
			: [process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, main, 'serve']];
	const log = options.logFile ? openSync(options.logFile(port), 'w') : 'pipe';
	const child = spawn(command, args, {
		cwd,
		stdio: ['ignore', log, log],
		// DATA_DIR in the given folder: each process its own database, never the server folder's.
		env: { ...cleanEnv(), PORT: String(port), HOST: '127.0.0.1', DATA_DIR: path.join(cwd, 'data'), AGENT_BRIDGE_API_KEY: apiKey, ...options.env },
	});

	let out = '';
	const listeners = new Set<() => void>();
	child.stdout?.on('data', (c: Buffer) => {
		out += c.toString('utf8');
		for (const l of [...listeners]) l();
	});
	child.stderr?.on('data', (c: Buffer) => (out += c.toString('utf8')));
	const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
	const where = () => (options.logFile ? ` (see ${options.logFile(port)})` : `:\n${out}`);

	const deadline = Date.now() + startTimeoutMs;
	for (;;) {
		if (child.exitCode !== null || child.signalCode !== null) throw new Error(`agent server exited early${where()}`);
		if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
		if (Date.now() > deadline) {
			child.kill('SIGKILL');
			throw new Error(`agent server did not start${where()}`);
		}
		await new Promise((r) => setTimeout(r, 100));
	}

	return {
		url,
		apiKey,
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
		async api(method, route, body) {
			const res = await fetch(`${url}${route}`, {
				method,
				headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
				body: body === undefined ? undefined : JSON.stringify(body),
			});
			const text = await res.text();
			return { status: res.status, body: text ? JSON.parse(text) : undefined };
		},
		async kill(signal) {
			if (child.exitCode === null && child.signalCode === null) child.kill(signal);
			return exited;
		},
	};
}
