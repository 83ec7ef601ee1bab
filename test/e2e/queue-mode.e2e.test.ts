// n8n in queue mode (main, one worker, two webhook processes behind the round-robin proxy, PostgreSQL, Redis) runs
// a plain Webhook workflow once per request, survives a lost response, shows what a killed worker leaves behind,
// and leaves nothing behind itself once stopped.
import { existsSync } from 'node:fs';
import { countExecutions, executionsByStatus, waitForStableExecutions } from './support/executions';
import { N8nApi, packedTarball } from './support/n8n';
import { databaseExists, redisKeys, startQueueModeN8n, type QueueModeN8n } from './support/queue-mode';

let qm: QueueModeN8n;
let api: N8nApi;

/** An active workflow with only n8n's own Webhook node (answers on receipt), at /webhook/<path>. */
async function webhookWorkflow(path: string, webhookId: string): Promise<string> {
	const workflow = await api.importWorkflow({
		name: `Queue mode ${path}`,
		nodes: [
			{
				parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
				id: webhookId,
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId,
			},
		],
		connections: {},
	});
	await api.activate(workflow.id);
	// n8n needs a moment before its webhook processes serve a newly activated webhook (see queue-mode.ts).
	await new Promise((r) => setTimeout(r, 3_000));
	return workflow.id;
}

function post(path: string, body: unknown): Promise<number> {
	return fetch(`${qm.proxy.url}/webhook/${path}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body),
	}).then((res) => res.status);
}

/** Sends `count` requests, `parallel` at a time; `afterEach(i)` runs after each answer. */
async function burst(path: string, count: number, parallel: number, afterEach?: (answered: number) => Promise<void> | void) {
	const statuses: (number | string)[] = [];
	let next = 0;
	await Promise.all(
		Array.from({ length: parallel }, async () => {
			while (next < count) {
				const i = next++;
				statuses[i] = await post(path, { i }).catch((error: Error) => error.message);
				await afterEach?.(statuses.filter((s) => s !== undefined).length);
			}
		}),
	);
	return statuses;
}

beforeAll(async () => {
	qm = await startQueueModeN8n({ tarball: packedTarball(), webhookProcesses: 2, workers: 1 });
	api = new N8nApi(qm);
}, 300_000);

afterAll(async () => {
	await qm?.stop();
}, 120_000);

test('twenty requests through the balancer run twenty executions on the worker, spread over both webhook processes', async () => {
	const workflowId = await webhookWorkflow('qm-smoke', '6f1c1e52-2b43-4a7e-9a55-000000000001');
	qm.proxy.reset();

	const statuses = await burst('qm-smoke', 20, 4);

	expect(statuses).toEqual(Array(20).fill(200));
	expect(qm.proxy.counts).toEqual([10, 10]);
	const { total, byStatus } = await waitForStableExecutions(qm, workflowId, { atLeast: 20 });
	expect(total).toBe(20);
	expect(byStatus).toEqual({ success: 20 });
}, 180_000);

test('a response lost after n8n answered still ran its execution once', async () => {
	const workflowId = await webhookWorkflow('qm-drop', '6f1c1e52-2b43-4a7e-9a55-000000000002');
	qm.proxy.reset();
	qm.proxy.dropNextResponses(1);

	await expect(post('qm-drop', { lost: true })).rejects.toThrow();

	expect(qm.proxy.dropped).toHaveLength(1);
	expect(qm.proxy.dropped[0].status).toBe(200);
	const { byStatus } = await waitForStableExecutions(qm, workflowId, { atLeast: 1 });
	expect(byStatus).toEqual({ success: 1 });

	// The recorded delivery replayed byte for byte to each webhook process: today each copy runs again.
	await Promise.all([qm.proxy.sendTo(0, qm.proxy.dropped[0]), qm.proxy.sendTo(1, qm.proxy.dropped[0])]);
	expect((await waitForStableExecutions(qm, workflowId, { atLeast: 3 })).total).toBe(3);
}, 180_000);

test('a worker killed mid-burst: what n8n reports for the executions it was running', async () => {
	const workflowId = await webhookWorkflow('qm-kill', '6f1c1e52-2b43-4a7e-9a55-000000000003');
	const worker = qm.workers[0];
	let killedAt = 0;

	const statuses = await burst('qm-kill', 40, 5, async (answered) => {
		if (answered === 15 && !killedAt) {
			killedAt = Date.now();
			await worker.kill('SIGKILL');
		}
	});
	expect(statuses.filter((s) => s === 200)).toHaveLength(40); // the webhook processes answer before any worker runs
	const atKill = await executionsByStatus(qm, workflowId);
	await new Promise((r) => setTimeout(r, 3_000));
	await worker.restart();
	const restartedAfterMs = Date.now() - killedAt;

	const timeline: string[] = [`right after the burst: ${JSON.stringify(atKill)}`];
	let settled: { total: number; byStatus: Record<string, number> } | undefined;
	try {
		settled = await waitForStableExecutions(qm, workflowId, { atLeast: 1, stableForMs: 15_000, timeoutMs: 150_000 });
	} finally {
		timeline.push(`+${Date.now() - killedAt} ms after the kill: ${JSON.stringify(await executionsByStatus(qm, workflowId))}`);
		console.log(`worker restarted ${restartedAfterMs} ms after the kill\n${timeline.join('\n')}\ncrashed: ${await countExecutions(qm, workflowId, 'crashed')}`);
	}
	const { total, byStatus } = settled;

	// Every request got an execution row, and none is left new or running once n8n's stall check and recovery ran.
	expect(total).toBe(40);
	expect(byStatus.new ?? 0).toBe(0);
	expect(byStatus.running ?? 0).toBe(0);
}, 300_000);

test('stop removes the processes, the database, the Redis keys and the user folder', async () => {
	const { database, redisPrefix, userFolder, url } = qm;
	const proxyUrl = qm.proxy.url;
	expect(await databaseExists(database)).toBe(true);
	expect((await redisKeys(redisPrefix)).length).toBeGreaterThan(0);

	await qm.stop();

	expect(await databaseExists(database)).toBe(false);
	expect(await redisKeys(redisPrefix)).toEqual([]);
	expect(existsSync(userFolder)).toBe(false);
	await expect(fetch(`${url}/healthz`)).rejects.toThrow();
	await expect(fetch(`${proxyUrl}/`)).rejects.toThrow();
	expect([qm.main, ...qm.workers, ...qm.webhooks].map((p) => p.running)).toEqual([false, false, false, false]);
}, 120_000);
