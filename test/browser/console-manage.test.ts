// The Manage page: a delivery that failed while the workflow was down is replayed with one click and reaches the
// receiver (once, under its webhook-id); subscriptions show their health; agents show their validation errors; API
// keys are created and revoked; widget keys are created.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadAgents } from '../../agent-server/src/agents/agent-files';
import { createOfflineEngine } from '../../agent-server/src/engine/offline';
import { buildTestApp, waitUntil, type TestApp } from '../../agent-server/src/testing/harness';
import { consolePage, launchBrowser, listen } from './support/console';

jest.setTimeout(90_000);

let t: TestApp;
let server: string;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let receiver: Server;
let receiverUrl: string;
let status = 503;
const received: { id: string; type: string }[] = [];

beforeAll(async () => {
	// A workflow's webhook that is down (503) until the test brings it back.
	receiver = createServer((req, res) => {
		let body = '';
		req.on('data', (c: Buffer) => (body += c));
		req.on('end', () => {
			if (req.method === 'POST' && status === 200) received.push({ id: String(req.headers['webhook-id']), type: JSON.parse(body).type });
			res.writeHead(req.method === 'OPTIONS' && status === 200 ? 204 : status).end();
		});
	});
	await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
	receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhook/new-lead`;
	t = await buildTestApp({ agents: loadAgents(), engine: createOfflineEngine(), relay: { pollIntervalMs: 20, retryScheduleMs: [0, 10] }, conversations: { sweepIntervalMs: 0 } });
	server = await listen(t.app);
	browser = await launchBrowser();
});

afterAll(async () => {
	await browser?.close();
	await t?.close();
	await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

test('a failed delivery is replayed from the Manage page and reaches the workflow once, with its webhook-id', async () => {
	expect((await t.call('POST', '/v1/subscriptions', { url: receiverUrl, events: ['conversation.ended'] })).statusCode).toBe(201);
	const chat = (await t.call('POST', '/v1/chat', { agentId: 'lead-qualifier', text: 'Hi, I need a new website' })).json();
	expect((await t.call('POST', `/v1/conversations/${chat.conversation.id}/end`, { outcome: 'browsing' })).statusCode).toBe(200);
	await waitUntil(async () => (await t.call('GET', '/v1/deliveries/summary')).json().failed === 1, 10_000, 'the delivery to fail');
	const [failed] = (await t.call('GET', '/v1/deliveries?status=failed')).json().data;

	const page = await consolePage(browser.context, server, t.apiKey, '/console/manage');
	const subscriptions = page.getByRole('table', { name: 'Subscriptions' });
	expect(await subscriptions.locator('tbody tr td').nth(0).textContent()).toBe(receiverUrl);
	expect(await subscriptions.locator('.pill').textContent()).toMatch(/retrying|failing/);
	const row = page.getByRole('table', { name: 'Failed deliveries' }).locator('tbody tr');
	expect(await row.count()).toBe(1);
	expect(await row.textContent()).toContain('HTTP 503');

	status = 200;
	const replay = page.getByRole('button', { name: `Replay delivery ${failed.id}` });
	await replay.click();
	await replay.filter({ hasText: 'Queued' }).waitFor();
	expect(await replay.isDisabled()).toBe(true);
	await waitUntil(() => received.length === 1, 10_000, 'the replayed delivery');
	expect(received).toEqual([{ id: failed.id, type: failed.eventType }]);

	// The list refreshes: nothing failed any more, the destination is healthy.
	await page.locator('#no-failed').waitFor({ timeout: 10_000 });
	await subscriptions.locator('.pill', { hasText: 'healthy' }).waitFor();
	await page.waitForTimeout(300);
	expect(received).toHaveLength(1);
	await page.close();
});

test("a subscription's failed deliveries are replayed together from its row", async () => {
	status = 503;
	const before = received.length;
	for (const text of ['Hi, I need an app', 'Hi, I need a shop']) {
		const chat = (await t.call('POST', '/v1/chat', { agentId: 'lead-qualifier', text })).json();
		await t.call('POST', `/v1/conversations/${chat.conversation.id}/end`, { outcome: 'browsing' });
	}
	await waitUntil(async () => (await t.call('GET', '/v1/deliveries/summary')).json().failed === 2, 10_000, 'two failed deliveries');
	const failed = (await t.call('GET', '/v1/deliveries?status=failed')).json().data.map((d: { id: string }) => d.id);

	status = 200;
	const page = await consolePage(browser.context, server, t.apiKey, '/console/manage');
	await page.getByRole('button', { name: `Replay the failed deliveries to ${receiverUrl}` }).click();
	await page.getByRole('status').filter({ hasText: `2 failed deliveries to ${receiverUrl} queued again.` }).waitFor();
	await waitUntil(() => received.length === before + 2, 10_000, 'the replayed deliveries');
	expect(received.slice(before).map((r) => r.id).sort()).toEqual([...failed].sort());
	await page.locator('#no-failed').waitFor({ timeout: 10_000 });
	await page.close();
});

test('agents are listed with their validation errors', async () => {
	const workspaceId = (await t.call('GET', '/v1/workspace')).json().id;
	const at = new Date().toISOString();
	// A config stored before the schema changed: its action names a field the agent does not collect.
	const config = { id: 'old-desk', name: 'Old Desk', fields: [{ name: 'email', question: 'Email?', mapsTo: 'contact.email', extract: { kind: 'email' } }], actions: [{ id: 'send', name: 'Send', condition: { fieldsProvided: ['budget'] } }] };
	await t.app.agentBridge.store.db.insertInto('workspace_agents').values({ workspace_id: workspaceId, id: 'old-desk', config: JSON.stringify(config), idle_minutes: null, created_at: at, updated_at: at }).execute();

	const page = await consolePage(browser.context, server, t.apiKey, '/console/manage');
	const agents = page.getByRole('table', { name: 'Agents' });
	const broken = agents.locator('tbody tr', { hasText: 'old-desk' });
	expect(await broken.locator('td').nth(3).textContent()).toBe('no');
	expect(await broken.locator('.errors li').first().textContent()).toMatch(/actions\.0\.condition.*budget/);
	expect(await agents.locator('tbody tr', { hasText: 'lead-qualifier' }).locator('td').nth(4).textContent()).toBe('none');
	await page.close();
});

test('an API key is created (shown once) and revoked from the page, and stops working', async () => {
	const page = await consolePage(browser.context, server, t.apiKey, '/console/manage');
	page.on('dialog', (d) => void d.accept());
	await page.getByLabel('Name', { exact: true }).last().fill('support team');
	await page.getByRole('button', { name: 'Create API key' }).click();
	const shown = page.locator('#new-key');
	await shown.filter({ hasText: 'shown once' }).waitFor();
	const key = /: (\S+)$/.exec((await shown.textContent()) ?? '')?.[1] as string;
	const asNew = () => t.app.inject({ method: 'GET', url: '/v1/conversations', headers: { authorization: `Bearer ${key}` } });
	expect((await asNew()).statusCode).toBe(200);

	const keys = page.getByRole('table', { name: 'API keys' });
	expect(await keys.locator('tbody tr', { hasText: 'support team' }).locator('td').nth(2).textContent()).toBe('inspector');
	await page.getByRole('button', { name: 'Revoke API key support team' }).click();
	await page.getByRole('status').filter({ hasText: 'API key support team revoked.' }).waitFor();
	expect((await asNew()).statusCode).toBe(401);
	expect(await keys.locator('tbody tr', { hasText: 'support team' }).locator('td').nth(4).textContent()).not.toBe('');
	await page.close();
});

test('a widget key is created with its origins from the page', async () => {
	const page = await consolePage(browser.context, server, t.apiKey, '/console/manage');
	await page.locator('#widget-name').fill('shop.example');
	await page.locator('#widget-origins').fill('https://shop.example.com, https://www.shop.example.com/');
	await page.getByRole('button', { name: 'Create widget key' }).click();
	const row = page.getByRole('table', { name: 'Widget keys' }).locator('tbody tr', { hasText: 'shop.example' });
	await row.waitFor();
	expect(await row.locator('li').allTextContents()).toEqual(['https://shop.example.com', 'https://www.shop.example.com']);
	const [created] = (await t.call('GET', '/v1/widget-keys')).json().data.filter((k: { name: string }) => k.name === 'shop.example');
	expect(await row.locator('code').textContent()).toBe(created.key);

	// Its origins are changed in its settings.
	await page.getByRole('button', { name: 'Settings of shop.example' }).click();
	await page.locator('#ap-origins').fill('https://shop.example.com\nhttps://m.shop.example.com');
	await page.getByRole('button', { name: 'Save settings' }).click();
	await page.getByRole('status').filter({ hasText: 'Settings of shop.example saved.' }).waitFor();
	await row.locator('li', { hasText: 'https://m.shop.example.com' }).waitFor();
	expect((await t.call('GET', '/v1/widget-keys')).json().data.find((k: { id: string }) => k.id === created.id).allowedOrigins).toEqual(['https://shop.example.com', 'https://m.shop.example.com']);
	await page.close();
});
