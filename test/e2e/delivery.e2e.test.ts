// n8n stopped while contacts fire workflow actions, then started again: every event arrives once, within seconds
// of n8n being healthy, on the real retry schedule. Runs its own n8n, so stopping it disturbs no other test.
import { randomUUID } from 'node:crypto';
import { DEFAULT_RETRY_SCHEDULE_MS } from '../../agent-server/src/delivery/relay';
import { DEFAULT_PROBE } from '../../agent-server/src/delivery/resume';
import { N8N_VERSION } from './global-setup';
import { startAgentServer, type RunningAgentServer } from './support/agent-server';
import { N8nApi, nodeOutput, packedTarball, restartN8n, startN8n, stopN8n, waitFor, type RunningN8n } from './support/n8n';
import { bridgeCredential, waitForSubscriptions } from './support/scenario';

/** From n8n healthy to each event's workflow run, at most. */
const RESUME_LIMIT_MS = 15_000;
/** The 10-minute outage runs on a clock 20 times faster: the retry schedule and the probing period divided by 20. */
const CLOCK = 20;

let n8n: RunningN8n;
let api: N8nApi;

interface Chain {
	server: RunningAgentServer;
	workflowId: string;
}
const chains: Chain[] = [];

/** One agent server and an active workflow that runs on each of its lead-qualifier actions. */
async function chain(name: string, env: Record<string, string>): Promise<Chain> {
	const server = await startAgentServer(env);
	const credential = await bridgeCredential(api, server, `Agent Bridge ${name}`);
	const workflow = await api.importWorkflow({
		name,
		nodes: [
			{
				parameters: { agentId: 'lead-qualifier' },
				id: randomUUID(),
				name: 'Action Fired',
				type: 'n8n-nodes-agent-bridge.aiAgentTrigger',
				typeVersion: 1,
				position: [0, 0],
				webhookId: randomUUID(),
				credentials: { agentBridgeApi: { id: credential.id, name: credential.name } },
			},
		],
		connections: {},
	});
	await api.activate(workflow.id);
	await waitForSubscriptions(server, 1);
	const c = { server, workflowId: workflow.id };
	chains.push(c);
	return c;
}

beforeAll(async () => {
	n8n = await startN8n(N8N_VERSION, packedTarball(), 'n8n-delivery');
	api = new N8nApi(n8n);
}, 240_000);

afterAll(async () => {
	for (const c of chains) await c.server.stop();
	if (n8n) stopN8n(n8n.pid);
});

/** Three contacts fire lead_scoring and appointment_booked; returns the event ids. */
async function fireActions(server: RunningAgentServer): Promise<string[]> {
	const chats = await Promise.all(
		['Dana', 'Sam', 'Lee'].map((name) =>
			server.api('POST', '/v1/chat', {
				agentId: 'lead-qualifier',
				text: `Hi, I'm ${name}. Our budget is $25,000, we'd like to launch within 1 month; please book a call tomorrow`,
			}),
		),
	);
	const fired: string[] = [];
	for (const chat of chats) {
		expect(chat.status).toBe(200);
		for (const a of chat.body.actions) if (a.fired) fired.push(a.eventId);
	}
	return fired;
}

/**
 * Stops n8n for `outageMs` while the actions fire, starts it again, and returns the events fired and when n8n was
 * healthy again (its readiness probe, polled every 100 ms).
 */
async function outage(c: Chain, outageMs: number): Promise<{ fired: string[]; healthyAt: number }> {
	let fired: string[] = [];
	let healthyAt = 0;
	let polling = true;
	const poll = (async () => {
		while (polling) {
			const ok = await fetch(`${n8n.url}/healthz/readiness`).then((r) => r.ok, () => false);
			if (ok && healthyAt === 0) healthyAt = Date.now();
			if (!ok) healthyAt = 0;
			await new Promise((r) => setTimeout(r, 100));
		}
	})();
	n8n = await restartN8n(n8n, async () => {
		const stoppedAt = Date.now();
		fired = await fireActions(c.server);
		expect(fired.length).toBeGreaterThanOrEqual(3);
		const pending = (await c.server.api('GET', '/v1/deliveries?status=pending')).body.data;
		expect(pending.map((d: { eventId: string }) => d.eventId).sort()).toEqual([...fired].sort());
		await new Promise((r) => setTimeout(r, Math.max(0, outageMs - (Date.now() - stoppedAt))));
	});
	polling = false;
	await poll;
	api = new N8nApi(n8n);
	expect(healthyAt).toBeGreaterThan(0);
	return { fired, healthyAt };
}

