import { hookContext, reply } from './support/helpers';
import { SECRET, hooksOf, signedRequest } from './support/triggers';
import { ConversationEndedTrigger } from '../../nodes/ConversationEndedTrigger/ConversationEndedTrigger.node';

const trigger = new ConversationEndedTrigger();
const { hooks, webhook } = hooksOf(trigger);

describe('Conversation Ended Trigger', () => {
	it('is a webhook trigger with the agreed names and filters', () => {
		const { description } = trigger;
		expect(description.name).toBe('conversationEndedTrigger');
		expect(description.displayName).toBe('Conversation Ended Trigger');
		expect(description.group).toEqual(['trigger']);
		expect(description.inputs).toEqual([]);
		expect(description.properties.map((p) => p.name)).toEqual([
			'notice',
			'agentId',
			'channel',
			'outcome',
			'endReason',
		]);
		expect(trigger.methods.loadOptions).toHaveProperty('getOutcomes');
		const endReason = description.properties.find((p) => p.name === 'endReason');
		expect(endReason?.options?.map((o) => (o as { value: string }).value)).toEqual([
			'',
			'closed',
			'closing_intent',
			'handoff',
			'inactivity',
			'max_turns',
		]);
	});

	it('subscribes to conversation.ended with agent, channel, outcome and end reason', async () => {
		const { context, httpRequestWithAuthentication } = hookContext({
			params: { agentId: 'lead-qualifier', channel: 'web', outcome: 'interested', endReason: 'inactivity' },
			request: async () => reply({ id: 'sub_1', secret: SECRET }, 201),
		});
		await hooks.create.call(context);
		expect(httpRequestWithAuthentication.mock.calls[0][1].body).toMatchObject({
			events: ['conversation.ended'],
			filters: { agentId: 'lead-qualifier', channel: 'web', outcome: 'interested', endReason: 'inactivity' },
		});
	});

	it('outputs outcome, end reason and end time at the top level', async () => {
		// The server's `ending` (docs/events.md).
		const envelope = {
			id: 'evt_2',
			type: 'conversation.ended',
			createdAt: '2026-11-24T12:30:00.000Z',
			conversation: { id: 'conv_1', channel: 'web', status: 'ended' },
			contact: { id: 'ct_1' },
			ending: {
				reason: 'inactivity',
				detail: 'no message for 30 minutes',
				outcome: 'interested',
				summary: 'Needs a website.',
				turns: 2,
				endedAt: '2026-11-24T12:29:59.000Z',
			},
		};
		const result = await webhook.call(signedRequest(envelope).context);
		expect(result.workflowData?.[0][0].json).toMatchObject({
			eventId: 'evt_2',
			conversationId: 'conv_1',
			outcome: 'interested',
			endReason: 'inactivity',
			endedAt: '2026-11-24T12:29:59.000Z',
			ending: envelope.ending,
		});
	});

	it('gives null outcome, end reason and end time when the event has no ending', async () => {
		const result = await webhook.call(signedRequest({ id: 'evt_3', createdAt: 'now' }).context);
		expect(result.workflowData?.[0][0].json).toMatchObject({ outcome: null, endReason: null, endedAt: null });
	});
});
