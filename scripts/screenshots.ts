// `npm run screenshots [dir]`: starts an agent server with demo data (conversations on the bundled lead qualifier, a
// workflow answering its action, a handoff, a delivery that failed, a styled widget key), opens each page in Debian's
// Chromium and saves a PNG per page into docs/screenshots/ (or `dir`). To add a page, add a line to PAGES.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { loadAgents } from '../agent-server/src/agents/agent-files';
import { createOfflineEngine } from '../agent-server/src/engine/offline';
import { buildTestApp, waitUntil, type TestApp } from '../agent-server/src/testing/harness';
import { consolePage, hostPage, launchBrowser, leadScoringWorkflow, listen, startSite } from '../test/browser/support/console';

interface Demo {
	t: TestApp;
	server: string;
	site: string;
	context: BrowserContext;
}

/** A console page by its path, or a capture of its own; `fullPage` saves the whole page, not only the window. */
type Shot = { name: string; path: string; fullPage?: boolean } | { name: string; capture: (demo: Demo) => Promise<Page> };

const PAGES: Shot[] = [
	{ name: 'inbox', capture: inboxShot },
	{ name: 'widget', capture: widgetShot },
	{ name: 'numbers', path: '/console/numbers', fullPage: true },
	{ name: 'manage', path: '/console/manage', fullPage: true },
];

const DAY = 86_400_000;
const step = (text: string) => process.stdout.write(`» ${text}\n`);

/** The team's view: logged in to the console, a conversation waiting for a person open beside its contact. */
async function inboxShot({ t, server, context }: Demo): Promise<Page> {
	const page = await context.newPage();
	await page.goto(`${server}/console/login`);
	await page.getByLabel('API key').fill(t.apiKey);
	await page.getByLabel('Your name').fill('Robin');
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.waitForURL(`${server}/console`);
	const waiting = page.getByRole('list', { name: 'Waiting for a person' }).getByRole('button', { name: /waiting/ });
	await waiting.first().click();
	await page.getByRole('region', { name: 'Conversation' }).getByText('Can I talk to a real person?').waitFor();
	return page;
}

/** The visitor's view: the client's site with the chat open on a short conversation. */
async function widgetShot({ site, context }: Demo): Promise<Page> {
	const page = await context.newPage();
	await page.goto(site);
	const widget = page.locator('[data-agent-bridge-widget]');
	await widget.getByRole('button', { name: /Open chat/ }).click();
	const input = widget.getByLabel('Type your message');
	await input.fill('Hi, I need a new website for my bakery');
	await input.press('Enter');
	await widget.locator('.msg.agent:not(.opening)').first().waitFor();
	await input.fill('Around $12k');
	await input.press('Enter');
	await widget.locator('.msg.agent:not(.opening)').nth(1).waitFor();
	return page;
}

/** An avatar drawn in the browser (a circle with initials), as a client would upload one. */
async function avatar(context: BrowserContext): Promise<string> {
	const page = await context.newPage();
	const url = await page.evaluate(() => {
		const canvas = document.createElement('canvas');
		canvas.width = canvas.height = 96;
		const g = canvas.getContext('2d') as CanvasRenderingContext2D;
		g.fillStyle = '#f4c542';
		g.beginPath();
		g.arc(48, 48, 48, 0, Math.PI * 2);
		g.fill();
		g.fillStyle = '#0a3d2a';
		g.font = 'bold 40px sans-serif';
		g.textAlign = 'center';
		g.textBaseline = 'middle';
		g.fillText('AD', 48, 52);
		return canvas.toDataURL('image/png');
	});
	await page.close();
	return url;
}

