// `agent-bridge test --n8n`: a conversation test with no simulated workflows passes because the real Lead Scoring and
// Appointment Booked workflows in n8n answer. The runner listens where their credential points, activates them so
// their triggers subscribe to it, waits for their executions, and deactivates them at the end.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTestCommand } from '../../agent-server/src/agent-tests/command';
import { freePort, N8nApi, readSharedN8n } from './support/n8n';
import { readWorkflow } from './support/scenario';

jest.setTimeout(180_000);

const TEST = `
agent: lead-qualifier
conversations:
  - name: a hot lead is scored by the real Lead Scoring workflow and booked by Appointment Booked
    turns:
      - say: Hi, I'm Dana and I need a new website for my bakery
        expect: { collected: { service_needed: website } }
      - say: Our budget is $25,000 and we'd like to launch within 1 month
        expect:
          fired: [lead_scoring]
          reply: Great news! Let me connect you with a specialist. When works best for a quick call?
          tags: { has: [hot_lead], lacks: [nurture_lead] }
      - say: Tomorrow at 10am works, please book a call
        expect:
          fired: [appointment_booked]
          messages: [{ contains: "You're booked, Dana!" }]
          tags: [appointment_booked]
`;

let dir: string;
afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

test('real workflows answer the conversation test, and are deactivated after it', async () => {
	const instance = readSharedN8n();
	const n8n = new N8nApi(instance);
	const port = await freePort();
	const apiKey = `ab_e2e_tests_${Date.now()}`;
	const credential = await n8n.createCredential('Agent Bridge API (conversation tests)', 'agentBridgeApi', { serverUrl: `http://127.0.0.1:${port}`, apiKey });
	const ids: string[] = [];
	for (const file of ['lead-scoring.json', 'appointment-booked.json']) ids.push((await n8n.importWorkflow(readWorkflow(file, { CREDENTIAL_ID: credential.id }))).id);

	dir = mkdtempSync(path.join(tmpdir(), 'agent-tests-n8n-'));
	const file = path.join(dir, 'lead.test.yaml');
	writeFileSync(file, TEST);
	let report = '';
	const code = await runTestCommand(
		[file],
		{ engine: 'offline', reporter: 'text', n8n: instance.url, n8nApiKey: instance.apiKey, n8nWorkflows: ids.join(','), port: String(port), apiKey },
		(s) => (report += s),
	);
	expect(report).toContain('1 passed, 0 failed (1 file)');
	expect(code).toBe(0);

	for (const id of ids) expect((await n8n.request<{ active: boolean }>('GET', `/workflows/${id}`)).active).toBe(false);
	// Each workflow ran for the test's conversation.
	for (const id of ids) expect((await n8n.executions(id)).filter((e) => e.status === 'success').length).toBeGreaterThanOrEqual(1);
});
