// The agent server killed with SIGKILL between commit and send, and between send and marking delivered, then
// restarted on the same database: every event still arrives, and the workflow runs once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitUntil } from '../../agent-server/src/testing/harness';
import { assertInvariant, formatInvariant, type InvariantLine } from './support/invariant';
import { startNodeReceiver, type NodeReceiver } from './support/node-receiver';
import { startServerProcess, type ServerProcess } from './support/server-process';

jest.setTimeout(60_000);

describe('agent server killed mid-delivery', () => {
	const lines: InvariantLine[] = [];
	let dir: string;
	let receiver: NodeReceiver;
	let running: ServerProcess[] = [];
	const apiKey = `ab_fault_${Date.now()}`;

	beforeEach(async () => {
		dir = mkdtempSync(path.join(tmpdir(), 'agent-bridge-crash-'));
		receiver = await startNodeReceiver();
		running = [];
	});
	afterEach(async () => {
		for (const s of running) await s.kill('SIGKILL');
		await receiver.close();
		rmSync(dir, { recursive: true, force: true });
	});
	afterAll(() => process.stdout.write(formatInvariant(lines)));

	async function start(env: Record<string, string> = {}) {
		const s = await startServerProcess(dir, apiKey, env);
		running.push(s);
		return s;
	}

	/** Subscribes the receiver and commits three tag events; returns once they are in the outbox. */
	async function commitThreeEvents(server: ServerProcess) {
		const sub = await server.api('POST', '/v1/subscriptions', { url: receiver.url, events: ['contact.tag.added'] });
		// The trigger claims each delivery at whichever server instance is up (the one started last).
		receiver.useSubscription(sub.body, async (method, path, body) => {
			const res = await running[running.length - 1].api(method, path, body);
			return { statusCode: res.status, body: res.body };
		});
		const contact = await server.api('POST', '/v1/contacts', { firstName: 'Crash' });
		const tagged = await server.api('POST', `/v1/contacts/${contact.body.id}/tags`, { tags: ['a', 'b', 'c'] });
		expect(tagged.status).toBe(200);
	}

	async function crashAndRecover(point: 'before-send' | 'after-send') {
		const first = await start({ AGENT_BRIDGE_FAULT_PAUSE: point });
		await commitThreeEvents(first);
		const line = await first.waitForLog('"fault pause"');
		const pausedId = /"deliveryId":"([^"]+)"/.exec(line)?.[1] ?? '';
		await first.kill('SIGKILL');
		expect(receiver.acknowledged.has(pausedId)).toBe(point === 'after-send');

		const second = await start();
		await waitUntil(async () => (await second.api('GET', '/v1/deliveries/summary')).body.delivered === 3, 20_000, 'three delivered after restart');
		expect(receiver.acknowledged.has(pausedId)).toBe(true);
		expect(receiver.executions.get(pausedId)).toBe(1);
		const counts = (await second.api('GET', '/v1/deliveries/summary')).body;
		const list = (await second.api('GET', '/v1/deliveries')).body.data;
		return { pausedId, line: assertInvariant(`SIGKILL ${point}, restarted`, counts, list, receiver) };
	}

	it('killed between commit and send: the restarted server sends it', async () => {
		const { pausedId, line } = await crashAndRecover('before-send');
		// It was never sent before the crash: exactly one request carries its id. (A request that came while no server
		// was up for the trigger's claim is answered 500 and retried: it started nothing.)
		expect(receiver.requests.filter((r) => r.headers['webhook-id'] === pausedId && r.status !== 500)).toHaveLength(1);
		lines.push(line);
	});

	it('killed between send and marking delivered: sent again with the same webhook-id, run once', async () => {
		const { pausedId, line } = await crashAndRecover('after-send');
		expect(receiver.requests.filter((r) => r.headers['webhook-id'] === pausedId && r.status !== 500)).toHaveLength(2);
		lines.push(line);
	});
});
