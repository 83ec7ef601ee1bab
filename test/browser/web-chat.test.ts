// The web channel in a real browser: a page on its own origin embeds the widget, a visitor chats, a workflow's
// reply appears in the open widget; the inspector shows the timeline with each action's reason, and the test
// panel shows why an action did not fire. Set BROWSER_SCREENSHOTS to a directory to keep screenshots.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { loadAgents } from '../../agent-server/src/agents/agent-files';
import { createOfflineEngine } from '../../agent-server/src/engine/offline';
import { buildTestApp, type TestApp } from '../../agent-server/src/testing/harness';

jest.setTimeout(60_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

let t: TestApp;
let server: string;
let site: Server;
let siteOrigin: string;
let widgetKey: string;
let profile: string;
let browser: BrowserContext;

/** The host page of a site that embeds the widget; it only knows the publishable key. */
function hostPage(): string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme Web Studio</title>
<style>body{font-family:Georgia,serif;margin:40px;background:#fdfaf3}</style></head>
<body><h1>Acme Web Studio</h1><p>We build websites and apps.</p>
<script src="${server}/widget.js" data-agent="lead-qualifier" data-key="${widgetKey}" async></script></body></html>`;
}

async function screenshot(page: Page, name: string): Promise<void> {
	const dir = process.env.BROWSER_SCREENSHOTS;
	if (dir) await page.screenshot({ path: path.join(dir, `${name}.png`) });
}

beforeAll(async () => {
	t = await buildTestApp({ agents: loadAgents(), engine: createOfflineEngine(), web: { pollIntervalMs: 50 }, conversations: { sweepIntervalMs: 0 } });
	await t.app.listen({ port: 0, host: '127.0.0.1' });
	server = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;

	site = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(hostPage()));
	await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
	siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
	const key = await t.call('POST', '/v1/widget-keys', { allowedOrigins: [siteOrigin] });
	widgetKey = key.json().key;

	profile = mkdtempSync(path.join(tmpdir(), 'agent-bridge-browser-'));
	browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 800 } });
});

afterAll(async () => {
	await browser?.close();
	await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
	await t?.close();
	if (profile) rmSync(profile, { recursive: true, force: true });
});

async function openInspector(): Promise<Page> {
	const page = await browser.newPage();
	await page.goto(`${server}/inspector`);
	await page.getByLabel('API key').fill(t.apiKey);
	await page.getByRole('button', { name: 'Connect' }).click();
	await page.getByText('Workspace: Default workspace').waitFor();
	return page;
}

test('a visitor chats in the embedded widget and a workflow reply appears without a reload', async () => {
	const page = await browser.newPage();
	await page.goto(siteOrigin);
	await page.getByRole('button', { name: 'Open chat' }).click();
	const input = page.getByLabel('Type your message');
	await expect(input).toBeFocusedSoon();
	await input.fill('Hi, I need a new website for my bakery');
	await input.press('Enter');

	const log = page.getByRole('log', { name: 'Messages' });
	await log.locator('.msg.contact', { hasText: 'I need a new website' }).waitFor();
	await log.locator('.msg.agent').first().waitFor();
	expect(await log.locator('.msg.agent').first().textContent()).toMatch(/budget/i);
	await page.getByRole('dialog', { name: 'Lead Qualifier' }).waitFor();

	// A workflow answers through the API (what Reply to Conversation does); the open widget shows it.
	const [conversation] = (await t.call('GET', '/v1/conversations?agentId=lead-qualifier&channel=web')).json().data;
	const reply = await t.call('POST', `/v1/conversations/${conversation.id}/replies`, { text: 'Here is our portfolio of bakery sites: acme.example/bakeries' }, {
		'x-agent-bridge-causation': 'evt_test',
	});
	expect(reply.statusCode).toBe(200);
	await log.locator('.msg.agent', { hasText: 'portfolio of bakery sites' }).waitFor({ timeout: 10_000 });
	await screenshot(page, 'widget');
	await page.close();
});

test("the inspector shows a conversation's timeline with each action's reason", async () => {
	const turn = (await t.call('POST', '/v1/chat', { agentId: 'lead-qualifier', text: 'We want an app, budget about $20k', channel: 'web' })).json();
	await t.call('POST', `/v1/conversations/${turn.conversation.id}/replies`, { text: 'A workflow wrote this' });
	const page = await openInspector();
	await page.getByRole('button', { name: new RegExp(turn.conversation.id) }).click();
	const timeline = page.getByRole('list', { name: 'Timeline' });
	await timeline.getByText('We want an app, budget about $20k').waitFor();
	const notFired = timeline.locator('[data-kind="action.not_fired"]', { hasText: 'Lead Scoring' });
	await notFired.waitFor();
	expect(await notFired.textContent()).toContain('waiting for field timeline');
	await timeline.locator('[data-kind="fields.updated"]').first().waitFor();
	await timeline.getByText('A workflow wrote this').waitFor();
	await screenshot(page, 'inspector');
	await page.close();
});

test("the inspector shows a channel's delivery reports: delivered, and not delivered with the channel's reason", async () => {
	const turn = (await t.call('POST', '/v1/chat', { agentId: 'lead-qualifier', text: 'Hi, I need a logo', identity: { channel: 'telegram', address: '4711' } })).json();
	const sent = (await t.call('POST', `/v1/conversations/${turn.conversation.id}/replies`, { text: 'Here are some logo ideas' })).json().message;
	const refused = (await t.call('POST', `/v1/conversations/${turn.conversation.id}/replies`, { text: 'And our price list' })).json().message;
	const report = (id: string, body: unknown) => t.call('POST', `/v1/conversations/${turn.conversation.id}/messages/${id}/delivery`, body);
	expect((await report(sent.id, { status: 'delivered' })).statusCode).toBe(200);
	expect((await report(refused.id, { status: 'failed', reason: 'Forbidden: bot was blocked by the user' })).statusCode).toBe(200);

	const page = await openInspector();
	await page.getByRole('button', { name: new RegExp(turn.conversation.id) }).click();
	const timeline = page.getByRole('list', { name: 'Timeline' });
	const reports = timeline.locator('[data-kind="message.delivery"]');
	await reports.nth(1).waitFor();
	expect(await reports.nth(0).textContent()).toMatch(new RegExp(`Delivered to the contact.*on telegram.*${sent.id}`));
	expect(await reports.nth(1).textContent()).toMatch(new RegExp(`Not delivered to the contact.*${refused.id}.*Forbidden: bot was blocked by the user`));
	await screenshot(page, 'inspector-delivery-reports');
	await page.close();
});

test('the deliveries table says when a pending delivery is tried next and why, and Retry now sends it at once', async () => {
	const down = createServer((req, res) => {
		req.resume();
		res.writeHead(503).end();
	});
	await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(down.address() as AddressInfo).port}/webhook/late`;
	const sub = (await t.call('POST', '/v1/subscriptions', { url, events: ['agent.action.triggered'], filters: { agentId: 'lead-qualifier' } })).json();
	const turn = (await t.call('POST', '/v1/chat', { agentId: 'lead-qualifier', text: "I'm Dana, our budget is $25,000 and we'd like to launch within 1 month" })).json();
	// One relay pass: the attempt fails and the delivery waits for its retry schedule.
	await t.app.agentBridge.relay.runOnce();
	const [pending] = (await t.call('GET', `/v1/deliveries?subscriptionId=${sub.id}`)).json().data;
	expect(pending).toMatchObject({ status: 'pending', attempts: 1, nextAttemptReason: 'schedule' });

	const page = await openInspector();
	await page.getByRole('button', { name: new RegExp(turn.conversation.id) }).click();
	const table = page.getByRole('table', { name: 'Deliveries' });
	const row = table.locator('tr', { hasText: url });
	await row.getByText('retry schedule').waitFor();
	await page.getByRole('list', { name: 'Timeline' }).getByText(/next attempt .*retry schedule, attempt 2 of 8/).waitFor();
	await row.getByRole('button', { name: 'Retry now' }).click();
	await table.locator('tr', { hasText: url }).getByText('retry now', { exact: true }).waitFor();
	expect((await t.call('GET', `/v1/deliveries?subscriptionId=${sub.id}`)).json().data[0]).toMatchObject({ id: pending.id, nextAttemptReason: 'retry-now' });
	expect(Date.parse((await t.call('GET', `/v1/deliveries?subscriptionId=${sub.id}`)).json().data[0].nextAttemptAt)).toBeLessThanOrEqual(Date.now());
	await screenshot(page, 'inspector-deliveries');
	await page.close();
	await t.call('DELETE', `/v1/subscriptions/${sub.id}`);
	await new Promise<void>((resolve) => down.close(() => resolve()));
});

