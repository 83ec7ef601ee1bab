// What the console's browser tests share: Debian's Chromium, a site on its own origin that embeds the widget, a
// console page signed in with an API key kept in the tab (as the inspector keeps it), and a Lead Scoring workflow.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { TestApp } from '../../../agent-server/src/testing/harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The inspector's sessionStorage name for the API key; the console's api.js reads the same. */
export const KEY_STORAGE = 'agent-bridge-inspector-key';

export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
	const profile = mkdtempSync(path.join(tmpdir(), 'agent-bridge-console-'));
	const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 900 }, acceptDownloads: true });
	return {
		context,
		async close() {
			await context.close();
			rmSync(profile, { recursive: true, force: true });
		},
	};
}

export async function listen(app: TestApp['app']): Promise<string> {
	await app.listen({ port: 0, host: '127.0.0.1' });
	return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** A site on its own origin whose page embeds the widget with only the publishable key. */
export async function startSite(page: () => string): Promise<{ origin: string; close(): Promise<void> }> {
	const site = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page()));
	await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
	return { origin: `http://127.0.0.1:${(site.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => site.close(() => resolve())) };
}

export function hostPage(server: string, widgetKey: string, agent = 'lead-qualifier'): string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme Web Studio</title>
<style>body{font-family:Georgia,serif;margin:40px;background:#fdfaf3}</style></head>
<body><h1>Acme Web Studio</h1><p>We build websites and apps.</p>
<script src="${server}/widget.js" data-agent="${agent}" data-key="${widgetKey}" async></script></body></html>`;
}

/** A console page of `server`, signed in with `apiKey` kept in the tab, once its data has loaded. */
export async function consolePage(context: BrowserContext, server: string, apiKey: string, pathname: string): Promise<Page> {
	const page = await context.newPage();
	await page.addInitScript(
		([name, key, origin]) => {
			if (location.origin === origin) sessionStorage.setItem(name, key);
		},
		[KEY_STORAGE, apiKey, server],
	);
	await page.goto(server + pathname);
	await page.locator('body[data-loaded]').waitFor();
	return page;
}

/** The Lead Scoring workflow: on lead_scoring it writes the score back after `afterMs`, with the event as causation. */
export async function leadScoringWorkflow(t: TestApp, afterMs = 150): Promise<{ url: string; close(): Promise<void> }> {
	const server: Server = createServer((req, res) => {
		let body = '';
		req.on('data', (c: Buffer) => (body += c));
		req.on('end', () => {
			res.writeHead(200).end('{}');
			const event = JSON.parse(body);
			if (event.type !== 'agent.action.triggered' || event.action.id !== 'lead_scoring') return;
			setTimeout(() => void t.call('PATCH', `/v1/contacts/${event.contact.id}`, { customFields: { lead_score: 9 } }, { 'x-agent-bridge-causation': event.id }), afterMs);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/lead-scoring`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Resolves once the element (inside a shadow root too) has the focus; rejects after 5 s. */
export async function focused(locator: Locator): Promise<void> {
	const end = Date.now() + 5000;
	while (Date.now() < end) {
		if (await locator.evaluate((node) => node === (node.getRootNode() as Document | ShadowRoot).activeElement)) return;
		await new Promise((r) => setTimeout(r, 50));
	}
	throw new Error('expected the element to receive focus');
}
