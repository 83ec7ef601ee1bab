// Contact changes made over the API (usually by workflows): fields, tags (with contact.tag.added events) and scoring.
import type { AppContext } from '../context';
import type { ContactSnapshot, CustomFieldValue, ScoreResult, TranscriptEntry } from '../engine/types';
import { resolveCausation } from '../events/publish';
import {
	addContactTags,
	findContactsBy,
	getContact,
	lockContact,
	hasContactChanges,
	insertContact,
	removeContactTag,
	snapshot,
	updateContact,
	type Contact,
	type ContactChanges,
	type StandardField,
} from '../store/contacts';
import {
	addTimeline,
	getConversation,
	latestConversationOfContact,
	type Conversation,
} from '../store/conversations';
import { engineTranscript, envelopeContext, eventTranscript } from '../conversations/lifecycle';
import { addTagsWithEvents } from '../conversations/policies';
import { deliverLateResults } from '../conversations/waits';
import { getEvent } from '../store/outbox';
import type { Queryable } from '../store/schema';
import { CUSTOM_FIELDS_PER_CONTACT, IDENTITIES_PER_CONTACT, TAGS_PER_CONTACT } from '../limits';
import { claimIdentity, contactIdOfIdentity, countIdentities, listIdentities, moveContactData, type IdentityKey } from '../store/identities';
import { HttpError, notFound } from '../util/http-error';

export function contactView(contact: Contact) {
	return {
		id: contact.id,
		firstName: contact.firstName,
		lastName: contact.lastName,
		email: contact.email,
		phone: contact.phone,
		customFields: contact.customFields,
		tags: contact.tags,
		createdAt: contact.createdAt,
		updatedAt: contact.updatedAt,
	};
}

/**
 * The contact limits (docs/limits.md): a change that would leave the contact with more custom fields or tags than
 * allowed is refused whole, with 409, before anything is written.
 */
export function checkContactLimits(contact: Pick<Contact, 'customFields' | 'tags'>, change: { custom?: Record<string, CustomFieldValue>; tags?: string[] }): void {
	if (change.custom) {
		const names = new Set(Object.keys(contact.customFields));
		for (const [name, value] of Object.entries(change.custom)) {
			if (value === null) names.delete(name);
			else names.add(name);
		}
		if (names.size > CUSTOM_FIELDS_PER_CONTACT && names.size > Object.keys(contact.customFields).length) {
			throw new HttpError(409, `a contact holds at most ${CUSTOM_FIELDS_PER_CONTACT} custom fields; this change would make ${names.size} (remove some by writing null)`);
		}
	}
	if (change.tags) {
		const tags = new Set([...contact.tags, ...change.tags]);
		if (tags.size > TAGS_PER_CONTACT) {
			throw new HttpError(409, `a contact holds at most ${TAGS_PER_CONTACT} tags; this change would make ${tags.size} (remove some first)`);
		}
	}
}

export async function contactOrThrow(db: Queryable, workspaceId: string, id: string): Promise<Contact> {
	const contact = await getContact(db, workspaceId, id);
	if (!contact) throw notFound('contact', id);
	return contact;
}

/**
 * The conversation a contact-level change belongs to: the one of the event that started the workflow, else the
 * contact's latest. Its timeline shows the change and events carry its agent.
 */
async function contextConversation(db: Queryable, workspaceId: string, contactId: string, causationHeader?: string) {
	if (causationHeader) {
		const parent = await getEvent(db, workspaceId, causationHeader);
		if (parent?.conversationId) {
			const conv = await getConversation(db, workspaceId, parent.conversationId);
			if (conv && conv.contactId === contactId) return conv;
		}
	}
	return latestConversationOfContact(db, workspaceId, contactId);
}

export async function patchContact(
	ctx: AppContext,
	workspaceId: string,
	id: string,
	changes: ContactChanges,
	causationHeader?: string,
): Promise<Contact> {
	const { db } = ctx.store;
	await contactOrThrow(db, workspaceId, id);
	const conversation = await contextConversation(db, workspaceId, id, causationHeader);
	const updated = await db.transaction().execute(async (trx) => {
		const updated = await updateContact(trx, workspaceId, id, changes, (stored) => checkContactLimits(stored, { custom: changes.custom }));
		if (!updated) throw notFound('contact', id);
		if (conversation && hasContactChanges(changes)) {
			await addTimeline(trx, workspaceId, conversation.id, 'fields.updated', {
				by: causationHeader ? 'workflow' : 'api',
				contact: { standard: changes.standard ?? {}, custom: changes.custom ?? {} },
				...(causationHeader ? { causationEventId: causationHeader } : {}),
			});
		}
		return updated;
	});
	await deliverLateResults(ctx, workspaceId, id);
	return updated;
}

