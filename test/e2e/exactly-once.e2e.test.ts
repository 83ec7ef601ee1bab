// Exactly once through a real n8n 2.40.7, in regular mode and in queue mode (main, one worker, two webhook
// processes behind a round-robin proxy, Redis, PostgreSQL): a delivery starts one execution whatever copies of it
// reach n8n (a replay byte for byte, a retry after a lost answer, two copies at the same instant), effects of a second
// execution for the same event apply once, and a worker killed mid-burst leaves executions the server marks and
// redelivers.
import { countExecutions, executionsByStatus, waitForStableExecutions } from './support/executions';
import { N8nApi, nodeOutput, packedTarball, waitFor, type Execution } from './support/n8n';
import { startQueueModeN8n, startRegularN8nBehindProxy, FAST_STALL_DETECTION, type N8nBehindProxy, type QueueModeN8n } from './support/queue-mode';
import { startAgentServer, type RunningAgentServer } from './support/agent-server';
import { bridgeCredential, readWorkflow, waitForSubscriptions } from './support/scenario';
import type { RecordedRequest } from './support/round-robin-proxy';

jest.setTimeout(600_000);

const METRICS_TOKEN = 'metrics-e2e-token';

/** A Tag Added Trigger for `tag` and, after `waitSeconds`, a Contact node that adds `<tag>-done` (an effect). */
function tagWorkflow(name: string, tag: string, credentialId: string, waitSeconds = 0) {
	const credentials = { agentBridgeApi: { id: credentialId, name: 'Agent Bridge API' } };
	const nodes: any[] = [
		{
			parameters: { tags: [tag], agentId: '', addedBy: '' },
			id: '11111111-0000-4000-8000-000000000001',
			name: 'Tag Added',
			type: 'n8n-nodes-agent-bridge.tagAddedTrigger',
			typeVersion: 1,
			position: [0, 0],
			webhookId: `e2e-${tag}`,
			credentials,
		},
		{
			parameters: { resource: 'contact', operation: 'addTags', contactId: '={{ $json.contactId }}', tags: `${tag}-done` },
			id: '11111111-0000-4000-8000-000000000003',
			name: 'Mark Done',
			type: 'n8n-nodes-agent-bridge.agentBridgeContact',
			typeVersion: 1,
			position: [400, 0],
			credentials,
		},
	];
	const connections: any = {};
	if (waitSeconds > 0) {
		nodes.push({
			parameters: { amount: waitSeconds, unit: 'seconds' },
			id: '11111111-0000-4000-8000-000000000002',
			name: 'Slow Step',
			type: 'n8n-nodes-base.wait',
			typeVersion: 1.1,
			position: [200, 0],
			webhookId: `e2e-wait-${tag}`,
		});
		connections['Tag Added'] = { main: [[{ node: 'Slow Step', type: 'main', index: 0 }]] };
		connections['Slow Step'] = { main: [[{ node: 'Mark Done', type: 'main', index: 0 }]] };
	} else {
		connections['Tag Added'] = { main: [[{ node: 'Mark Done', type: 'main', index: 0 }]] };
	}
	return { name, nodes, connections, settings: { executionOrder: 'v1' } };
}

async function newContact(server: RunningAgentServer, n: number): Promise<string> {
	const res = await server.api('POST', '/v1/contacts', { email: `burst${n}-${Date.now()}@example.com` });
	expect(res.status).toBe(201);
	return res.body.id;
}

async function addTag(server: RunningAgentServer, contactId: string, tag: string): Promise<void> {
	const res = await server.api('POST', `/v1/contacts/${contactId}/tags`, { tags: [tag] });
	expect(res.status).toBe(200);
}

async function deliveries(server: RunningAgentServer, query = ''): Promise<any[]> {
	return (await server.api('GET', `/v1/deliveries?limit=1000${query}`)).body.data;
}

const isDelivery = (r: RecordedRequest) => r.method === 'POST' && r.rawHeaders.some((h) => h.toLowerCase() === 'webhook-id');
const webhookIdOf = (r: RecordedRequest) => r.rawHeaders[r.rawHeaders.findIndex((h) => h.toLowerCase() === 'webhook-id') + 1];

