// Request schemas shared by the routes. Objects are strict: an unknown key is a 400, not silently dropped.
import { z } from 'zod';
import { ID_MAX_LENGTH } from '../limits';
import { EVENT_TYPES } from '../store/subscriptions';

export const id = z.string().min(1).max(ID_MAX_LENGTH);
export const idParams = z.object({ id });

export const nonBlank = (max: number) =>
	z
		.string()
		.min(1)
		.max(max)
		.refine((s) => s.trim().length > 0, 'must not be blank');

export const chatBody = z.strictObject({
	agentId: id,
	text: nonBlank(4000),
	conversationId: id.optional(),
	contactId: id.optional(),
	contact: z
		.strictObject({
			firstName: z.string().max(200).optional(),
			lastName: z.string().max(200).optional(),
			email: z.string().max(320).optional(),
			phone: z.string().max(50).optional(),
		})
		.optional(),
	channel: z.string().min(1).max(50).regex(/^[a-z0-9_-]+$/i, 'use letters, digits, "-" and "_"').optional(),
});

const customFieldName = z
	.string()
	.min(1)
	.max(100)
	.regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'custom field names use letters, digits and underscores, starting with a letter');
const customFieldValue = z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]);

export const patchContactBody = z.strictObject({
	firstName: z.string().max(200).nullable().optional(),
	lastName: z.string().max(200).nullable().optional(),
	email: z.string().max(320).nullable().optional(),
	phone: z.string().max(50).nullable().optional(),
	customFields: z.record(customFieldName, customFieldValue).optional(),
});

const tag = z
	.string()
	.min(1)
	.max(100)
	.refine((s) => s.trim() === s && s.length > 0, 'tags have no leading or trailing spaces');
export const tagsBody = z.strictObject({ tags: z.array(tag).min(1).max(100) });
export const tagParams = z.object({ id, tag });

export const scoreBody = z
	.strictObject({
		rubric: z.string().max(10_000).optional(),
		conversationId: id.optional(),
		writeToField: customFieldName.optional(),
		/** Only these standard, custom or collected fields reach the scorer. */
		fields: z.array(z.string().min(1).max(100)).min(1).max(100).optional(),
		/** How many of the latest transcript messages reach the scorer (0: none). */
		transcriptMessages: z.number().int().min(0).max(10_000).optional(),
	})
	// Every field is optional, so no body at all is fine too.
	.nullish();

export const subscriptionBody = z.strictObject({
	url: z.url({ protocol: /^https?$/, error: (issue) => (issue.input === undefined ? 'is required' : 'must be an http(s) URL') }).max(2000),
	events: z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length),
	filters: z
		.strictObject({
			agentId: id.optional(),
			actionId: id.optional(),
			channel: z.string().min(1).max(50).optional(),
			outcome: z.string().min(1).max(100).optional(),
			endReason: z.string().min(1).max(100).optional(),
			tags: z.array(z.string().min(1).max(100)).max(100).optional(),
			addedBy: z.enum(['agent', 'workflow', 'api']).optional(),
		})
		.optional(),
	sendTestEvent: z.boolean().optional(),
});

export const contactQuery = z.strictObject({
	email: z.string().min(1).max(320).optional(),
	phone: z.string().min(1).max(50).optional(),
});

const standardFields = {
	firstName: z.string().max(200).optional(),
	lastName: z.string().max(200).optional(),
	email: z.string().max(320).optional(),
	phone: z.string().max(50).optional(),
};

export const createContactBody = z.strictObject({
	...standardFields,
	customFields: z.record(customFieldName, customFieldValue).optional(),
	tags: z.array(tag).max(100).optional(),
});

export const startConversationBody = z
	.strictObject({
		agentId: id,
		contactId: id,
		channel: z.string().min(1).max(50).regex(/^[a-z0-9_-]+$/i, 'use letters, digits, "-" and "_"').optional(),
		text: nonBlank(4000).optional(),
		instructions: nonBlank(4000).optional(),
	})
	.refine((b) => (b.text === undefined) !== (b.instructions === undefined), 'give exactly one of text and instructions');

export const replyOptionsBody = z
	.strictObject({
		text: nonBlank(4000).optional(),
		instructions: nonBlank(4000).optional(),
		onlyIfNoReplySince: z.iso.datetime({ offset: true }).optional(),
		skipIfHuman: z.boolean().optional(),
	})
	.refine((b) => (b.text === undefined) !== (b.instructions === undefined), 'give exactly one of text and instructions');
