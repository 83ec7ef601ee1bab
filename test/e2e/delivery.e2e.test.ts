// n8n stopped while conversations fire actions, then started again: every event arrives and each workflow
// runs once. Runs its own n8n, so stopping it disturbs no other test.
import { randomUUID } from 'node:crypto';
import { N8N_VERSION } from './global-setup';
import { startAgentServer, type RunningAgentServer } from './support/agent-server';
import { N8nApi, nodeOutput, packedTarball, restartN8n, startN8n, stopN8n, waitFor, type RunningN8n } from './support/n8n';
import { bridgeCredential, waitForSubscriptions } from './support/scenario';

let n8n: RunningN8n;
let api: N8nApi;
let server: RunningAgentServer;
let workflowId: string;

// Retries every 2 s for two minutes: n8n's restart fits inside the schedule.
const RETRIES = ['0', ...Array.from({ length: 60 }, () => '2000')].join(',');

beforeAll(async () => {
	n8n = await startN8n(N8N_VERSION, packedTarball(), 'n8n-delivery');
	api = new N8nApi(n8n);
	server = await startAgentServer({ RELAY_RETRY_SCHEDULE_MS: RETRIES });
	const credential = await bridgeCredential(api, server);
	const workflow = await api.importWorkflow({
		name: 'Every lead-qualifier action',
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
	workflowId = workflow.id;
	await api.activate(workflowId);
	await waitForSubscriptions(server, 1);
}, 240_000);

afterAll(async () => {
	await server?.stop();
	if (n8n) stopN8n(n8n.pid);
});

test('n8n down while actions fire: after its restart every event arrives once', async () => {
	const fired: string[] = [];
	n8n = await restartN8n(n8n, async () => {
		// Two conversations fire lead_scoring and appointment_booked while nothing listens.
		const chats = await Promise.all(
			['Dana', 'Sam'].map((name) =>
				server.api('POST', '/v1/chat', {
					agentId: 'lead-qualifier',
					text: `Hi, I'm ${name}. Our budget is $25,000, we'd like to launch within 1 month; please book a call tomorrow`,
				}),
			),
		);
		for (const chat of chats) {
			expect(chat.status).toBe(200);
			for (const a of chat.body.actions) if (a.fired) fired.push(a.eventId);
		}
		expect(fired.length).toBeGreaterThanOrEqual(2);
		const pending = (await server.api('GET', '/v1/deliveries?status=pending')).body.data;
		expect(pending.map((d: { eventId: string }) => d.eventId).sort()).toEqual([...fired].sort());
	});

	await waitFor(
		async () => (await server.api('GET', '/v1/deliveries/summary')).body.delivered === fired.length,
		120_000,
		'every event delivered after the restart',
	);
	const summary = (await server.api('GET', '/v1/deliveries/summary')).body;
	expect(summary).toMatchObject({ pending: 0, failed: 0, delivered: fired.length });

	// Give n8n time to run a duplicate, if there were one.
	await new Promise((r) => setTimeout(r, 3000));
	let runs: string[] = [];
	await waitFor(
		async () => {
			const executions = (await api.executions(workflowId)).filter((e) => e.status === 'success');
			runs = executions.map((e) => nodeOutput(e, 'Action Fired')[0]?.[0]?.eventId);
			return runs.length >= fired.length;
		},
		30_000,
		'the executions to be saved',
	);
	expect(runs.sort()).toEqual([...fired].sort());
	process.stdout.write(
		`\nDelivery across an n8n restart: events fired=${fired.length} delivered=${summary.delivered} pending=${summary.pending} failed=${summary.failed} workflow runs=${runs.length}\n`,
	);
}, 240_000);
