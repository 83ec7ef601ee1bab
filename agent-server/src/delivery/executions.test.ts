// Exactly once through n8n, on the server's side: one claim per delivery however many copies and instances ask, each
// effect of a workflow applied once per Idempotency-Key, and each delivery's n8n execution found (or found missing)
// through n8n's public API. The real n8n runs these in test/e2e; here both databases and several instances.
import { startFakeN8nApi } from '../testing/fake-n8n-api';
import { buildTestApp, startReceiver, type Receiver, type TestApp } from '../testing/harness';

jest.setTimeout(60_000);

describe('exactly once through n8n', () => {
	let t: TestApp;
	let other: TestApp | undefined;
	let receiver: Receiver;

	beforeEach(async () => {
		receiver = await startReceiver();
		t = await buildTestApp({ executions: { intervalMs: 0, lostAfterMs: 1_000 } });
	});
	afterEach(async () => {
		subscriptionId = undefined;
		await other?.close();
		other = undefined;
		await t.close();
		await receiver.close();
	});

	/** One fired action, one delivery to the subscription (the relay is off: the test plays n8n's side). */
	let subscriptionId: string | undefined;
	async function oneDelivery() {
		subscriptionId ??= (await t.call('POST', '/v1/subscriptions', { url: receiver.url, events: ['agent.action.triggered'] })).json().id as string;
		const chat = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring budget:9000' })).json();
		const [delivery] = (await t.call('GET', `/v1/deliveries?eventId=${chat.actions[0].eventId}`)).json().data;
		return { subscriptionId: subscriptionId!, deliveryId: delivery.id as string, eventId: chat.actions[0].eventId as string, conversationId: chat.conversation.id as string, contactId: chat.contact.id as string };
	}
	const claim = (app: TestApp, deliveryId: string, subscriptionId: string, workflowId = 'wf1') =>
		app.call('POST', `/v1/deliveries/${deliveryId}/claim`, { subscriptionId, workflowId, workflowName: 'Lead Scoring' });

	it('grants exactly one claim of a delivery when many copies ask at once through two instances', async () => {
		const d = await oneDelivery();
		other = await buildTestApp({ ...t.database, executions: { intervalMs: 0 } });
		const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => claim(i % 2 ? other! : t, d.deliveryId, d.subscriptionId)));
		expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(200));
		expect(answers.filter((a) => a.json().claimed === true)).toHaveLength(1);
		// A copy arriving later (a replay byte for byte, a retry after a lost answer) is still refused.
		expect((await claim(t, d.deliveryId, d.subscriptionId)).json()).toMatchObject({ claimed: false });
		const [listed] = (await t.call('GET', `/v1/deliveries?eventId=${d.eventId}`)).json().data;
		expect(listed.execution).toMatchObject({ state: 'claimed', workflowId: 'wf1', workflowName: 'Lead Scoring' });
		const timeline = (await t.call('GET', `/v1/conversations/${d.conversationId}`)).json().timeline;
		expect(timeline.filter((e: { kind: string }) => e.kind === 'execution')).toEqual([
			expect.objectContaining({ detail: expect.objectContaining({ state: 'claimed', deliveryId: d.deliveryId, workflowName: 'Lead Scoring' }) }),
		]);
	});

	it('refuses a claim of an unknown delivery, of another subscription, or with a bad body, and changes nothing', async () => {
		const d = await oneDelivery();
		expect((await claim(t, 'dlv_unknown', d.subscriptionId)).statusCode).toBe(404);
		expect((await claim(t, d.deliveryId, 'sub_other')).statusCode).toBe(404);
		const bad = await t.call('POST', `/v1/deliveries/${d.deliveryId}/claim`, { subscriptionId: d.subscriptionId, workflowId: 'has spaces' });
		expect(bad.statusCode).toBe(400);
		expect(bad.json().message).toMatch(/workflowId/);
		expect((await claim(t, d.deliveryId, d.subscriptionId)).json()).toMatchObject({ claimed: true });
	});

	it('links an action node call to the execution of the delivery its workflow claimed, with a link into the editor', async () => {
		const d = await oneDelivery();
		await claim(t, d.deliveryId, d.subscriptionId);
		const headers = {
			'x-agent-bridge-causation': d.eventId,
			'x-agent-bridge-execution': '4711',
			'x-agent-bridge-workflow': 'wf1',
			'x-agent-bridge-workflow-name': encodeURIComponent('Lead Scoring ✓'),
			'x-agent-bridge-execution-mode': 'webhook',
		};
		expect((await t.call('POST', `/v1/contacts/${d.contactId}/tags`, { tags: ['hot_lead'] }, headers)).statusCode).toBe(200);
		const executions = (await t.call('GET', `/v1/executions?eventId=${d.eventId}`)).json().data;
		expect(executions).toEqual([
			expect.objectContaining({
				executionId: '4711',
				workflowId: 'wf1',
				workflowName: 'Lead Scoring ✓',
				deliveryId: d.deliveryId,
				status: 'running',
				url: `${new URL(receiver.url).origin}/workflow/wf1/executions/4711`,
			}),
		]);
		const [listed] = (await t.call('GET', `/v1/deliveries?eventId=${d.eventId}`)).json().data;
		expect(listed.execution.state).toBe('running');
		// A call that failed (4xx) names no execution that did anything.
		await t.call('POST', `/v1/contacts/ct_nope/tags`, { tags: ['x'] }, { ...headers, 'x-agent-bridge-execution': '4712' });
		expect((await t.call('GET', `/v1/executions?conversationId=${d.conversationId}`)).json().data.map((e: { executionId: string }) => e.executionId)).toEqual(['4711']);
	});

	it('applies a workflow reply once per Idempotency-Key, even when the repeats arrive at once through two instances', async () => {
		const d = await oneDelivery();
		other = await buildTestApp({ ...t.database, executions: { intervalMs: 0 } });
		const key = { 'idempotency-key': `n8n:${d.eventId}:reply-step` };
		const first = await t.call('POST', `/v1/conversations/${d.conversationId}/replies`, { text: 'Your score is 8' }, key);
		expect(first.statusCode).toBe(200);
		const repeats = await Promise.all(
			Array.from({ length: 6 }, (_, i) => (i % 2 ? other! : t).call('POST', `/v1/conversations/${d.conversationId}/replies`, { text: 'Your score is 8' }, key)),
		);
		for (const r of repeats) {
			expect(r.statusCode).toBe(200);
			expect(r.headers['idempotent-replayed']).toBe('true');
			expect(r.json()).toEqual(first.json());
		}
		const messages = (await t.call('GET', `/v1/conversations/${d.conversationId}`)).json().messages;
		expect(messages.filter((m: { text: string }) => m.text === 'Your score is 8')).toHaveLength(1);
		// The same key with another text is refused rather than silently dropped.
		expect((await t.call('POST', `/v1/conversations/${d.conversationId}/replies`, { text: 'other' }, key)).statusCode).toBe(422);
	});

	it('applies a score write and its tag once per key on the contact, and a different key applies again', async () => {
		const d = await oneDelivery();
		const score = (key: string) => t.call('POST', `/v1/contacts/${d.contactId}/score`, { writeToField: 'lead_score' }, { 'idempotency-key': key });
		const a = await score('k1');
		const b = await score('k1');
		expect(a.statusCode).toBe(200);
		expect(b.headers['idempotent-replayed']).toBe('true');
		const tag = (key: string) => t.call('POST', `/v1/contacts/${d.contactId}/tags`, { tags: ['hot_lead'] }, { 'idempotency-key': key });
		await tag('t1');
		await tag('t1');
		const timeline = (await t.call('GET', `/v1/conversations/${d.conversationId}`)).json().timeline;
		expect(timeline.filter((e: { kind: string; detail: { tag?: string } }) => e.kind === 'tag.added' && e.detail.tag === 'hot_lead')).toHaveLength(1);
		expect((await score('k2')).headers['idempotent-replayed']).toBeUndefined();
	});

	describe('with an n8n connection', () => {
		let n8n: Awaited<ReturnType<typeof startFakeN8nApi>>;
		beforeEach(async () => {
			n8n = await startFakeN8nApi('n8n_key');
		});
		afterEach(async () => n8n.close());

		it('keeps the n8n API key write-only and refuses a metadata address', async () => {
			expect((await t.call('GET', '/v1/n8n-connection')).statusCode).toBe(404);
			const put = await t.call('PUT', '/v1/n8n-connection', { url: n8n.url, apiKey: 'n8n_key' });
			expect(put.statusCode).toBe(200);
			const got = (await t.call('GET', '/v1/n8n-connection')).json();
			expect(got).toMatchObject({ url: n8n.url, hasApiKey: true });
			expect(JSON.stringify(got)).not.toContain('n8n_key');
			const refused = await t.call('PUT', '/v1/n8n-connection', { url: 'http://169.254.169.254/', apiKey: 'x' });
			expect(refused.statusCode).toBe(400);
			expect((await t.call('GET', '/v1/n8n-connection')).json().url).toBe(n8n.url);
			expect((await t.call('DELETE', '/v1/n8n-connection')).statusCode).toBe(204);
		});

		it('reads each claimed delivery’s execution from n8n: succeeded, failed with its error, and lost when n8n has none', async () => {
			await t.call('PUT', '/v1/n8n-connection', { url: n8n.url, apiKey: 'n8n_key' });
			const ok = await oneDelivery();
			const failed = await oneDelivery();
			const lost = await oneDelivery();
			for (const d of [ok, failed, lost]) await claim(t, d.deliveryId, d.subscriptionId);
			const at = new Date().toISOString();
			n8n.executions.push(
				{ id: '1', workflowId: 'wf1', status: 'success', startedAt: at, stoppedAt: at, deliveryId: ok.deliveryId },
				{ id: '2', workflowId: 'wf1', status: 'crashed', startedAt: at, stoppedAt: at, deliveryId: failed.deliveryId, error: 'worker gone' },
				// A re-run of the first from the editor is a later execution of the same delivery: listed, not its state.
				{ id: '3', workflowId: 'wf1', status: 'error', mode: 'retry', startedAt: at, stoppedAt: at, deliveryId: ok.deliveryId, error: 'rerun failed' },
			);
			const watch = t.app.agentBridge.executionWatch;
			await watch.runOnce();
			const state = async (d: { eventId: string }) => (await t.call('GET', `/v1/deliveries?eventId=${d.eventId}`)).json().data[0].execution.state;
			expect(await state(ok)).toBe('succeeded');
			expect(await state(failed)).toBe('failed');
			// Not yet past the window: not lost yet.
			expect(await state(lost)).toBe('claimed');
			expect(n8n.requests.every((u) => u.includes('includeData=true') && u.includes('workflowId=wf1'))).toBe(true);

			await new Promise((r) => setTimeout(r, 1_100));
			await watch.runOnce();
			expect(await state(lost)).toBe('lost');
			const listedLost = (await t.call('GET', '/v1/deliveries?execution=lost')).json().data;
			expect(listedLost.map((d: { id: string }) => d.id)).toEqual([lost.deliveryId]);
			const okExecutions = (await t.call('GET', `/v1/executions?eventId=${ok.eventId}`)).json().data;
			expect(okExecutions.map((e: { executionId: string; status: string }) => [e.executionId, e.status])).toEqual([
				['1', 'success'],
				['3', 'error'],
			]);
			expect(okExecutions[0].url).toBe(`${n8n.url}/workflow/wf1/executions/1`);
			const failedTimeline = (await t.call('GET', `/v1/conversations/${failed.conversationId}`)).json().timeline;
			expect(failedTimeline.filter((e: { kind: string }) => e.kind === 'execution').at(-1).detail).toMatchObject({ state: 'failed', error: 'worker gone', executionId: '2' });

			// A lost delivery redelivered once (new webhook-id) starts its workflow again.
			const replay = (await t.call('POST', `/v1/deliveries/${lost.deliveryId}/replay`)).json();
			expect(replay.resent).toHaveLength(1);
			expect(replay.resent[0]).not.toBe(lost.deliveryId);
			expect((await claim(t, replay.resent[0], lost.subscriptionId)).json().claimed).toBe(true);
		});

		it('follows an execution by its id once linked, after n8n replaced its data with the error (a worker died)', async () => {
			await t.call('PUT', '/v1/n8n-connection', { url: n8n.url, apiKey: 'n8n_key' });
			const d = await oneDelivery();
			await claim(t, d.deliveryId, d.subscriptionId);
			const at = new Date().toISOString();
			n8n.executions.push({ id: '7', workflowId: 'wf1', status: 'running', startedAt: at, deliveryId: d.deliveryId });
			const watch = t.app.agentBridge.executionWatch;
			await watch.runOnce();
			const state = async () => (await t.call('GET', `/v1/deliveries?eventId=${d.eventId}`)).json().data[0].execution.state;
			expect(await state()).toBe('running');
			// The queue job failed: n8n keeps the execution with its error only, the trigger's item gone.
			n8n.executions.splice(0, 1, { id: '7', workflowId: 'wf1', status: 'error', startedAt: at, stoppedAt: at, error: 'This execution failed to be processed too many times and will no longer retry.' });
			await new Promise((r) => setTimeout(r, 1_100));
			await watch.runOnce();
			expect(await state()).toBe('failed');
		});

		it('marks nothing lost while n8n’s API does not answer, and says why on the connection', async () => {
			await t.call('PUT', '/v1/n8n-connection', { url: n8n.url, apiKey: 'n8n_key' });
			const d = await oneDelivery();
			await claim(t, d.deliveryId, d.subscriptionId);
			n8n.setDown(true);
			await new Promise((r) => setTimeout(r, 1_100));
			await t.app.agentBridge.executionWatch.runOnce();
			expect((await t.call('GET', `/v1/deliveries?eventId=${d.eventId}`)).json().data[0].execution.state).toBe('claimed');
			expect((await t.call('GET', '/v1/n8n-connection')).json().lastError).toMatch(/n8n answered 503: n8n is starting/);
		});
	});
});