interface Setup {
	server: RunningAgentServer;
	api: N8nApi;
	/** n8n's address and public-API key, for counting its executions. */
	n8n: { url: string; apiKey: string };
	credentialId: string;
}

async function setUp(n8n: { url: string; apiKey: string }): Promise<Setup> {
	const server = await startAgentServer({
		RELAY_RETRY_SCHEDULE_MS: '0,1000,2000,4000,8000,15000,30000',
		RELAY_PROBE_BASE_MS: '500',
		RELAY_PROBE_MAX_MS: '2000',
		RELAY_EXECUTION_LOST_AFTER_MS: '20000',
		RELAY_EXECUTION_CHECK_MS: '2000',
		METRICS_TOKEN,
		RATE_LIMIT_PER_MINUTE: '0',
	});
	const api = new N8nApi(n8n);
	const credential = await bridgeCredential(api, server);
	// The server reads each delivery's execution from n8n's public API.
	expect((await server.api('PUT', '/v1/n8n-connection', { url: n8n.url, apiKey: n8n.apiKey })).status).toBe(200);
	return { server, api, n8n: { url: n8n.url, apiKey: n8n.apiKey }, credentialId: credential.id };
}

async function activate(s: Setup, workflow: ReturnType<typeof tagWorkflow>, subscriptions: number): Promise<string> {
	const { id } = await s.api.importWorkflow(workflow);
	await s.api.activate(id);
	await waitForSubscriptions(s.server, subscriptions);
	return id;
}

