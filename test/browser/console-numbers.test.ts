// The numbers view from real conversations: three conversations run through POST /v1/chat on the bundled lead
// qualifier (one fires Lead Scoring and a workflow writes the score back, one asks for a human), then the page's
// totals, charts and tables show the API's numbers, and the CSV it downloads holds the API's rows.
import { readFileSync } from 'node:fs';
import { loadAgents } from '../../agent-server/src/agents/agent-files';
import { createOfflineEngine } from '../../agent-server/src/engine/offline';
import { buildTestApp, waitUntil, type TestApp } from '../../agent-server/src/testing/harness';
import { consolePage, launchBrowser, leadScoringWorkflow, listen } from './support/console';

jest.setTimeout(90_000);

let t: TestApp;
let server: string;
let workflow: Awaited<ReturnType<typeof leadScoringWorkflow>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
const today = new Date().toISOString().slice(0, 10);

async function say(text: string, conversationId?: string) {
	const res = await t.call('POST', '/v1/chat', { agentId: 'lead-qualifier', text, contact: { firstName: 'Dana' }, ...(conversationId ? { conversationId } : {}) });
	expect(res.statusCode).toBe(200);
	return res.json();
}

beforeAll(async () => {
	t = await buildTestApp({ agents: loadAgents(), engine: createOfflineEngine(), relay: { pollIntervalMs: 20 }, conversations: { sweepIntervalMs: 0 } });
	server = await listen(t.app);
	workflow = await leadScoringWorkflow(t);
	await t.call('POST', '/v1/subscriptions', { url: workflow.url, events: ['agent.action.triggered'] });

	const hot = await say('Hi, I need a new website');
	await say('Around $25k', hot.conversation.id);
	const scored = await say('Within 1 month would be ideal', hot.conversation.id);
	expect(scored.actions.find((a: { actionId: string }) => a.actionId === 'lead_scoring')?.fired).toBe(true);
	expect((await t.call('POST', `/v1/conversations/${hot.conversation.id}/end`, { outcome: 'booked' })).statusCode).toBe(200);
	const human = await say('Can I talk to a real person?');
	expect(human.conversation.status).toBe('human');
	await say('We need a mobile app');
	await waitUntil(async () => (await t.call('GET', `/v1/stats?from=${today}&to=${today}`)).json().totals.roundTrips === 1, 10_000, 'the round trip');

	browser = await launchBrowser();
});

afterAll(async () => {
	await browser?.close();
	await workflow?.close();
	await t?.close();
});