/** Every event delivered once, each run once, and how long after n8n was healthy each run started. */
async function resumed(c: Chain, fired: string[], healthyAt: number): Promise<number[]> {
	await waitFor(
		async () => (await c.server.api('GET', '/v1/deliveries/summary')).body.delivered === fired.length,
		120_000,
		'every event delivered after the restart',
	);
	// The delivery invariant: every delivery is pending, delivered or failed, and here all were delivered.
	const summary = (await c.server.api('GET', '/v1/deliveries/summary')).body;
	expect(summary).toEqual({ events: fired.length, deliveries: fired.length, pending: 0, delivered: fired.length, failed: 0 });

	// Give n8n time to run a duplicate, if there were one.
	await new Promise((r) => setTimeout(r, 3000));
	let runs: { eventId: string; startedAt: number }[] = [];
	await waitFor(
		async () => {
			const executions = (await api.executions(c.workflowId)).filter((e) => e.status === 'success');
			runs = executions.map((e) => ({ eventId: nodeOutput(e, 'Action Fired')[0]?.[0]?.eventId, startedAt: Date.parse(e.startedAt) }));
			return runs.length >= fired.length;
		},
		30_000,
		'the executions to be saved',
	);
	expect(runs.map((r) => r.eventId).sort()).toEqual([...fired].sort());
	return runs.map((r) => r.startedAt - healthyAt);
}

function report(what: string, fired: string[], latencies: number[]) {
	const s = (ms: number) => (ms / 1000).toFixed(1);
	process.stdout.write(
		`\n${what}: ${fired.length} events, each run once; from n8n healthy to each run: ${latencies.map(s).sort().join(', ')} s (max ${s(Math.max(...latencies))} s)\n`,
	);
}

test('n8n down for 40 seconds while actions fire: every event runs once, within 15 s of n8n being healthy', async () => {
	// The real retry schedule: the deliveries wait 5 minutes after their second failure.
	const c = await chain('Actions (real clock)', {});
	const { fired, healthyAt } = await outage(c, 40_000);
	const latencies = await resumed(c, fired, healthyAt);
	report('40 s n8n outage', fired, latencies);
	for (const ms of latencies) expect(ms).toBeLessThan(RESUME_LIMIT_MS);
}, 300_000);

test('n8n down for 10 minutes (clock 20 times faster) while actions fire: every event runs once, within 15 s of n8n being healthy', async () => {
	const scaled = (ms: number) => String(Math.round(ms / CLOCK));
	const c = await chain('Actions (fast clock)', {
		// The clock of the outage: the retry schedule and how long a down destination is probed. The probe's own
		// waits (1 s doubling to 10 s) stay real, so n8n's return is noticed no sooner than on a real clock.
		RELAY_RETRY_SCHEDULE_MS: DEFAULT_RETRY_SCHEDULE_MS.map(scaled).join(','),
		RELAY_PROBE_FOR_MS: scaled(DEFAULT_PROBE.forMs),
	});
	const { fired, healthyAt } = await outage(c, 600_000 / CLOCK);
	// The deliveries now wait for their 30-minute step (90 s on this clock), and the probe is at its 10 s cap: only
	// the probe and the signals that n8n is back can bring them forward in time.
	const latencies = await resumed(c, fired, healthyAt);
	report(`10 min n8n outage (clock x${CLOCK})`, fired, latencies);
	for (const ms of latencies) expect(ms).toBeLessThan(RESUME_LIMIT_MS);
}, 300_000);