describe('regular mode: one n8n behind a balancer', () => {
	let n8n: N8nBehindProxy;
	let s: Setup;
	let workflowId: string;

	beforeAll(async () => {
		n8n = await startRegularN8nBehindProxy(packedTarball(), 'n8n-exactly-once');
		s = await setUp(n8n);
		workflowId = await activate(s, tagWorkflow('Exactly once', 'once', s.credentialId), 1);
	});
	afterAll(async () => {
		await s?.server.stop();
		await n8n?.stop();
	});

	it('one event starts one execution, and the same delivery replayed byte for byte later still starts none', async () => {
		const contactId = await newContact(s.server, 0);
		await addTag(s.server, contactId, 'once');
		await waitForStableExecutions(s.n8n, workflowId, { atLeast: 1, stableForMs: 3_000 });
		const sent = n8n.proxy.recorded.filter(isDelivery);
		expect(sent).toHaveLength(1);
		// 20 s later, the captured request again (inside the signature's 5 minute tolerance): answered, nothing runs.
		await new Promise((r) => setTimeout(r, 20_000));
		const again = await n8n.proxy.sendTo(0, sent[0]);
		expect(again.status).toBe(200);
		await waitForStableExecutions(s.n8n, workflowId, { atLeast: 1, stableForMs: 5_000 });
		expect(await countExecutions(s.n8n, workflowId)).toBe(1);
		expect((await s.server.api('GET', `/v1/contacts/${contactId}`)).body.tags).toContain('once-done');
		// The execution is linked on the delivery, read from n8n.
		const [delivery] = (await deliveries(s.server)).filter((d) => d.id === webhookIdOf(sent[0]));
		await waitFor(async () => (await deliveries(s.server)).find((d) => d.id === delivery.id)?.execution?.state === 'succeeded', 30_000, 'the execution read from n8n');
		const executions = (await s.server.api('GET', `/v1/executions?eventId=${delivery.eventId}`)).body.data;
		expect(executions).toEqual([expect.objectContaining({ workflowId, status: 'success', url: expect.stringMatching(new RegExp(`/workflow/${workflowId}/executions/\\d+$`)) })]);
	});

	it('a burst of 200 events with 10% of n8n’s answers lost runs exactly 200 executions', async () => {
		const before = await countExecutions(s.n8n, workflowId);
		n8n.proxy.reset();
		let seen = 0;
		// Every tenth answer is lost after n8n answered it: the server retries those.
		n8n.proxy.dropWhen((r) => isDelivery(r) && ++seen % 10 === 0);
		const everyone: string[] = [];
		for (let i = 0; i < 200; i += 20) everyone.push(...(await Promise.all(Array.from({ length: 20 }, (_, j) => newContact(s.server, 100 + i + j)))));
		// 200 events, 20 at a time.
		for (let i = 0; i < everyone.length; i += 20) await Promise.all(everyone.slice(i, i + 20).map((c) => addTag(s.server, c, 'once')));
		await waitFor(async () => (await deliveries(s.server, '&status=pending')).length === 0, 240_000, 'every delivery to be delivered');
		n8n.proxy.dropWhen(undefined);
		const settled = await waitForStableExecutions(s.n8n, workflowId, { atLeast: before + 200, stableForMs: 10_000, timeoutMs: 300_000 });
		expect(settled.total - before).toBe(200);
		expect(n8n.proxy.recorded.filter((r) => r.dropped).length).toBeGreaterThanOrEqual(20);
		const failed = await deliveries(s.server, '&status=failed');
		expect(failed).toEqual([]);
	});

	it('a second execution of the shipped lead-scoring workflow for the same event writes one score and one tag', async () => {
		const lead = readWorkflow('lead-scoring.json', { CREDENTIAL_ID: s.credentialId });
		const leadId = await activate(s, lead as any, 2);
		const first = (await s.server.api('POST', '/v1/chat', { agentId: 'lead-qualifier', text: "Hi, I'm Dana and I need a new website" })).body;
		const second = (await s.server.api('POST', '/v1/chat', { agentId: 'lead-qualifier', conversationId: first.conversation.id, text: 'Our budget is $25,000 and we want to launch within 1 month' })).body;
		const fired = second.actions.find((a: any) => a.actionId === 'lead_scoring');
		expect(fired).toMatchObject({ fired: true });
		await waitForStableExecutions(s.n8n, leadId, { atLeast: 1, stableForMs: 3_000 });
		const [delivery] = (await deliveries(s.server, `&eventId=${fired.eventId}`));
		// Redelivered under a new webhook-id: n8n runs the whole workflow again for the same event.
		const replay = (await s.server.api('POST', `/v1/deliveries/${delivery.id}/replay`)).body;
		expect(replay.resent).toHaveLength(1);
		const settled = await waitForStableExecutions(s.n8n, leadId, { atLeast: 2, stableForMs: 5_000 });
		expect(settled.byStatus).toEqual({ success: 2 });
		const runs = (await s.api.executions(leadId)) as Execution[];
		const scores = runs.map((e) => nodeOutput(e, 'Score Lead')[0][0]);
		expect(scores[0]).toEqual(scores[1]);
		const conversation = (await s.server.api('GET', `/v1/conversations/${first.conversation.id}`)).body;
		const tagAdds = conversation.timeline.filter((e: any) => e.kind === 'tag.added' && /_lead$/.test(e.detail.tag));
		expect(tagAdds).toHaveLength(1);
		const executions = (await s.server.api('GET', `/v1/executions?eventId=${fired.eventId}`)).body.data;
		expect(executions.map((e: any) => e.workflowId)).toEqual([leadId, leadId]);
		await s.api.deactivate(leadId);
	});
});

