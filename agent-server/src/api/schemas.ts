// Request schemas shared by the routes. Objects are strict: an unknown key is a 400, not silently dropped.
import { z } from 'zod';
import { CUSTOM_FIELD_VALUE_MAX_BYTES, CUSTOM_FIELDS_PER_CONTACT, ID_MAX_LENGTH, MESSAGE_MAX_CHARS, TAGS_PER_CONTACT } from '../limits';
import { EVENT_TYPES } from '../store/subscriptions';

export const id = z.string().min(1).max(ID_MAX_LENGTH);
export const idParams = z.object({ id });

export const nonBlank = (max: number) =>
	z
		.string()
		.min(1)
		.max(max)
		.refine((s) => s.trim().length > 0, 'must not be blank');

/** A contact's address on a channel: telegram + chat id, sms + phone number, email + address, slack + user id. */
export const identityBody = z.strictObject({
	channel: z.string().min(1).max(50).regex(/^[a-z0-9_-]+$/i, 'use letters, digits, "-" and "_"'),
	address: z.string().trim().min(1).max(320),
});

export const chatBody = z.strictObject({
	agentId: id,
	text: nonBlank(MESSAGE_MAX_CHARS),
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
	identity: identityBody.optional(),
	waitMs: z.number().int().min(0).max(600_000).optional(),
});

const customFieldName = z
	.string()
	.min(1)
	.max(100)
	.regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'custom field names use letters, digits and underscores, starting with a letter');
const customFieldValue = z.union([
	z.string().refine((s) => Buffer.byteLength(s, 'utf8') <= CUSTOM_FIELD_VALUE_MAX_BYTES, `at most ${CUSTOM_FIELD_VALUE_MAX_BYTES} bytes (UTF-8)`),
	z.number(),
	z.boolean(),
	z.null(),
]);
const customFields = z
	.record(customFieldName, customFieldValue)
	.refine((r) => Object.keys(r).length <= CUSTOM_FIELDS_PER_CONTACT, `at most ${CUSTOM_FIELDS_PER_CONTACT} custom fields`);

export const patchContactBody = z.strictObject({
	firstName: z.string().max(200).nullable().optional(),
	lastName: z.string().max(200).nullable().optional(),
	email: z.string().max(320).nullable().optional(),
	phone: z.string().max(50).nullable().optional(),
	customFields: customFields.optional(),
});

const tag = z
	.string()
	.min(1)
	.max(100)
	.refine((s) => s.trim() === s && s.length > 0, 'tags have no leading or trailing spaces');
export const tagsBody = z.strictObject({ tags: z.array(tag).min(1).max(TAGS_PER_CONTACT) });
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
	channel: z.string().min(1).max(50).optional(),
	address: z.string().min(1).max(320).optional(),
});


export const mergeBody = z.strictObject({ fromContactId: id });

const standardFields = {
	firstName: z.string().max(200).optional(),
	lastName: z.string().max(200).optional(),
	email: z.string().max(320).optional(),
	phone: z.string().max(50).optional(),
};

export const createContactBody = z.strictObject({
	...standardFields,
	customFields: customFields.optional(),
	tags: z.array(tag).max(TAGS_PER_CONTACT).optional(),
});

export const startConversationBody = z
	.strictObject({
		agentId: id,
		contactId: id,
		channel: z.string().min(1).max(50).regex(/^[a-z0-9_-]+$/i, 'use letters, digits, "-" and "_"').optional(),
		text: nonBlank(MESSAGE_MAX_CHARS).optional(),
		instructions: nonBlank(MESSAGE_MAX_CHARS).optional(),
	})
	.refine((b) => (b.text === undefined) !== (b.instructions === undefined), 'give exactly one of text and instructions');

export const replyOptionsBody = z
	.strictObject({
		text: nonBlank(MESSAGE_MAX_CHARS).optional(),
		instructions: nonBlank(MESSAGE_MAX_CHARS).optional(),
		onlyIfNoReplySince: z.iso.datetime({ offset: true }).optional(),
		skipIfHuman: z.boolean().optional(),
	})
	.refine((b) => (b.text === undefined) !== (b.instructions === undefined), 'give exactly one of text and instructions');
