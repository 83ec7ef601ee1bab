import { hookContext, reply } from './support/helpers';
import { SECRET, hooksOf, signedRequest } from './support/triggers';
import { AiAgentTrigger } from '../../nodes/AiAgentTrigger/AiAgentTrigger.node';

// The lifecycle, signature check and de-duplication are tested for every trigger in TriggerFunctions.test.ts.
const trigger = new AiAgentTrigger();
const { hooks, webhook } = hooksOf(trigger);

describe('AI Agent Trigger', () => {
	it('is a webhook trigger with the agreed names', () => {
		const { description } = trigger;
		expect(description.name).toBe('aiAgentTrigger');
		expect(description.displayName).toBe('AI Agent Trigger');
		expect(description.group).toEqual(['trigger']);
		expect(description.inputs).toEqual([]);
		expect(description.credentials).toEqual([{ name: 'agentBridgeApi', required: true }]);
		expect(description.webhooks).toEqual([
			{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'webhook' },
		]);
		expect(description.properties.map((p) => p.name)).toEqual(['notice', 'agentId', 'actionId']);
		expect(description.properties[2].typeOptions?.loadOptionsDependsOn).toEqual(['agentId']);
	});

	it('leaves out empty filters (any agent, any action)', async () => {
		const { context, httpRequestWithAuthentication } = hookContext({
			params: { agentId: '', actionId: '' },
			request: async () => reply({ id: 'sub_2', secret: SECRET }, 201),
		});
		await hooks.create.call(context);
		expect(httpRequestWithAuthentication.mock.calls[0][1].body.filters).toEqual({});
	});

	it('outputs which action fired and why at the top level', async () => {
		const envelope = {
			id: 'evt_1',
			type: 'agent.action.triggered',
			conversation: { id: 'conv_1', channel: 'api' },
			contact: { id: 'ct_1' },
			action: { id: 'lead_scoring', name: 'Lead Scoring', condition: 'fields budget, timeline provided' },
		};
		const result = await webhook.call(signedRequest(envelope).context);
		expect(result.workflowData?.[0][0].json).toMatchObject({
			eventId: 'evt_1',
			contactId: 'ct_1',
			conversationId: 'conv_1',
			actionId: 'lead_scoring',
			actionName: 'Lead Scoring',
			condition: 'fields budget, timeline provided',
			action: envelope.action,
		});
	});
});
