// "Save as test": a stored conversation becomes a test file whose expectations are its outcomes as they are now:
// each turn's reply, later messages, collected values, contact changes, tags, actions and status, with the
// workflows' effects replayed by simulated workflows (what each wrote, when, after the action that fired it).
import { stringify } from 'yaml';
import type { AppContext } from '../context';
import { getConversationDetail } from '../conversations/service';
import type { AgentConfig } from '../engine/agent-config';
import { getContact } from '../store/contacts';
import { notFound } from '../util/http-error';
import type { ContactSnapshot } from '../engine/types';
import type { Expectation, SimulatedWorkflow, TestFile, Turn } from './format';
import type { MessageView, TimelineEntry } from './expectations';

export interface SavedConversation {
	id: string;
	agentId: string;
	channel: string;
	messages: (MessageView & { createdAt?: string })[];
	timeline: TimelineEntry[];
}

type Writes = NonNullable<SimulatedWorkflow['write']>;
type StandardKey = 'firstName' | 'lastName' | 'email' | 'phone';
const STANDARD: StandardKey[] = ['firstName', 'lastName', 'email', 'phone'];

/** A turn's slice of the timeline: from a contact's message (or an ending over the API) to the next. */
interface Slice {
	say?: string;
	end?: { outcome?: string };
	entries: TimelineEntry[];
}

function slices(timeline: TimelineEntry[]): Slice[] {
	const out: Slice[] = [];
	for (const e of timeline) {
		if (e.kind === 'message' && e.detail.role === 'contact') out.push({ say: String(e.detail.text), entries: [e] });
		else if (e.kind === 'conversation.ended' && e.detail.by !== 'agent' && out.length) {
			out.push({ end: e.detail.outcome ? { outcome: String(e.detail.outcome) } : {}, entries: [e] });
		} else out[out.length - 1]?.entries.push(e);
	}
	return out;
}

/** Contact changes of entries, merged in order: standard fields and custom fields. */
function contactChanges(entries: TimelineEntry[]): Writes {
	const out: Writes = {};
	for (const e of entries.filter((x) => x.kind === 'fields.updated')) {
		const contact = (e.detail.contact ?? {}) as { standard?: Record<string, string | null>; custom?: Record<string, unknown> };
		for (const [k, v] of Object.entries(contact.standard ?? {})) if (STANDARD.includes(k as StandardKey)) out[k as StandardKey] = v;
		for (const [k, v] of Object.entries(contact.custom ?? {})) out.customFields = { ...out.customFields, [k]: v as string | number | boolean | null };
	}
	return out;
}

const isWorkflowEffect = (e: TimelineEntry) =>
	(e.kind === 'fields.updated' && e.detail.by === 'workflow') ||
	(e.kind === 'tag.added' && e.detail.addedBy === 'workflow') ||
	(e.kind === 'tag.removed' && e.detail.removedBy === 'workflow') ||
	e.kind === 'workflow.reply';

/**
 * The workflows that answered, one per trigger: each effect a workflow had (fields, tags, a reply) belongs to the event
 * its call carried as causation (an action that fired, a tag added, the ending); an effect without one belongs to the
 * latest action or ending before it.
 */
function simulatedWorkflows(timeline: TimelineEntry[]): SimulatedWorkflow[] {
	type Group = { on: SimulatedWorkflow['on']; at: string; effects: TimelineEntry[] };
	const byTrigger = new Map<string, Group>();
	const byEvent = new Map<string, Group>();
	let latest: Group | undefined;
	const trigger = (key: string, on: SimulatedWorkflow['on'], e: TimelineEntry): Group => {
		const group = byTrigger.get(key) ?? { on, at: e.at, effects: [] };
		byTrigger.set(key, group);
		if (e.detail.eventId) byEvent.set(String(e.detail.eventId), group);
		return group;
	};
	for (const e of timeline) {
		const parent = e.detail.causationEventId ? byEvent.get(String(e.detail.causationEventId)) : undefined;
		if (isWorkflowEffect(e)) (parent ?? (e.detail.causationEventId ? undefined : latest))?.effects.push(e);
		if (e.kind === 'action.fired') latest = trigger(`action:${e.detail.actionId}`, { action: String(e.detail.actionId) }, e);
		else if (e.kind === 'conversation.ended') {
			const outcome = e.detail.outcome ? String(e.detail.outcome) : undefined;
			latest = trigger('ended', { ended: true, ...(outcome ? { outcome } : {}) }, e);
		} else if (e.kind === 'tag.added' && e.detail.eventId) trigger(`tag:${e.detail.tag}`, { tagAdded: String(e.detail.tag) }, e);
	}
	const out: SimulatedWorkflow[] = [];
	for (const { on, at, effects } of byTrigger.values()) {
		if (!effects.length) continue;
		const write = contactChanges(effects);
		const tags = [...new Set(effects.filter((e) => e.kind === 'tag.added').map((e) => String(e.detail.tag)))];
		const removeTags = [...new Set(effects.filter((e) => e.kind === 'tag.removed').map((e) => String(e.detail.tag)))];
		const reply = effects.find((e) => e.kind === 'workflow.reply')?.detail.text;
		const afterMs = Math.max(0, Math.round((Date.parse(effects[0].at) - Date.parse(at)) / 10) * 10);
		out.push({
			on,
			afterMs,
			...(Object.keys(write).length ? { write } : {}),
			...(removeTags.length ? { removeTags } : {}),
			...(tags.length ? { tags } : {}),
			...(typeof reply === 'string' ? { reply } : {}),
		});
	}
	return out;
}

