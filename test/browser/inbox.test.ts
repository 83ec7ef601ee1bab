// The human inbox in a real browser: a contact on the widget asks for a person, the console's inbox shows it live,
// a person claims and replies, the contact sees the reply live as a team member's, the person hands back and the
// agent answers again; a workflow's reply appears in the widget at once, and the widget never long-polls.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { loadAgents } from '../../agent-server/src/agents/agent-files';
import { createOfflineEngine } from '../../agent-server/src/engine/offline';
import { buildTestApp, type TestApp } from '../../agent-server/src/testing/harness';

jest.setTimeout(90_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let t: TestApp;
let server: string;
let site: Server;
let siteOrigin: string;
let widgetKey: string;
let profile: string;
let browser: BrowserContext;

function hostPage(): string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme Web Studio</title></head>
<body><h1>Acme Web Studio</h1>
<script src="${server}/widget.js" data-agent="lead-qualifier" data-key="${widgetKey}" async></script></body></html>`;
}

async function screenshot(page: Page, name: string): Promise<void> {
	const dir = process.env.BROWSER_SCREENSHOTS;
	if (dir) await page.screenshot({ path: path.join(dir, `${name}.png`) });
}

beforeAll(async () => {
	t = await buildTestApp({ agents: loadAgents(), engine: createOfflineEngine(), conversations: { sweepIntervalMs: 0 } });
	await t.app.listen({ port: 0, host: '127.0.0.1' });
	server = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
	site = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(hostPage()));
	await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
	siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
	widgetKey = (await t.call('POST', '/v1/widget-keys', { allowedOrigins: [siteOrigin] })).json().key;
	profile = mkdtempSync(path.join(tmpdir(), 'agent-bridge-inbox-'));
	browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1400, height: 900 } });
});

afterAll(async () => {
	await browser?.close();
	await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
	await t?.close();
	if (profile) rmSync(profile, { recursive: true, force: true });
});

async function logIn(): Promise<Page> {
	const page = await browser.newPage();
	await page.goto(`${server}/console`);
	// Not logged in: the console sends the person to the login page.
	await page.waitForURL(/\/console\/login/);
	await page.getByLabel('API key').fill(t.apiKey);
	await page.getByLabel('Your name').fill('Dana');
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.waitForURL(`${server}/console`);
	await page.getByText('Default workspace · Dana').waitFor();
	return page;
}

test('a contact asks for a person, who claims, replies live as a team member, hands back, and the agent answers again', async () => {
	const inbox = await logIn();
	const waiting = inbox.getByRole('list', { name: 'Waiting for a person' });
	await waiting.getByText('Nobody is waiting.').waitFor();

	const visitor = await browser.newPage();
	const polls: string[] = [];
	visitor.on('request', (r) => {
		if (r.method() === 'GET' && r.url().includes('/widget/v1/messages')) polls.push(r.url());
	});
	await visitor.goto(siteOrigin);
	await visitor.getByRole('button', { name: 'Open chat' }).click();
	const input = visitor.getByLabel('Type your message');
	await input.fill('Can I talk to a real person please?');
	await input.press('Enter');
	const log = visitor.getByRole('log', { name: 'Messages' });
	await log.locator('.msg.agent', { hasText: 'bringing in a member of our team' }).waitFor();

	// The inbox shows it without a reload, with how long the contact has waited.
	const item = waiting.getByRole('button', { name: /waiting/ });
	await item.waitFor({ timeout: 10_000 });
	await item.click();
	const pane = inbox.getByRole('region', { name: 'Conversation' });
	await pane.getByText('Can I talk to a real person please?').waitFor();
	await pane.getByRole('button', { name: 'Claim' }).click();
	await pane.getByText('claimed by Dana').waitFor();
	await screenshot(inbox, 'inbox');

	// The contact's panel beside it: the tag the agent added, editable fields.
	const contact = inbox.getByRole('complementary', { name: 'Contact' });
	await contact.getByRole('button', { name: 'Remove tag wants_human' }).waitFor();
	await contact.getByLabel('First name').fill('Robin');
	await contact.getByRole('button', { name: 'Save fields' }).click();
	await contact.getByRole('heading', { name: 'Robin' }).waitFor();

	// An internal note is on the inbox's timeline, never in the widget.
	await pane.getByLabel(/Internal note/).fill('Asked for a person on the first message');
	await pane.getByRole('button', { name: 'Add note' }).click();
	await pane.getByText('Asked for a person on the first message').waitFor();

	// The reply appears live in the widget, as a team member's.
	await pane.getByLabel(/Reply to the contact/).fill('Hi Robin, Dana here. How can I help?');
	// While the person writes, the contact sees that someone is typing.
	await visitor.getByText('A team member is typing…').waitFor({ timeout: 10_000 });
	await pane.getByRole('button', { name: 'Send reply' }).click();
	const human = log.locator('.msg.human', { hasText: 'Dana here' });
	await human.waitFor({ timeout: 10_000 });
	expect(await human.getAttribute('data-who')).toBe('Team member');
	await screenshot(visitor, 'widget-human-reply');

	// The contact answers; the inbox shows it live in the open conversation.
	await input.fill('I wanted to ask about a new website');
	await input.press('Enter');
	await pane.getByText('I wanted to ask about a new website').waitFor({ timeout: 10_000 });

	// Handed back, the agent answers the next message.
	await pane.getByRole('button', { name: 'Hand back to the agent' }).click();
	await pane.locator('.pill.active').waitFor();
	const agentReplies = await log.locator('.msg.agent').count();
	await input.fill('Our budget is $25,000');
	await input.press('Enter');
	await log.locator('.msg.agent').nth(agentReplies).waitFor({ timeout: 10_000 });

	// A workflow replies over the API, as Reply to Conversation does: it appears in the open widget at once.
	const [conversation] = (await t.call('GET', '/v1/conversations?agentId=lead-qualifier&channel=web')).json().data;
	await t.call('POST', `/v1/conversations/${conversation.id}/replies`, { text: 'Here is our portfolio: acme.example/work' }, { 'x-agent-bridge-causation': 'evt_browser' });
	await log.locator('.msg.agent', { hasText: 'portfolio: acme.example/work' }).waitFor({ timeout: 5_000 });
	expect(await log.textContent()).not.toContain('Asked for a person on the first message');
	expect(polls).toEqual([]);
	await inbox.close();
	await visitor.close();
});

test('the inbox works from the keyboard: search finds the contact and its conversations', async () => {
	// The session cookie from the first test still holds: no login again.
	const inbox = await browser.newPage();
	await inbox.goto(`${server}/console`);
	await inbox.getByText('Default workspace · Dana').waitFor();
	await inbox.getByLabel('Search contacts').focus();
	await inbox.keyboard.type('robin');
	await inbox.keyboard.press('Enter');
	const found = inbox.getByRole('list', { name: 'Contacts found' }).getByRole('button', { name: /Robin/ });
	await found.waitFor();
	await found.focus();
	await inbox.keyboard.press('Enter');
	const past = inbox.getByRole('list', { name: 'Past conversations' }).getByRole('button');
	await past.first().waitFor();
	await past.first().focus();
	await inbox.keyboard.press('Enter');
	await inbox.getByRole('region', { name: 'Conversation' }).getByText('Our budget is $25,000').waitFor();
	await inbox.close();
});
