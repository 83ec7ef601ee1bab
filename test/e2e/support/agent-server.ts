// Starts the agent server as its own process from its sources, on a free port and a fresh SQLite file.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnAgentServer } from '../../support/agent-server-process';
import { e2eDir } from './n8n';

export interface RunningAgentServer {
	url: string;
	apiKey: string;
	stop(): Promise<void>;
	api<T = any>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export async function startAgentServer(env: Record<string, string> = {}): Promise<RunningAgentServer> {
	const server = await spawnAgentServer({
		runner: 'tsx',
		cwd: mkdtempSync(path.join(tmpdir(), 'agent-bridge-e2e-')),
		apiKey: `ab_e2e_${Math.random().toString(36).slice(2)}${Date.now()}`,
		env,
		logFile: (port) => path.join(e2eDir, `agent-server-${port}.log`),
	});
	return { url: server.url, apiKey: server.apiKey, api: server.api, stop: () => server.kill('SIGTERM') };
}
