// The documented example envelope of each event type (docs/events.md), for n8n's "Listen for test event".
import type { EventEnvelope } from '../store/outbox';
import type { EventType } from '../store/subscriptions';
import { newId, nowIso } from '../util/ids';

export function exampleEnvelope(type: EventType, workspaceId: string): EventEnvelope {
	const base: EventEnvelope = {
		id: newId('evt'),
		type,
		version: 1,
		createdAt: nowIso(),
		workspaceId,
		causation: { depth: 0, parentEventId: null },
		agent: { id: 'lead-qualifier', name: 'Lead Qualifier' },
		conversation: {
			id: 'conv_example',
			channel: type === 'conversation.message.outgoing' ? 'telegram' : 'api',
			status: type === 'conversation.ended' ? 'ended' : type === 'conversation.handoff' ? 'human' : 'active',
		},
		contact: {
			id: 'ct_example',
			firstName: 'Dana',
			lastName: null,
			email: 'dana@example.com',
			phone: null,
			customFields: { budget_range: '$25,000' },
			tags: type === 'contact.tag.added' ? ['hot_lead'] : [],
		},
	};
	const extra =
		type === 'agent.action.triggered'
			? { action: { id: 'lead_scoring', name: 'Lead Scoring', condition: 'fields budget, timeline provided' } }
			: type === 'conversation.ended'
				? {
						ending: {
							reason: 'inactivity',
							detail: 'no message for 30 minutes',
							outcome: 'interested',
							summary: 'Dana needs a new website, has a $25,000 budget and wants to start within a month.',
							turns: 2,
							endedAt: base.createdAt,
						},
					}
				: type === 'conversation.message.outgoing'
					? {
							message: { id: 'msg_example', text: 'Great news Dana, your lead score is 9. A teammate will call you today.', role: 'agent', source: 'workflow' },
							channel: 'telegram',
							identity: { channel: 'telegram', address: '123456789' },
						}
					: type === 'conversation.handoff'
						? {
								handoff: {
									reason: 'the contact asked for a human',
									by: 'agent',
									consolePath: '/console?conversation=conv_example',
									consoleUrl: 'https://agents.example.com/console?conversation=conv_example',
								},
							}
						: { tag: 'hot_lead', addedBy: 'workflow' };
	return {
		...base,
		...extra,
		collected: { service_needed: 'website', budget: '$25,000', timeline: 'within 1 month' },
		summary: 'Dana needs a new website, has a $25,000 budget and wants to start within a month.',
		intent: 'ready_to_buy',
		sentiment: 'positive',
		transcript: [
			{ role: 'contact', text: 'Hi, we need a new website.', at: base.createdAt },
			{ role: 'agent', text: 'Happy to help! What budget do you have in mind?', at: base.createdAt },
			{ role: 'contact', text: 'Around $25,000, and we want to start within a month.', at: base.createdAt },
		],
		variables: {},
		example: true,
	};
}