test('the charts and tables show the numbers of real conversations, and the CSV download holds the API rows', async () => {
	const stats = (await t.call('GET', `/v1/stats?from=${today}&to=${today}`)).json();
	expect(stats.totals).toMatchObject({ conversations: 3, ended: 1, outcomes: { booked: 1 }, actionsFired: 1, roundTrips: 1, handoffs: 1 });
	expect(stats.totals.roundTripAvgMs).toBeGreaterThanOrEqual(150);

	const page = await consolePage(browser.context, server, t.apiKey, '/console/numbers');
	await page.getByLabel('From', { exact: true }).fill(today);
	await page.getByLabel('To', { exact: true }).fill(today);
	await page.getByRole('button', { name: 'Show' }).click();
	await page.locator(`body[data-loaded="${today}/${today}"]`).waitFor();

	// Totals, as a team member reads them.
	const metric = async (name: string) => (await page.locator(`#totals [data-metric="${name}"] dd`).textContent())?.trim();
	expect(await metric('conversations')).toBe('3');
	expect(await metric('actionsFired')).toBe('1');
	expect(await metric('roundTrips')).toBe('1');
	expect(await metric('roundTripAvgMs')).toBe(String(stats.totals.roundTripAvgMs));
	expect(await metric('handoffs')).toBe('1');
	expect(await metric('fieldsCollected')).toBe(String(stats.totals.fieldsCollected));

	// Each chart is drawn (a canvas) from the day's numbers, and says them in words.
	for (const id of ['chart-activity', 'chart-actions', 'chart-roundtrip']) await page.locator(`#${id} canvas`).waitFor();
	const drawn = await page.evaluate(() => {
		const charts = (window as unknown as { consoleCharts: Record<string, { data: (number | null)[][]; series: { label?: string }[] }> }).consoleCharts;
		return Object.fromEntries(Object.entries(charts).map(([id, u]) => [id, u.series.slice(1).map((s, i) => [s.label, u.data[i + 1]])]));
	});
	expect(drawn['chart-activity']).toEqual([
		['Conversations', [3]],
		['Handoffs', [1]],
		['Fallbacks', [0]],
	]);
	expect(drawn['chart-actions']).toEqual([
		['Actions fired', [1]],
		['Round trips', [1]],
		['Delivery failures', [0]],
	]);
	expect(drawn['chart-roundtrip']).toEqual([['Round trip avg (ms)', [stats.totals.roundTripAvgMs]]]);
	expect(await page.locator('#chart-activity').getAttribute('aria-label')).toContain('Conversations 3, Handoffs 1, Fallbacks 0');

	// The tables beside the charts.
	expect(await page.locator('#outcomes-table tbody tr').allTextContents()).toEqual(['booked1']);
	const dayRow = await page.locator('#days-table tbody tr').first().locator('td').allTextContents();
	expect(dayRow).toEqual([today, '3', '1', String(stats.totals.fieldsCollected), '1', '1', String(stats.totals.roundTripAvgMs), '0', '1', '0']);

	// The CSV the page downloads is the API's, row for row.
	const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
	expect(download.suggestedFilename()).toBe(`agent-bridge-numbers-${today}-to-${today}.csv`);
	const csv = readFileSync((await download.path()) as string, 'utf8');
	const [header, ...lines] = csv.trimEnd().split('\r\n').map((l) => l.split(','));
	const column = (row: string[], name: string) => row[header.indexOf(name)];
	expect(lines.map((l) => column(l, 'agent_id'))).toEqual(stats.rows.map((r: { agentId: string }) => r.agentId));
	for (const [i, row] of stats.rows.entries()) {
		expect({
			day: column(lines[i], 'day'),
			conversations: column(lines[i], 'conversations'),
			booked: column(lines[i], 'outcome:booked'),
			fields: column(lines[i], 'fields_collected'),
			actions: column(lines[i], 'actions_fired'),
			roundTrip: column(lines[i], 'round_trip_avg_ms'),
			handoffs: column(lines[i], 'handoffs'),
		}).toEqual({
			day: row.day,
			conversations: String(row.conversations),
			booked: String(row.outcomes.booked ?? 0),
			fields: String(row.fieldsCollected),
			actions: String(row.actionsFired),
			roundTrip: row.roundTripAvgMs === null ? '' : String(row.roundTripAvgMs),
			handoffs: String(row.handoffs),
		});
	}
	await page.close();
});

test('picking an agent and a period shows only its numbers; a period too long says why', async () => {
	const page = await consolePage(browser.context, server, t.apiKey, '/console/numbers');
	await page.locator('#agent').selectOption({ label: 'Lead Qualifier (lead-qualifier)' });
	await page.getByLabel('From', { exact: true }).fill('2026-01-01');
	await page.getByLabel('To', { exact: true }).fill('2026-12-31');
	await page.getByRole('button', { name: 'Show' }).click();
	await page.getByRole('status').filter({ hasText: 'at most 92 days' }).waitFor();
	await page.getByLabel('From', { exact: true }).fill(today);
	await page.getByLabel('To', { exact: true }).fill(today);
	await page.getByRole('button', { name: 'Show' }).click();
	await page.getByRole('status').filter({ hasText: `(lead-qualifier)` }).waitFor();
	expect((await page.locator('#agents-table tbody tr').allTextContents()).length).toBe(1);
	await page.close();
});
