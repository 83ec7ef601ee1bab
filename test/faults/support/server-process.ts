// The agent server as its own process on a SQLite file that outlives the process, so a test can SIGKILL it
// mid-delivery and start it again on the same data.
import path from 'node:path';
import { spawnAgentServer, type AgentServerProcess } from '../../support/agent-server-process';

export type ServerProcess = AgentServerProcess;

/** Fast retries and a short attempt timeout, so a lease left by a killed process expires within seconds. */
const FAST_RELAY = { RELAY_RETRY_SCHEDULE_MS: '0,100,200,400,800', RELAY_ATTEMPT_TIMEOUT_MS: '1000', RELAY_POLL_INTERVAL_MS: '50' };

export function startServerProcess(dir: string, apiKey: string, env: Record<string, string> = {}): Promise<ServerProcess> {
	return spawnAgentServer({
		// A SIGKILL must hit the server itself, not the tsx wrapper.
		runner: 'node',
		cwd: dir,
		apiKey,
		env: { SQLITE_FILE: path.join(dir, 'agent-bridge.db'), LOG_LEVEL: 'info', ...FAST_RELAY, ...env },
		startTimeoutMs: 30_000,
	});
}