test('the test panel shows why an action did not fire', async () => {
	const page = await openInspector();
	await page.getByRole('tab', { name: 'Test panel' }).click();
	await page.getByRole('tabpanel', { name: 'Test panel' }).getByRole('combobox').selectOption('lead-qualifier');
	const text = page.getByLabel('Message to the agent');
	await text.fill('I need a website');
	await text.press('Enter');
	const actions = page.getByRole('list', { name: 'Actions this turn' });
	const leadScoring = actions.getByText(/not fired: Lead Scoring/);
	await leadScoring.waitFor();
	expect(await leadScoring.textContent()).toContain('waiting for fields budget, timeline');
	await page.getByRole('log', { name: 'Test conversation' }).locator('.bubble.agent').waitFor();
	await screenshot(page, 'test-panel');
	// The test conversation runs on channel "test".
	const [latest] = (await t.call('GET', '/v1/conversations?limit=1')).json().data;
	expect(latest.channel).toBe('test');
	await page.close();
});

// Playwright's expect is not jest's; a small wait for focus keeps the dependency to playwright-core.
declare global {
	// eslint-disable-next-line @typescript-eslint/no-namespace
	namespace jest {
		interface Matchers<R> {
			toBeFocusedSoon(): Promise<R>;
		}
	}
}
expect.extend({
	async toBeFocusedSoon(locator: import('playwright-core').Locator) {
		const end = Date.now() + 5000;
		while (Date.now() < end) {
			if (await locator.evaluate((node) => node === (node.getRootNode() as Document | ShadowRoot).activeElement)) {
				return { pass: true, message: () => 'focused' };
			}
			await new Promise((r) => setTimeout(r, 50));
		}
		return { pass: false, message: () => 'expected the element to receive focus' };
	},
});
