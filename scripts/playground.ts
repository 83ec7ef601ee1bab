// `npm run playground`: a local n8n with this package installed as a user installs it, the agent server, and the
// example workflows for the bundled agents imported and active. Prints the two addresses; Ctrl-C stops both.
// It runs the same real parts as the end-to-end suite (a pinned n8n, cached in ~/.cache/agent-bridge) and keeps
// its state in .playground/ (fresh on every start).
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { AgentServerProcess } from '../test/support/agent-server-process';
import type { RunningN8n } from '../test/e2e/support/n8n';

const N8N_VERSION = process.env.N8N_VERSION ?? '2.40.7';
const API_KEY = process.env.AGENT_BRIDGE_API_KEY ?? 'ab_playground_key_0123456789';
/** One workflow per action of the bundled agents (lead-qualifier, pricing-assistant, appointment-scheduler, account-assistant). */
const WORKFLOWS = ['lead-scoring.json', 'appointment-booked.json', 'price-lookup.json', 'check-availability.json', 'confirm-slot.json', 'account-lookup.json'];
const OWNER = { email: 'owner@example.com', password: 'Passw0rd!Passw0rd' };

const step = (text: string) => process.stdout.write(`» ${text}\n`);

async function main(): Promise<void> {
	const root = path.resolve(__dirname, '..');
	// The n8n helpers keep their folders under E2E_DIR, read when they load.
	process.env.E2E_DIR ??= '.playground';
	const { installN8n, N8nApi, packPackage, startN8n, stopN8n, waitFor } = await import('../test/e2e/support/n8n');
	const { spawnAgentServer } = await import('../test/support/agent-server-process');
	const { readWorkflow } = await import('../test/e2e/support/scenario');
	let n8n: RunningN8n | undefined;
	let server: AgentServerProcess | undefined;
	const stop = async () => {
		if (n8n) stopN8n(n8n.pid);
		await server?.kill('SIGTERM');
	};
	for (const signal of ['SIGINT', 'SIGTERM'] as const) {
		process.once(signal, () => {
			step('stopping n8n and the agent server');
			stop().then(() => process.exit(0));
		});
	}

	try {
		step(`installing n8n ${N8N_VERSION} into ~/.cache/agent-bridge (several minutes the first time, then cached)`);
		installN8n(N8N_VERSION);
		step('building and packing the n8n package (npm pack)');
		const tarball = packPackage();
		step('starting the agent server');
		const serverDir = path.join(root, '.playground', 'agent-server');
		rmSync(serverDir, { recursive: true, force: true });
		mkdirSync(serverDir, { recursive: true });
		server = await spawnAgentServer({
			runner: 'tsx',
			cwd: serverDir,
			apiKey: API_KEY,
			env: { LOG_FORMAT: 'json' },
			logFile: () => path.join(root, '.playground', 'agent-server.log'),
			startTimeoutMs: 120_000,
		});
		step(`starting n8n ${N8N_VERSION} with the package installed in its nodes folder`);
		n8n = await startN8n(N8N_VERSION, tarball, 'n8n');
		step('importing and activating the example workflows');
		const api = new N8nApi(n8n);
		const credential = await api.createCredential('Agent Bridge (playground)', 'agentBridgeApi', { serverUrl: server.url, apiKey: API_KEY });
		for (const file of WORKFLOWS) {
			const { id } = await api.importWorkflow(readWorkflow(file, { CREDENTIAL_ID: credential.id }));
			await api.activate(id);
		}
		const subscribed = async () => (await server!.api('GET', '/v1/subscriptions')).body.data.length >= WORKFLOWS.length;
		await waitFor(subscribed, 60_000, 'the workflows\' triggers to subscribe');
	} catch (err) {
		await stop();
		throw err;
	}

	process.stdout.write(
		[
			'',
			'Agent Bridge playground is ready:',
			`  n8n           ${n8n.url}   (sign in: ${OWNER.email} / ${OWNER.password})`,
			`  agent server  ${server.url}   (inspector: ${server.url}/inspector, API key: ${API_KEY})`,
			'',
			'Try the lead qualifier (the Lead Scoring workflow scores the lead and tags the contact):',
			`  curl -s ${server.url}/v1/chat -H "authorization: Bearer ${API_KEY}" -H 'content-type: application/json' \\`,
			`    -d '{"agentId":"lead-qualifier","text":"Hi, I am Dana and I need a new website"}'`,
			'',
			'Ctrl-C stops both.',
			'',
		].join('\n'),
	);
	// Stay up until a signal: n8n runs detached, the agent server as a child.
	setInterval(() => undefined, 1 << 30);
}

main().catch((err: Error) => {
	process.stderr.write(`playground: ${err.message}\n`);
	process.exit(1);
});
