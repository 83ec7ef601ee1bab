// n8n's "Listen for test event": the editor registers the trigger's test webhook, the trigger subscribes in test
// mode, and the agent server at once replays the last real matching event, so a builder gets real sample data
// without chatting again. When the test run is over, n8n removes the test subscription.
import { nodeOutput, waitFor } from './support/n8n';
import { useScenario } from './support/scenario';

// Imported but left inactive: the editor's test run is the only listener.
const s = useScenario({
	workflows: ['lead-scoring.json'],
	edit: (workflow) => {
		workflow.name = 'Lead Scoring (test listening)';
	},
	activate: false,
});

test('listening for a test event replays the last real event into the editor run', async () => {
	// A real conversation fires the action while no workflow is active: the event is kept, not delivered.
	const first = await s.chat('lead-qualifier', "Hi, I'm Sam and I need a new website");
	const conversationId = first.conversation.id;
	const second = await s.chat('lead-qualifier', "Our budget is $30,000 and we'd like to launch within 1 month", conversationId);
	expect(second.actions.find((a) => a.actionId === 'lead_scoring')).toMatchObject({ fired: true });

	// What the editor does when the builder clicks "Listen for test event" on the trigger.
	const res = await fetch(`${s.instance.url}/rest/workflows/${s.workflowIds[0]}/run`, {
		method: 'POST',
		headers: { cookie: s.instance.cookie, 'content-type': 'application/json' },
		body: JSON.stringify({ triggerToStartFrom: { name: 'Lead Scoring Requested' } }),
	});
	expect(res.status).toBe(200);
	expect((await res.json()).data).toMatchObject({ waitingForWebhook: true });

	let execution: any;
	await waitFor(
		async () => {
			execution = (await s.n8n.executions(s.workflowIds[0]))[0];
			return Boolean(execution?.finished);
		},
		30_000,
		'the test execution',
	);
	const trigger = nodeOutput(execution, 'Lead Scoring Requested')[0][0];
	expect(trigger).toMatchObject({ type: 'agent.action.triggered', conversationId, contactId: first.contact.id });
	expect(nodeOutput(execution, 'Score Lead')[0][0].score).toBeGreaterThanOrEqual(7);

	// The test subscription is gone once the test run has its event; the workflow stays inactive.
	await s.waitForSubscriptions(0, 'the test subscription to go', 15_000);
}, 90_000);
