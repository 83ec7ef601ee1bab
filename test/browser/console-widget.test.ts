// The widget a client would ship: its look set on the console's Manage page shows on the client's site (title,
// colours, avatar, opening message, launcher side, timestamps); the conversation and its unread count survive
// reloads and come back days later; it works from the keyboard; and it makes no request to any other origin.
import { loadAgents } from '../../agent-server/src/agents/agent-files';
import { createOfflineEngine } from '../../agent-server/src/engine/offline';
import { WIDGET_SESSION_LIFETIME_DAYS } from '../../agent-server/src/limits';
import { buildTestApp, type TestApp } from '../../agent-server/src/testing/harness';
import { consolePage, focused, hostPage, launchBrowser, listen, startSite } from './support/console';

jest.setTimeout(90_000);

const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const DAY = 86_400_000;

let t: TestApp;
let server: string;
let site: Awaited<ReturnType<typeof startSite>>;
let widgetKey: { id: string; key: string; name: string };
let browser: Awaited<ReturnType<typeof launchBrowser>>;

beforeAll(async () => {
	t = await buildTestApp({ agents: loadAgents(), engine: createOfflineEngine(), web: { pollIntervalMs: 50 }, conversations: { sweepIntervalMs: 0 } });
	server = await listen(t.app);
	site = await startSite(() => hostPage(server, widgetKey.key));
	widgetKey = (await t.call('POST', '/v1/widget-keys', { allowedOrigins: [site.origin], name: 'acme.com' })).json();
	browser = await launchBrowser();
});

afterAll(async () => {
	await browser?.close();
	await site?.close();
	await t?.close();
});

async function newVisitor() {
	const page = await browser.context.newPage();
	const requests: string[] = [];
	page.on('request', (r) => requests.push(r.url()));
	// A new visitor: nothing kept from an earlier test on this site.
	await page.goto(site.origin);
	await page.evaluate(() => localStorage.clear());
	requests.length = 0;
	await page.reload();
	await page.locator('[data-agent-bridge-widget]').waitFor({ state: 'attached' });
	return { page, requests, widget: page.locator('[data-agent-bridge-widget]') };
}

