// n8n's "Listen for test event": the editor registers the trigger's test webhook, the trigger subscribes in test
// mode, and the agent server at once replays the last real matching event, so a builder gets real sample data
// without chatting again. When the test run is over, n8n removes the test subscription.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RunningAgentServer, startAgentServer } from './support/agent-server';
import { e2eDir, N8nApi, nodeOutput, repoRoot, waitFor } from './support/n8n';

const { n8n: n8nState } = JSON.parse(readFileSync(path.join(e2eDir, 'state.json'), 'utf8'));
const n8n = new N8nApi(n8nState);
let server: RunningAgentServer;
let workflowId: string;

beforeAll(async () => {
	server = await startAgentServer();
	const credential = await n8n.createCredential('Agent Bridge API', 'agentBridgeApi', { serverUrl: server.url, apiKey: server.apiKey });
	const text = readFileSync(path.join(repoRoot, 'docs', 'workflows', 'lead-scoring.json'), 'utf8').replaceAll('CREDENTIAL_ID', credential.id);
	const workflow = JSON.parse(text);
	workflow.name = 'Lead Scoring (test listening)';
	workflowId = (await n8n.importWorkflow(workflow)).id;
}, 120_000);

afterAll(async () => {
	await server?.stop();
});

test('listening for a test event replays the last real event into the editor run', async () => {
	// A real conversation fires the action while no workflow is active: the event is kept, not delivered.
	const first = await server.api('POST', '/v1/chat', { agentId: 'lead-qualifier', text: "Hi, I'm Sam and I need a new website" });
	const conversationId = first.body.conversation.id;
	const second = await server.api('POST', '/v1/chat', {
		agentId: 'lead-qualifier',
		conversationId,
		text: "Our budget is $30,000 and we'd like to launch within 1 month",
	});
	expect(second.body.actions.find((a: any) => a.actionId === 'lead_scoring')).toMatchObject({ fired: true });

	// What the editor does when the builder clicks "Listen for test event" on the trigger.
	const res = await fetch(`${n8nState.url}/rest/workflows/${workflowId}/run`, {
		method: 'POST',
		headers: { cookie: n8nState.cookie, 'content-type': 'application/json' },
		body: JSON.stringify({ triggerToStartFrom: { name: 'Lead Scoring Requested' } }),
	});
	expect(res.status).toBe(200);
	expect((await res.json()).data).toMatchObject({ waitingForWebhook: true });

	let execution: any;
	await waitFor(
		async () => {
			execution = (await n8n.executions(workflowId))[0];
			return Boolean(execution?.finished);
		},
		30_000,
		'the test execution',
	);
	const trigger = nodeOutput(execution, 'Lead Scoring Requested')[0][0];
	expect(trigger).toMatchObject({ type: 'agent.action.triggered', conversationId, contactId: first.body.contact.id });
	expect(nodeOutput(execution, 'Score Lead')[0][0].score).toBeGreaterThanOrEqual(7);

	// The test subscription is gone once the test run has its event; the workflow stays inactive.
	await waitFor(async () => (await server.api('GET', '/v1/subscriptions')).body.data.length === 0, 15_000, 'the test subscription to go');
}, 90_000);
