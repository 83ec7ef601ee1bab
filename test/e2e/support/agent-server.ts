// Starts the agent server as its own process, the way `npm start` runs it, on a free port and a fresh SQLite file.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanEnv, e2eDir, freePort, repoRoot, waitFor } from './n8n';

export interface RunningAgentServer {
	url: string;
	apiKey: string;
	stop(): Promise<void>;
	api<T = any>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export async function startAgentServer(env: Record<string, string> = {}): Promise<RunningAgentServer> {
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const apiKey = `ab_e2e_${Math.random().toString(36).slice(2)}${Date.now()}`;
	const cwd = mkdtempSync(path.join(tmpdir(), 'agent-bridge-e2e-'));
	const log = openSync(path.join(e2eDir, `agent-server-${port}.log`), 'w');
	const child = spawn(path.join(repoRoot, 'node_modules', '.bin', 'tsx'), [path.join(repoRoot, 'agent-server', 'src', 'main.ts'), 'serve'], {
		cwd,
		stdio: ['ignore', log, log],
		env: { ...cleanEnv(), PORT: String(port), HOST: '127.0.0.1', AGENT_BRIDGE_API_KEY: apiKey, ...env },
	});
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	await waitFor(async () => (await fetch(`${url}/healthz`)).ok, 60_000, 'agent server /healthz');

	return {
		url,
		apiKey,
		async stop() {
			child.kill('SIGTERM');
			await exited;
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
	};
}