export async function findContacts(ctx: AppContext, workspaceId: string, query: { email?: string; phone?: string; channel?: string; address?: string }) {
	const { db } = ctx.store;
	const { channel, address, ...byField } = query;
	if (channel === undefined || address === undefined) return (await findContactsBy(db, workspaceId, byField)).map(contactView);
	const ownerId = await contactIdOfIdentity(db, workspaceId, { channel, address });
	const owner = ownerId ? await getContact(db, workspaceId, ownerId) : undefined;
	const matches = owner && (byField.email === undefined || owner.email === byField.email) && (byField.phone === undefined || owner.phone === byField.phone);
	return matches ? [contactView(owner)] : [];
}

export async function contactIdentities(ctx: AppContext, workspaceId: string, contactId: string) {
	await contactOrThrow(ctx.store.db, workspaceId, contactId);
	return listIdentities(ctx.store.db, workspaceId, contactId);
}

/**
 * Gives the contact an identity. Adding one it already has changes nothing; one that belongs to another contact of
 * the workspace is refused with 409 (merge the contacts instead). Returns the contact's identities and whether it was new.
 */
export async function addIdentity(ctx: AppContext, workspaceId: string, contactId: string, identity: IdentityKey) {
	const { db } = ctx.store;
	return db.transaction().execute(async (trx) => {
		if (!(await lockContact(trx, workspaceId, contactId))) throw notFound('contact', contactId);
		const existing = await contactIdOfIdentity(trx, workspaceId, identity);
		if (existing === contactId) return { created: false, identities: await listIdentities(trx, workspaceId, contactId) };
		if (!existing && (await countIdentities(trx, workspaceId, contactId)) >= IDENTITIES_PER_CONTACT) {
			throw new HttpError(409, `a contact holds at most ${IDENTITIES_PER_CONTACT} identities`);
		}
		const owner = existing ?? (await claimIdentity(trx, workspaceId, contactId, identity));
		if (owner !== contactId) throw new HttpError(409, `identity ${identity.channel}:${identity.address} belongs to contact ${owner}; merge the contacts instead`);
		return { created: true, identities: await listIdentities(trx, workspaceId, contactId) };
	});
}

/** What the target takes from the source: standard and custom fields it lacks, and tags. */
function mergedChanges(target: Contact, source: Contact): { changes: ContactChanges; tags: string[] } {
	const standard: Partial<Record<StandardField, string | null>> = {};
	for (const field of ['firstName', 'lastName', 'email', 'phone'] as const) {
		if (target[field] === null && source[field] !== null) standard[field] = source[field];
	}
	const custom = Object.fromEntries(Object.entries(source.customFields).filter(([name]) => !(name in target.customFields)));
	return { changes: { standard, custom }, tags: source.tags };
}

/**
 * Merges the source contact into the target in one transaction: the target keeps its own fields and takes those it
 * lacks, gains the source's tags, identities, conversations (and widget sessions), and the source is deleted.
 */
export async function mergeContacts(ctx: AppContext, workspaceId: string, targetId: string, sourceId: string) {
	if (targetId === sourceId) throw new HttpError(400, 'body/fromContactId: a contact cannot be merged into itself');
	const { db } = ctx.store;
	return db.transaction().execute(async (trx) => {
		// Both rows locked in id order, so two merges of the same pair cannot deadlock.
		const locked = new Map<string, Contact | undefined>();
		for (const id of [targetId, sourceId].sort()) locked.set(id, await lockContact(trx, workspaceId, id));
		const target = locked.get(targetId);
		const source = locked.get(sourceId);
		if (!target) throw notFound('contact', targetId);
		if (!source) throw notFound('contact', sourceId);
		const { changes, tags } = mergedChanges(target, source);
		checkContactLimits(target, { custom: changes.custom, tags });
		const identityCount = (await countIdentities(trx, workspaceId, targetId)) + (await countIdentities(trx, workspaceId, sourceId));
		if (identityCount > IDENTITIES_PER_CONTACT) {
			throw new HttpError(409, `a contact holds at most ${IDENTITIES_PER_CONTACT} identities; the merged contact would have ${identityCount}`);
		}
		if (hasContactChanges(changes)) await updateContact(trx, workspaceId, targetId, changes);
		await addContactTags(trx, workspaceId, targetId, tags);
		const moved = await moveContactData(trx, workspaceId, sourceId, targetId);
		return {
			contact: contactView((await getContact(trx, workspaceId, targetId))!),
			identities: await listIdentities(trx, workspaceId, targetId),
			moved: { ...moved, fields: [...Object.keys(changes.standard ?? {}), ...Object.keys(changes.custom ?? {})], tags: tags.filter((t) => !target.tags.includes(t)) },
		};
	});
}

export async function createContact(
	ctx: AppContext,
	workspaceId: string,
	input: { standard: Partial<Record<StandardField, string>>; custom: Record<string, CustomFieldValue>; tags: string[] },
	causationHeader?: string,
): Promise<Contact> {
	const { db } = ctx.store;
	const created = await db.transaction().execute(async (trx) => {
		const contact = await insertContact(trx, workspaceId, { standard: input.standard });
		return Object.keys(input.custom).length ? (await updateContact(trx, workspaceId, contact.id, { custom: input.custom }))! : contact;
	});
	return input.tags.length ? addTags(ctx, workspaceId, created.id, input.tags, causationHeader) : created;
}