/** Conversations over the last two weeks: qualified leads whose scoring workflow answers, handoffs, endings. */
async function conversations(t: TestApp): Promise<void> {
	const say = async (text: string, conversationId?: string, firstName = 'Dana') =>
		(await t.call('POST', '/v1/chat', { agentId: 'lead-qualifier', text, contact: { firstName }, ...(conversationId ? { conversationId } : {}) })).json();
	const names = ['Dana', 'Sam', 'Robin', 'Alex', 'Kim', 'Jo', 'Lee', 'Max', 'Ana', 'Noor', 'Eli', 'Mia'];
	for (const [i, name] of names.entries()) {
		const c = await say('Hi, I need a new website', undefined, name);
		if (i % 4 === 3) {
			await say('Can I talk to a real person?', c.conversation.id);
		} else {
			await say(i % 2 ? 'Around $8k' : 'Around $25k', c.conversation.id);
			if (i % 3 !== 2) await say('Within 1 month would be ideal', c.conversation.id);
			await t.call('POST', `/v1/conversations/${c.conversation.id}/end`, { outcome: i % 3 === 2 ? 'browsing' : i % 2 ? 'interested' : 'booked' });
		}
		// Spread over the last days, so the charts have a shape.
		await shiftDays(t, c.conversation.id, names.length - 1 - i);
	}
}

/** Moves a conversation and its timeline `days` back in time (demo data only). */
async function shiftDays(t: TestApp, conversationId: string, days: number): Promise<void> {
	if (!days) return;
	const db = t.app.agentBridge.store.db;
	const back = (iso: string) => new Date(Date.parse(iso) - days * DAY).toISOString();
	const conversation = await db.selectFrom('conversations').select(['created_at', 'updated_at']).where('id', '=', conversationId).executeTakeFirstOrThrow();
	await db.updateTable('conversations').set({ created_at: back(conversation.created_at), updated_at: back(conversation.updated_at) }).where('id', '=', conversationId).execute();
	for (const entry of await db.selectFrom('timeline').select(['id', 'at']).where('conversation_id', '=', conversationId).execute()) {
		await db.updateTable('timeline').set({ at: back(entry.at) }).where('id', '=', entry.id).execute();
	}
}

/** A workflow that was down: its conversation.ended deliveries failed. */
async function failedDeliveries(t: TestApp): Promise<() => Promise<void>> {
	const down = createServer((req, res) => {
		req.resume();
		res.writeHead(503).end();
	});
	await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(down.address() as AddressInfo).port}/webhook/crm-sync`;
	await t.call('POST', '/v1/subscriptions', { url, events: ['conversation.ended'] });
	return () => new Promise<void>((resolve) => down.close(() => resolve()));
}

async function main(): Promise<void> {
	const out = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'docs', 'screenshots'));
	mkdirSync(out, { recursive: true });
	step('starting an agent server with demo data');
	const t = await buildTestApp({ agents: loadAgents(), engine: createOfflineEngine(), relay: { pollIntervalMs: 20, retryScheduleMs: [0, 10] }, conversations: { sweepIntervalMs: 0 } });
	const server = await listen(t.app);
	const workflow = await leadScoringWorkflow(t);
	await t.call('POST', '/v1/subscriptions', { url: workflow.url, events: ['agent.action.triggered'] });
	const closeDown = await failedDeliveries(t);
	let widgetKey = '';
	const site = await startSite(() => hostPage(server, widgetKey));
	const key = (await t.call('POST', '/v1/widget-keys', { allowedOrigins: [site.origin], name: 'acme-digital.example' })).json();
	widgetKey = key.key;
	const browser = await launchBrowser();
	try {
		await t.call('PATCH', `/v1/widget-keys/${key.id}/appearance`, {
			title: 'Acme Digital',
			accentColor: '#0a5c36',
			accentTextColor: '#ffffff',
			openingMessage: 'Hi! Planning a website or an app? Tell us about it.',
			position: 'bottom-right',
			timestamps: true,
			avatar: await avatar(browser.context),
		});
		await conversations(t);
		await waitUntil(async () => (await t.call('GET', '/v1/deliveries/summary')).json().failed >= 3, 15_000, 'the failed deliveries');
		const demo: Demo = { t, server, site: site.origin, context: browser.context };
		for (const shot of PAGES) {
			const page = 'capture' in shot ? await shot.capture(demo) : await consolePage(browser.context, server, t.apiKey, shot.path);
			await page.waitForTimeout(300);
			const file = path.join(out, `${shot.name}.png`);
			await page.screenshot({ path: file, fullPage: 'fullPage' in shot && shot.fullPage === true });
			await page.close();
			step(`saved ${path.relative(process.cwd(), file)}`);
		}
	} finally {
		await browser.close();
		await site.close();
		await workflow.close();
		await closeDown();
		await t.close();
	}
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
