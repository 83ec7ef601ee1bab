// Save as test, round trip: a conversation in the inspector's test panel (with a workflow answering its action over
// the API, as n8n does) is downloaded as a test file, and `agent-bridge test` passes on it; changed, it fails.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { parse } from 'yaml';
import { runTestFile } from '../../agent-server/src/agent-tests/runner';
import { loadAgents } from '../../agent-server/src/agents/agent-files';
import { createOfflineEngine } from '../../agent-server/src/engine/offline';
import { buildTestApp, type TestApp } from '../../agent-server/src/testing/harness';

jest.setTimeout(60_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let t: TestApp;
let server: string;
let workflow: Server;
let dir: string;
let browser: BrowserContext;

/** The Lead Scoring workflow: 150 ms after the event it writes the score and tags the contact, with the event as causation. */
function leadScoringWorkflow(): Server {
	return createServer((req, res) => {
		let body = '';
		req.on('data', (c: Buffer) => (body += c));
		req.on('end', () => {
			res.writeHead(200).end('{}');
			const event = JSON.parse(body);
			if (event.type !== 'agent.action.triggered' || event.action.id !== 'lead_scoring') return;
			const causation = { 'x-agent-bridge-causation': event.id };
			setTimeout(async () => {
				await t.call('PATCH', `/v1/contacts/${event.contact.id}`, { customFields: { lead_score: 9 } }, causation);
				await t.call('POST', `/v1/contacts/${event.contact.id}/tags`, { tags: ['hot_lead'] }, causation);
			}, 150);
		});
	});
}

beforeAll(async () => {
	t = await buildTestApp({ agents: loadAgents(), engine: createOfflineEngine(), relay: { pollIntervalMs: 20 }, conversations: { sweepIntervalMs: 0 } });
	await t.app.listen({ port: 0, host: '127.0.0.1' });
	server = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
	workflow = leadScoringWorkflow();
	await new Promise<void>((resolve) => workflow.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(workflow.address() as AddressInfo).port}/webhook/lead-scoring`;
	expect((await t.call('POST', '/v1/subscriptions', { url, events: ['agent.action.triggered'] })).statusCode).toBe(201);
	dir = mkdtempSync(path.join(tmpdir(), 'agent-bridge-save-'));
	browser = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
		executablePath: CHROMIUM,
		headless: true,
		args: ARGS,
		acceptDownloads: true,
		viewport: { width: 1280, height: 800 },
	});
});

afterAll(async () => {
	await browser?.close();
	await new Promise<void>((resolve) => (workflow ? workflow.close(() => resolve()) : resolve()));
	await t?.close();
	if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a conversation saved from the test panel runs as a passing test, and fails once an outcome changes', async () => {
	const page = await browser.newPage();
	await page.goto(`${server}/inspector`);
	await page.getByLabel('API key').fill(t.apiKey);
	await page.getByRole('button', { name: 'Connect' }).click();
	await page.getByText('Workspace: Default workspace').waitFor();
	await page.getByRole('tab', { name: 'Test panel' }).click();
	const panel = page.getByRole('tabpanel', { name: 'Test panel' });
	await panel.getByRole('combobox').selectOption('lead-qualifier');

	const log = page.getByRole('log', { name: 'Test conversation' });
	const say = async (message: string, replies: number) => {
		await page.getByLabel('Message to the agent').fill(message);
		await page.getByLabel('Message to the agent').press('Enter');
		await log.locator('.bubble.agent').nth(replies - 1).waitFor();
	};
	await say('Hi, I need a new website, a friend told me about you', 1);
	await say('Around $25k', 2);
	await say('Within 1 month would be ideal', 3);
	expect(await log.locator('.bubble.agent').nth(2).textContent()).toBe('Great news! Let me connect you with a specialist. When works best for a quick call?');

	const [download] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: 'Save as test' }).click()]);
	expect(download.suggestedFilename()).toMatch(/^lead-qualifier\.conv_\w+\.test\.yaml$/);
	const file = path.join(dir, download.suggestedFilename());
	await download.saveAs(file);
	await page.getByText(`Saved ${download.suggestedFilename()}`).waitFor();
	await page.close();

	// What was saved: the turns, their outcomes, and the workflow as it answered.
	const saved = parse(readFileSync(file, 'utf8'));
	const [conversation] = saved.conversations;
	expect(saved.agent).toBe('lead-qualifier');
	expect(conversation.channel).toBe('test');
	expect(conversation.turns.map((turn: { say: string }) => turn.say)).toEqual(['Hi, I need a new website, a friend told me about you', 'Around $25k', 'Within 1 month would be ideal']);
	expect(conversation.turns[0].expect).toMatchObject({
		reply: "Hi! I'm Lead Qualifier from Acme Digital. What budget do you have in mind for this project?",
		collected: { service_needed: 'website' },
		tags: { has: ['referral_lead'] },
		notFired: { lead_scoring: 'waiting for fields budget, timeline', appointment_booked: 'waiting for fields budget, timeline' },
	});
	expect(conversation.turns[2].expect).toMatchObject({
		fired: ['lead_scoring'],
		contact: { customFields: { project_timeline: 'Within 1 month', lead_score: 9 } },
		tags: { has: ['hot_lead'] },
		status: 'active',
	});
	expect(conversation.workflows).toEqual([
		{ on: { action: 'lead_scoring' }, afterMs: expect.any(Number), write: { customFields: { lead_score: 9 } }, tags: ['hot_lead'] },
	]);
	expect(conversation.workflows[0].afterMs).toBeGreaterThanOrEqual(100);

	// Run as the command runs it: it passes.
	const passing = await runTestFile(file, { engine: createOfflineEngine() });
	expect(passing.error).toBeUndefined();
	expect(passing.conversations[0].turns.flatMap((turn) => turn.checks.filter((c) => !c.ok))).toEqual([]);
	expect(passing.conversations[0].ok).toBe(true);

	// A changed outcome (the workflow now scores the lead low) fails, on the turn and the expectation it changes.
	writeFileSync(file, readFileSync(file, 'utf8').replace('lead_score: 9', 'lead_score: 3'));
	const failing = await runTestFile(file, { engine: createOfflineEngine() });
	const failed = failing.conversations[0].turns.flatMap((turn) => turn.checks.filter((c) => !c.ok).map((c) => `${turn.index}: ${c.label} — ${c.actual}`));
	expect(failed).toContain('3: contact custom field lead_score = "9" — it is "3"');
	expect(failed).toContain(
		'3: reply is "Great news! Let me connect you with a specialist. When works best for a quick call?" — the reply was "Thanks for your interest! I\'ll send you some resources that might help."',
	);
});