export async function addTags(ctx: AppContext, workspaceId: string, id: string, tags: string[], causationHeader?: string): Promise<Contact> {
	const { db } = ctx.store;
	const contact = await contactOrThrow(db, workspaceId, id);
	const added = [...new Set(tags)].filter((t) => !contact.tags.includes(t));
	if (added.length === 0) return contact;
	const conversation = await contextConversation(db, workspaceId, id, causationHeader);
	const causation = await resolveCausation(db, workspaceId, causationHeader);
	const { transcript, total } = conversation ? await eventTranscript(db, workspaceId, conversation.id) : { transcript: [], total: 0 };
	const agent = conversation ? (await ctx.agentsFor(workspaceId)).get(conversation.agentId) : undefined;
	const context = envelopeContext(workspaceId, causation, contact, conversation, agent, transcript, total);
	const addedBy = causationHeader ? 'workflow' : 'api';
	const tagged = await db.transaction().execute((trx) => addTagsWithEvents(trx, ctx, workspaceId, id, tags, { context, causation, addedBy, check: (stored, added) => checkContactLimits(stored, { tags: added }) }));
	if (!tagged) throw notFound('contact', id);
	if (tagged.queued > 0) ctx.deliveriesQueued();
	return tagged.contact;
}

export async function removeTag(ctx: AppContext, workspaceId: string, id: string, tag: string, causationHeader?: string): Promise<Contact> {
	const { db } = ctx.store;
	await contactOrThrow(db, workspaceId, id);
	const conversation = await contextConversation(db, workspaceId, id, causationHeader);
	return db.transaction().execute(async (trx) => {
		const result = await removeContactTag(trx, workspaceId, id, tag);
		if (!result) throw notFound('contact', id);
		if (result.removed && conversation) {
			await addTimeline(trx, workspaceId, conversation.id, 'tag.removed', {
				tag,
				removedBy: causationHeader ? 'workflow' : 'api',
				...(causationHeader ? { causationEventId: causationHeader } : {}),
			});
		}
		return result.contact;
	});
}

export interface ScoreRequest {
	rubric?: string;
	conversationId?: string;
	writeToField?: string;
	fields?: string[];
	transcriptMessages?: number;
}

/** Narrows what the scorer sees to the fields and the number of latest messages the caller chose. */
function scoringInput(contact: ContactSnapshot, collected: Record<string, string>, transcript: TranscriptEntry[], request: ScoreRequest) {
	const latest = request.transcriptMessages === undefined ? transcript : request.transcriptMessages === 0 ? [] : transcript.slice(-request.transcriptMessages);
	if (!request.fields) return { contact, collected, transcript: latest };
	const keep = new Set(request.fields);
	const pick = <T>(record: Record<string, T>) => Object.fromEntries(Object.entries(record).filter(([name]) => keep.has(name)));
	const standard = (name: 'firstName' | 'lastName' | 'email' | 'phone') => (keep.has(name) ? contact[name] : null);
	return {
		contact: {
			...contact,
			firstName: standard('firstName'),
			lastName: standard('lastName'),
			email: standard('email'),
			phone: standard('phone'),
			customFields: pick(contact.customFields),
		},
		collected: pick(collected),
		transcript: latest,
	};
}

export async function scoreContact(
	ctx: AppContext,
	workspaceId: string,
	id: string,
	request: ScoreRequest,
	causationHeader?: string,
): Promise<ScoreResult & { contactId: string }> {
	const { db } = ctx.store;
	const contact = await contactOrThrow(db, workspaceId, id);
	let conversation: Conversation | undefined;
	if (request.conversationId) {
		conversation = await getConversation(db, workspaceId, request.conversationId);
		if (!conversation) throw notFound('conversation', request.conversationId);
		if (conversation.contactId !== id) throw new HttpError(400, `conversation ${conversation.id} is not a conversation of contact ${id}`);
	} else {
		conversation = await contextConversation(db, workspaceId, id, causationHeader);
	}
	const transcript = conversation ? await engineTranscript(db, workspaceId, conversation.id) : [];
	const result = await ctx.engine.scoreLead({
		...scoringInput(snapshot(contact), conversation?.collected ?? {}, transcript, request),
		...(request.rubric !== undefined ? { rubric: request.rubric } : {}),
	});
	const score = Math.min(10, Math.max(1, Math.round(result.score)));
	const confidence = Math.min(1, Math.max(0, result.confidence));
	if (request.writeToField) {
		const field = request.writeToField;
		const custom: Record<string, CustomFieldValue> = { [field]: score };
		await db.transaction().execute(async (trx) => {
			if (!(await updateContact(trx, workspaceId, id, { custom }))) throw notFound('contact', id);
			if (conversation) {
				await addTimeline(trx, workspaceId, conversation.id, 'fields.updated', {
					by: causationHeader ? 'workflow' : 'api',
					contact: { standard: {}, custom },
					reason: 'lead score',
				});
			}
		});
		await deliverLateResults(ctx, workspaceId, id);
	}
	return { contactId: id, score, rationale: result.rationale, confidence };
}
