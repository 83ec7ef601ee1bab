// Every event's n8n execution where people look: the inspector's timeline and the inbox show each workflow run with a
// link into n8n's editor (from the action nodes' calls alone, and read from n8n with an n8n connection), and Manage
// lists an execution n8n lost with a one-click redelivery. The receiver plays the trigger node's side: it claims each
// delivery at the server and calls back as an action node does, with its execution's headers.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { loadAgents } from '../../agent-server/src/agents/agent-files';
import { createOfflineEngine } from '../../agent-server/src/engine/offline';
import { startFakeN8nApi } from '../../agent-server/src/testing/fake-n8n-api';
import { buildTestApp, waitUntil, type TestApp } from '../../agent-server/src/testing/harness';
import { consolePage, launchBrowser, listen } from './support/console';

jest.setTimeout(120_000);

let t: TestApp;
let server: string;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let receiver: Server;
let receiverUrl: string;
let n8nApi: Awaited<ReturnType<typeof startFakeN8nApi>>;
let executionNo = 100;
/** Deliveries the trigger took without calling back (its execution "never started"). */
let callBack = true;
const claimed: { deliveryId: string; executionId: string }[] = [];

beforeAll(async () => {
	receiver = createServer((req, res) => {
		let body = '';
		req.on('data', (c: Buffer) => (body += c));
		req.on('end', async () => {
			if (req.method !== 'POST') return void res.writeHead(204).end();
			const deliveryId = String(req.headers['webhook-id']);
			const envelope = JSON.parse(body);
			const subscriptionId = (await t.call('GET', '/v1/subscriptions')).json().data[0].id;
			const claim = (await t.call('POST', `/v1/deliveries/${deliveryId}/claim`, { subscriptionId, workflowId: 'wfEnd', workflowName: 'Post-conversation follow-up' })).json();
			res.writeHead(200).end();
			if (!claim.claimed) return;
			const executionId = String(executionNo++);
			claimed.push({ deliveryId, executionId });
			if (!callBack) return;
			await t.call('POST', `/v1/contacts/${envelope.contact.id}/tags`, { tags: ['followed_up'] }, {
				'x-agent-bridge-causation': envelope.id,
				'x-agent-bridge-execution': executionId,
				'x-agent-bridge-workflow': 'wfEnd',
				'x-agent-bridge-workflow-name': encodeURIComponent('Post-conversation follow-up'),
				'x-agent-bridge-execution-mode': 'webhook',
			});
		});
	});
	await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
	receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhook/ended`;
	n8nApi = await startFakeN8nApi('n8n_key');
	t = await buildTestApp({
		agents: loadAgents(),
		engine: createOfflineEngine(),
		relay: { pollIntervalMs: 20 },
		executions: { intervalMs: 300, lostAfterMs: 1_500 },
		conversations: { sweepIntervalMs: 0 },
	});
	server = await listen(t.app);
	browser = await launchBrowser();
	expect((await t.call('POST', '/v1/subscriptions', { url: receiverUrl, events: ['conversation.ended'] })).statusCode).toBe(201);
});

afterAll(async () => {
	await browser?.close();
	await t?.close();
	await n8nApi?.close();
	await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

async function endedConversation(): Promise<{ conversationId: string; eventId: string }> {
	const chat = (await t.call('POST', '/v1/chat', { agentId: 'lead-qualifier', text: 'Hi, I need a new website' })).json();
	const ended = (await t.call('POST', `/v1/conversations/${chat.conversation.id}/end`, { outcome: 'browsing' })).json();
	expect(ended.ending).toBeDefined();
	const eventId = (await t.call('GET', '/v1/deliveries')).json().data.at(-1).eventId as string;
	return { conversationId: chat.conversation.id, eventId };
}

async function inspectorTimeline(conversationId: string): Promise<Page> {
	const page = await browser.context.newPage();
	await page.goto(`${server}/inspector`);
	await page.getByLabel('API key').fill(t.apiKey);
	await page.getByRole('button', { name: 'Connect' }).click();
	await page.getByRole('button', { name: new RegExp(conversationId) }).click();
	return page;
}

test('without an n8n connection, the inspector and the inbox show the run its action node reported, linked to n8n', async () => {
	const { conversationId } = await endedConversation();
	await waitUntil(async () => (await t.call('GET', `/v1/executions?conversationId=${conversationId}`)).json().data.length === 1, 20_000, 'the run to be reported');
	const { executionId } = claimed.at(-1)!;
	const link = `${new URL(receiverUrl).origin}/workflow/wfEnd/executions/${executionId}`;

	const page = await inspectorTimeline(conversationId);
	const entry = page.getByRole('list', { name: 'Timeline' }).locator('[data-kind="execution"]', { hasText: 'n8n execution running' });
	await entry.waitFor();
	expect(await entry.textContent()).toContain(`workflow Post-conversation follow-up · execution ${executionId}`);
	expect(await entry.getByRole('link', { name: 'open in n8n' }).getAttribute('href')).toBe(link);
	await page.close();

	const inbox = await browser.context.newPage();
	await inbox.goto(`${server}/console?conversation=${conversationId}`);
	await inbox.waitForURL(/\/console\/login/);
	await inbox.getByLabel('API key').fill(t.apiKey);
	await inbox.getByLabel('Your name').fill('Dana');
	await inbox.getByRole('button', { name: 'Log in' }).click();
	// The login brings the person back to the conversation they opened.
	await inbox.waitForURL(`${server}/console?conversation=${conversationId}`);
	const run = inbox.locator('li[data-kind="execution"]', { hasText: 'running in n8n' });
	await run.waitFor();
	expect(await run.getByRole('link', { name: `execution ${executionId}` }).getAttribute('href')).toBe(link);
	await inbox.close();
});

test('with an n8n connection, a run n8n finished shows as succeeded, and one n8n never ran is lost and redelivered from Manage', async () => {
	expect((await t.call('PUT', '/v1/n8n-connection', { url: n8nApi.url, apiKey: 'n8n_key' })).statusCode).toBe(200);
	const ok = await endedConversation();
	await waitUntil(async () => claimed.length > 0 && (await t.call('GET', `/v1/executions?conversationId=${ok.conversationId}`)).json().data.length === 1, 20_000, 'the run');
	const done = claimed.at(-1)!;
	const at = new Date().toISOString();
	n8nApi.executions.push({ id: done.executionId, workflowId: 'wfEnd', status: 'success', startedAt: at, stoppedAt: at, deliveryId: done.deliveryId });

	const page = await inspectorTimeline(ok.conversationId);
	const succeeded = page.getByRole('list', { name: 'Timeline' }).locator('[data-kind="execution"]', { hasText: 'n8n execution succeeded' });
	await succeeded.waitFor({ timeout: 30_000 }).catch(async () => {
		await page.reload();
		await page.getByRole('button', { name: new RegExp(ok.conversationId) }).click();
		await succeeded.waitFor();
	});
	expect(await succeeded.getByRole('link', { name: 'open in n8n' }).getAttribute('href')).toBe(`${n8nApi.url}/workflow/wfEnd/executions/${done.executionId}`);
	await page.close();

	// The next one n8n takes but never runs (no call back, nothing in n8n's record).
	callBack = false;
	const lost = await endedConversation();
	await waitUntil(async () => (await t.call('GET', '/v1/deliveries?execution=lost')).json().data.length === 1, 30_000, 'the delivery to be marked lost');
	const [lostDelivery] = (await t.call('GET', '/v1/deliveries?execution=lost')).json().data;
	expect(lostDelivery.eventId).toBe(lost.eventId);
	callBack = true;

	const manage = await consolePage(browser.context, server, t.apiKey, '/console/manage');
	const row = manage.getByRole('table', { name: 'Failed deliveries and n8n executions' }).locator('tbody tr', { hasText: lost.eventId });
	expect(await row.textContent()).toContain('n8n execution lost (workflow Post-conversation follow-up)');
	const before = claimed.length;
	await row.getByRole('button', { name: `Redeliver delivery ${lostDelivery.id}` }).click();
	await waitUntil(() => claimed.length === before + 1, 20_000, 'the redelivery to reach the workflow');
	expect(claimed.at(-1)!.deliveryId).not.toBe(lostDelivery.id);
	await waitUntil(async () => (await t.call('GET', `/v1/executions?conversationId=${lost.conversationId}`)).json().data.length === 1, 20_000, 'the redelivered run');
	await manage.close();
});
