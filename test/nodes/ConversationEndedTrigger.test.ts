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
			'event',
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

	it('offers the handoff as an event, with the end-only filters hidden for it', () => {
		const event = trigger.description.properties.find((p) => p.name === 'event');
		expect(event?.default).toBe('conversation.ended');
		expect(event?.options?.map((o) => (o as { value: string }).value)).toEqual(['conversation.ended', 'conversation.handoff']);
		for (const name of ['outcome', 'endReason']) {
			expect(trigger.description.properties.find((p) => p.name === name)?.displayOptions).toEqual({ show: { event: ['conversation.ended'] } });
		}
	});

	it('subscribes to conversation.handoff with the agent and channel only', async () => {
		const { context, httpRequestWithAuthentication } = hookContext({
			params: { event: 'conversation.handoff', agentId: 'lead-qualifier', channel: 'web', outcome: 'interested', endReason: 'inactivity' },
			request: async () => reply({ id: 'sub_2', secret: SECRET }, 201),
		});
		await hooks.create.call(context);
		const body = httpRequestWithAuthentication.mock.calls[0][1].body;
		expect(body.events).toEqual(['conversation.handoff']);
		expect(body.filters).toEqual({ agentId: 'lead-qualifier', channel: 'web' });
	});

	it('outputs the handoff reason and the console link at the top level, to alert the team', async () => {
		// The server's `handoff` (docs/events.md).
		const envelope = {
			id: 'evt_4',
			type: 'conversation.handoff',
			createdAt: '2026-11-24T12:30:00.000Z',
			conversation: { id: 'conv_1', channel: 'web', status: 'human' },
			contact: { id: 'ct_1' },
			handoff: {
				reason: 'the contact asked for a human',
				by: 'agent',
				consolePath: '/console?conversation=conv_1',
				consoleUrl: 'https://agents.example.com/console?conversation=conv_1',
			},
		};
		const result = await webhook.call(signedRequest(envelope).context);
		expect(result.workflowData?.[0][0].json).toMatchObject({
			eventId: 'evt_4',
			conversationId: 'conv_1',
			handoffReason: 'the contact asked for a human',
			consoleUrl: 'https://agents.example.com/console?conversation=conv_1',
			consolePath: '/console?conversation=conv_1',
			handoff: envelope.handoff,
		});
		expect(result.workflowData?.[0][0].json).not.toHaveProperty('outcome');
	});

	it('gives null outcome, end reason and end time when the event has no ending', async () => {
		const result = await webhook.call(signedRequest({ id: 'evt_3', createdAt: 'now' }).context);
		expect(result.workflowData?.[0][0].json).toMatchObject({ outcome: null, endReason: null, endedAt: null });
	});
});