function expectationsOf(slice: Slice, messages: MessageView[], agent: AgentConfig | undefined, last: boolean, status: { now: string }): Expectation {
	const { entries } = slice;
	const ids = new Set(entries.filter((e) => e.kind === 'message' || e.kind === 'workflow.reply').map((e) => String(e.detail.messageId)));
	const own = messages.filter((m) => ids.has(m.id) && m.role !== 'contact');
	const reply = slice.say !== undefined ? own.find((m) => m.role === 'agent' && m.source === 'engine') : undefined;
	const later = own.filter((m) => m !== reply).map((m) => ({ equals: m.text }));
	const collected: Record<string, string> = {};
	for (const e of entries.filter((x) => x.kind === 'fields.updated' && x.detail.by === 'agent')) Object.assign(collected, e.detail.collected ?? {});
	const contact = contactChanges(entries);
	const added = entries.filter((e) => e.kind === 'tag.added').map((e) => String(e.detail.tag));
	const removed = entries.filter((e) => e.kind === 'tag.removed').map((e) => String(e.detail.tag));
	const fired = entries.filter((e) => e.kind === 'action.fired').map((e) => String(e.detail.actionId));
	const notFired: Record<string, string> = {};
	for (const e of entries.filter((x) => x.kind === 'action.not_fired' || x.kind === 'action.suppressed')) notFired[String(e.detail.actionId)] = String(e.detail.reason ?? '');
	const before = status.now;
	for (const e of entries) {
		if (e.kind === 'handoff') status.now = 'handoff';
		if (e.kind === 'handoff.released') status.now = 'active';
		if (e.kind === 'conversation.ended') status.now = 'ended';
	}
	const ended = entries.find((e) => e.kind === 'conversation.ended');
	const expectation: Expectation = {
		...(slice.say !== undefined ? { reply: reply ? reply.text : null } : {}),
		...(later.length ? { messages: later } : {}),
		...(Object.keys(collected).length ? { collected } : {}),
		...(Object.keys(contact).length ? { contact } : {}),
		...(added.length || removed.length ? { tags: { ...(added.length ? { has: added.filter((t) => !removed.includes(t)) } : {}), ...(removed.length ? { lacks: removed.filter((t) => !added.includes(t)) } : {}) } } : {}),
		...(fired.length ? { fired } : {}),
		...(Object.keys(notFired).length ? { notFired } : {}),
		...(before !== status.now || last ? { status: status.now as Expectation['status'] } : {}),
		...(ended?.detail.outcome ? { outcome: String(ended.detail.outcome) } : {}),
		...(agent?.disclosure ? { nothingWithheldDisclosed: true as const } : {}),
	};
	return expectation;
}

/** The contact as the conversation started: as stored now, less what this conversation changed. */
function startingContact(contact: ContactSnapshot, timeline: TimelineEntry[]): NonNullable<TestFile['conversations'][number]['contact']> {
	const changed = contactChanges(timeline);
	const start: NonNullable<TestFile['conversations'][number]['contact']> = {};
	for (const key of STANDARD) if (contact[key] && changed[key] === undefined) start[key] = contact[key];
	const custom = Object.fromEntries(Object.entries(contact.customFields).filter(([k]) => !(k in (changed.customFields ?? {}))));
	if (Object.keys(custom).length) start.customFields = custom as Record<string, string | number | boolean | null>;
	const added = new Set(timeline.filter((e) => e.kind === 'tag.added').map((e) => String(e.detail.tag)));
	const removed = timeline.filter((e) => e.kind === 'tag.removed').map((e) => String(e.detail.tag));
	const tags = [...new Set([...contact.tags.filter((t) => !added.has(t)), ...removed.filter((t) => !added.has(t))])];
	if (tags.length) start.tags = tags;
	return start;
}

export function conversationAsTest(conversation: SavedConversation, contact: ContactSnapshot, agent: AgentConfig | undefined): { fileName: string; file: TestFile; yaml: string } {
	const parts = slices(conversation.timeline);
	const status = { now: 'active' };
	const turns: Turn[] = parts.map((slice, i) => {
		const expect = expectationsOf(slice, conversation.messages, agent, i === parts.length - 1, status);
		return slice.say !== undefined ? { say: slice.say, expect } : { end: slice.end ?? {}, expect };
	});
	const start = startingContact(contact, conversation.timeline);
	const workflows = simulatedWorkflows(conversation.timeline);
	const file: TestFile = {
		agent: conversation.agentId,
		conversations: [
			{
				name: `conversation ${conversation.id} as it went (rename me: say what it proves)`,
				...(conversation.channel !== 'api' ? { channel: conversation.channel } : {}),
				...(Object.keys(start).length ? { contact: start } : {}),
				...(workflows.length ? { workflows } : {}),
				turns,
			},
		],
	};
	const header = [
		`# Saved from the inspector's test panel (conversation ${conversation.id}): its outcomes as expectations.`,
		'# Put it beside the agent files and run `agent-bridge test`. Loosen exact replies (contains, matches) for a model.',
		'',
	].join('\n');
	return { fileName: `${conversation.agentId}.${conversation.id}.test.yaml`, file, yaml: header + stringify(file, { lineWidth: 0 }) };
}

/** The inspector's *Save as test*: the conversation, its contact and its agent, as a test file. */
export async function saveConversationAsTest(ctx: AppContext, workspaceId: string, id: string): Promise<{ fileName: string; yaml: string }> {
	const detail = await getConversationDetail(ctx, workspaceId, id);
	const contact = await getContact(ctx.store.db, workspaceId, detail.contactId);
	if (!contact) throw notFound('contact', detail.contactId);
	const agent = (await ctx.agentsFor(workspaceId)).get(detail.agentId);
	const { fileName, yaml } = conversationAsTest(detail as unknown as SavedConversation, contact, agent);
	return { fileName, yaml };
}