describe('queue mode: main, a worker and two webhook processes behind a balancer', () => {
	let n8n: QueueModeN8n;
	let s: Setup;

	beforeAll(async () => {
		n8n = await startQueueModeN8n({ tarball: packedTarball(), webhookProcesses: 2, workers: 1, env: FAST_STALL_DETECTION });
		s = await setUp(n8n);
	});
	afterAll(async () => {
		await s?.server.stop();
		await n8n?.stop();
	});

	it('the same delivery at both webhook processes at the same instant, and again later, starts one execution', async () => {
		const workflowId = await activate(s, tagWorkflow('Twice at once', 'twin', s.credentialId), 1);
		await new Promise((r) => setTimeout(r, 3_000));
		// Hold the first attempt: the balancer has no backend, so the server's request is recorded and answered 502.
		const backends = [...n8n.webhooks.map((w) => w.url)];
		n8n.proxy.setBackends(['http://127.0.0.1:9']);
		const contactId = await newContact(s.server, 1);
		await addTag(s.server, contactId, 'twin');
		await waitFor(async () => n8n.proxy.recorded.some(isDelivery), 30_000, 'the first attempt');
		const captured = n8n.proxy.recorded.find(isDelivery)!;
		n8n.proxy.setBackends(backends);
		const answers = await Promise.all([n8n.proxy.sendTo(0, captured), n8n.proxy.sendTo(1, captured)]);
		expect(answers.map((a) => a.status)).toEqual([200, 200]);
		await waitFor(async () => (await deliveries(s.server, '&status=pending')).length === 0, 60_000, 'the server’s own retry');
		for (const index of [0, 1]) expect((await n8n.proxy.sendTo(index, captured)).status).toBe(200);
		const settled = await waitForStableExecutions(s.n8n, workflowId, { atLeast: 1, stableForMs: 8_000 });
		expect(settled).toEqual({ total: 1, byStatus: { success: 1 } });
		await s.api.deactivate(workflowId);
	});

	it('a worker killed mid-burst: its executions are marked on the timeline and in /metrics, and redelivery completes each once', async () => {
		const workflowId = await activate(s, tagWorkflow('Slow', 'slow', s.credentialId, 6), 1);
		await new Promise((r) => setTimeout(r, 3_000));
		const contacts = await Promise.all(Array.from({ length: 30 }, (_, i) => newContact(s.server, 500 + i)));
		await Promise.all(contacts.map((c) => addTag(s.server, c, 'slow')));
		// Kill the worker while executions wait in their slow step, start it again a few seconds later.
		await waitFor(async () => ((await executionsByStatus(s.n8n, workflowId)).running ?? 0) >= 3, 120_000, 'executions running on the worker');
		const killedAt = Date.now();
		await n8n.workers[0].kill('SIGKILL');
		await new Promise((r) => setTimeout(r, 3_000));
		await n8n.workers[0].restart();
		await waitFor(async () => (await deliveries(s.server, '&status=pending')).length === 0, 120_000, 'every delivery to be answered');
		const settled = await waitForStableExecutions(s.n8n, workflowId, { atLeast: 30, stableForMs: 8_000, timeoutMs: 240_000 });
		const broken = settled.total - (settled.byStatus.success ?? 0);
		expect(broken).toBeGreaterThan(0);

		// Within a minute of n8n knowing, the server lists each of them, counts them and puts them on the timeline.
		const states = async () => {
			const mine = (await deliveries(s.server)).filter((d) => d.execution?.workflowId === workflowId);
			const by: Record<string, number> = {};
			for (const d of mine) by[d.execution.state] = (by[d.execution.state] ?? 0) + 1;
			return { mine, by };
		};
		let seen = await states();
		await waitFor(
			async () => {
				seen = await states();
				return (seen.by.failed ?? 0) + (seen.by.lost ?? 0) === broken && (seen.by.succeeded ?? 0) === settled.byStatus.success;
			},
			90_000,
			'the broken executions to be marked',
		).catch(() => undefined);
		expect({ n8n: settled.byStatus, server: seen.by }).toEqual({
			n8n: settled.byStatus,
			server: expect.objectContaining({ succeeded: settled.byStatus.success ?? 0 }),
		});
		expect({ n8n: settled.byStatus, bad: (seen.by.failed ?? 0) + (seen.by.lost ?? 0), server: seen.by }).toEqual({ n8n: settled.byStatus, bad: broken, server: seen.by });
		const bad = seen.mine.filter((d) => d.execution.state === 'failed' || d.execution.state === 'lost');
		const timeline = (await s.server.api('GET', `/v1/executions?eventId=${bad[0].eventId}`)).body.data;
		expect(timeline.length).toBeGreaterThanOrEqual(1);
		const metrics = await fetch(`${s.server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((r) => r.text());
		const counted = [...metrics.matchAll(/^agent_bridge_delivery_executions\{state="(failed|lost)"\} (\d+)/gm)].reduce((n, m) => n + Number(m[2]), 0);
		expect(counted).toBeGreaterThanOrEqual(broken);

		// One redelivery each completes the chain once: every contact ends up with the effect, each event ran once more.
		for (const d of bad) expect((await s.server.api('POST', `/v1/deliveries/${d.id}/replay`)).body.resent).toHaveLength(1);
		const after = await waitForStableExecutions(s.n8n, workflowId, { atLeast: 30 + broken, stableForMs: 10_000, timeoutMs: 240_000 });
		expect(after.byStatus.success).toBe(30);
		for (const c of contacts) expect((await s.server.api('GET', `/v1/contacts/${c}`)).body.tags).toContain('slow-done');
	});
});