test('appearance set on the Manage page shows in the widget on the client site', async () => {
	const manage = await consolePage(browser.context, server, t.apiKey, '/console/manage');
	await manage.getByRole('button', { name: 'Settings of acme.com' }).click();
	const form = manage.locator('#appearance');
	await form.getByLabel('Title').fill('Acme Help Desk');
	await form.getByLabel('Accent colour').fill('#0a5c36');
	await form.getByLabel('Text on accent').fill('#ffffff');
	await form.getByLabel('Opening message').fill('Hi there! Ask us anything about your website.');
	await form.locator('#ap-position').selectOption('bottom-left');
	await form.getByLabel('Show timestamps').check();
	await form.locator('#ap-avatar').setInputFiles({ name: 'avatar.png', mimeType: 'image/png', buffer: PNG_1PX });
	await form.locator('#ap-preview-avatar:not([hidden])').waitFor();
	await form.getByRole('button', { name: 'Save settings' }).click();
	await manage.getByRole('status').filter({ hasText: 'Settings of acme.com saved.' }).waitFor();
	await manage.close();

	const { page, widget } = await newVisitor();
	const bubble = widget.getByRole('button', { name: 'Open chat' });
	await bubble.waitFor();
	// Bottom left, in the accent colour.
	await page.waitForFunction(() => {
		const host = document.querySelector('[data-agent-bridge-widget]');
		const b = host?.shadowRoot?.querySelector('.bubble');
		return !!b && getComputedStyle(b).backgroundColor === 'rgb(10, 92, 54)';
	});
	const box = await bubble.boundingBox();
	expect(box!.x).toBeLessThan(100);

	await bubble.click();
	await widget.getByRole('dialog', { name: 'Acme Help Desk' }).waitFor();
	expect(await widget.getByRole('heading').textContent()).toBe('Acme Help Desk');
	const opening = widget.locator('.msg.agent.opening');
	expect(await opening.textContent()).toBe('Hi there! Ask us anything about your website.');
	const avatar = widget.locator('img.avatar');
	expect(await avatar.getAttribute('src')).toMatch(new RegExp(`^${server}/widget/v1/avatar\\?key=`));
	await page.waitForFunction(() => {
		const img = document.querySelector('[data-agent-bridge-widget]')?.shadowRoot?.querySelector('img.avatar') as HTMLImageElement | null;
		return !!img && img.complete && img.naturalWidth === 1;
	});

	await widget.getByLabel('Type your message').fill('Hi, I need a new website');
	await widget.getByLabel('Type your message').press('Enter');
	const reply = widget.locator('.msg.agent:not(.opening)').first();
	await reply.waitFor();
	expect(await reply.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
	expect(await widget.locator('.msg.contact').evaluate((n) => getComputedStyle(n).backgroundColor)).toBe('rgb(10, 92, 54)');
	await page.close();

	// Back to the defaults for the other tests.
	await t.call('PATCH', `/v1/widget-keys/${widgetKey.id}/appearance`, { title: null, accentColor: null, openingMessage: null, position: null, timestamps: null, avatar: null });
});

test('the widget makes no request to any other origin than its server', async () => {
	await t.call('PATCH', `/v1/widget-keys/${widgetKey.id}/appearance`, { avatar: `data:image/png;base64,${PNG_1PX.toString('base64')}` });
	const { page, requests, widget } = await newVisitor();
	await widget.getByRole('button', { name: 'Open chat' }).click();
	await widget.getByLabel('Type your message').fill('Hi, I need a new website');
	await widget.getByLabel('Type your message').press('Enter');
	await widget.locator('.msg.agent').first().waitFor();
	await page.waitForTimeout(300);
	await page.close();

	const fromWidget = requests.filter((u) => u !== `${site.origin}/`);
	expect(fromWidget.filter((u) => new URL(u).origin !== server)).toEqual([]);
	// What it did ask for, all from its server: the script, the config, the avatar, the message and its live stream.
	const paths = [...new Set(fromWidget.map((u) => new URL(u).pathname))];
	const own = ['/widget.js', '/widget/v1/agents/lead-qualifier', '/widget/v1/avatar', '/widget/v1/messages', '/widget/v1/live'];
	expect(paths.filter((p) => !own.includes(p))).toEqual([]);
	expect(paths).toEqual(expect.arrayContaining(['/widget.js', '/widget/v1/agents/lead-qualifier', '/widget/v1/avatar', '/widget/v1/messages']));
	await t.call('PATCH', `/v1/widget-keys/${widgetKey.id}/appearance`, { avatar: null });
});

test('the conversation and its unread count survive a reload and come back days later; a session past its lifetime starts over', async () => {
	const { page, widget } = await newVisitor();
	const bubble = widget.locator('button.bubble');
	// Keyboard only: Tab to the launcher, Enter opens and puts the focus in the message box, Escape closes.
	await page.keyboard.press('Tab');
	await focused(bubble);
	await page.keyboard.press('Enter');
	const input = widget.getByLabel('Type your message');
	await focused(input);
	await page.keyboard.type('Hi, I need a new website');
	await page.keyboard.press('Enter');
	await widget.locator('.msg.agent').first().waitFor();
	// New messages are announced: they land in a polite live log; every control has a name.
	expect(await widget.getByRole('log', { name: 'Messages' }).getAttribute('aria-live')).toBe('polite');
	expect(await widget.getByRole('button', { name: 'Close chat' }).count()).toBe(2);
	expect(await widget.getByRole('button', { name: 'Send' }).count()).toBe(1);
	await page.keyboard.press('Escape');
	await focused(bubble);
	expect(await bubble.getAttribute('aria-expanded')).toBe('false');

	// A person answers while the chat is closed: the launcher says so.
	const [conversation] = (await t.call('GET', '/v1/conversations?agentId=lead-qualifier&channel=web&limit=1')).json().data;
	await t.call('POST', `/v1/conversations/${conversation.id}/human-replies`, { text: 'Hi, this is Maria from Acme. Happy to help!', author: 'Maria' });
	await widget.getByRole('button', { name: 'Open chat, 1 unread message' }).waitFor({ timeout: 10_000 });
	expect(await widget.locator('.badge').textContent()).toBe('1');

	// A reload keeps the conversation and the unread count.
	await page.reload();
	await widget.getByRole('button', { name: 'Open chat, 1 unread message' }).waitFor();
	await widget.getByRole('button', { name: /Open chat/ }).click();
	await widget.locator('.msg.human', { hasText: 'Maria from Acme' }).waitFor();
	expect(await widget.locator('.msg.contact').allTextContents()).toEqual(['Hi, I need a new website']);
	expect(await widget.locator('.badge').isHidden()).toBe(true);
	await page.reload();
	await widget.getByRole('button', { name: 'Open chat' }).waitFor();
	expect(await widget.locator('.badge').isHidden()).toBe(true);

	// Ten days later (the browser's record and the server's session both aged), the same conversation comes back.
	const stored = await page.evaluate(() => Object.keys(localStorage).find((k) => k.startsWith('agent-bridge:')) as string);
	const age = async (days: number) => {
		await page.evaluate(([k, ms]) => {
			const data = JSON.parse(localStorage.getItem(k as string) as string);
			localStorage.setItem(k as string, JSON.stringify({ ...data, lastActive: Date.now() - (ms as number) }));
		}, [stored, days * DAY] as const);
		await t.app.agentBridge.store.db.updateTable('widget_sessions').set({ last_seen_at: new Date(Date.now() - days * DAY).toISOString() }).execute();
	};
	await age(10);
	await page.reload();
	await widget.getByRole('button', { name: 'Open chat' }).click();
	await widget.locator('.msg.human', { hasText: 'Maria from Acme' }).waitFor();

	// Past the lifetime the browser forgets the session and the next message starts a new conversation.
	await age(WIDGET_SESSION_LIFETIME_DAYS + 1);
	await page.reload();
	await widget.getByRole('button', { name: 'Open chat' }).click();
	await page.waitForTimeout(500);
	expect(await widget.locator('.msg').count()).toBe(0);
	expect(await page.evaluate((k) => localStorage.getItem(k), stored)).toBeNull();
	await page.close();
});
